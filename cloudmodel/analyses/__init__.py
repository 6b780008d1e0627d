"""What is done with the model: scenarios and what-if, simulation, backtests, calibration, the quarterly update."""
