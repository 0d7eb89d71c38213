"""Questions answered with many runs.

Paired comparisons, the Bass fit, calibration to observed data, decomposition
of what a plan bought, and optimisation of its levers.
"""
