"""What an op costs: estimated times from a core's roofline (roofline.py),
the fit of a roofline to measured times (calibrate.py), how close two time
tables are (agreement.py), and CPU times measured with ONNX Runtime
(measure.py)."""
