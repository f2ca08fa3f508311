"""What an op and a schedule cost: estimated times from a core's roofline
(roofline.py), the fit of a roofline to measured times (calibrate.py), how
close two time tables are (agreement.py), CPU times measured with ONNX
Runtime (measure.py), and a schedule's energy (energy.py)."""
