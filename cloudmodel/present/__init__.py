"""How results leave the model: numbers for people, rich tables, charts, files, the workbook, the HTML note, docs."""
