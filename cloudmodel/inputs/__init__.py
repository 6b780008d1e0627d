"""What the model reads: units and periods, driver files (schema, loader, cache), the reported history, actuals files."""
