"""What an op costs: estimated times from a core's roofline (roofline.py),
the fit of a roofline to measured times (calibrate.py), and how close two
time tables are (agreement.py)."""
