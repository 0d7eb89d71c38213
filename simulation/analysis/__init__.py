"""Questions answered with many runs.

Paired comparisons, the Bass fit, calibration to observed data, decomposition
of what a plan bought, optimisation of its levers, and a sweep's sensitivity
indices and report.
"""
