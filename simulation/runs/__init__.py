"""Running models: one run and its output folder, and many runs.

Seeds, executors (this process, local workers, Dask), designs, durable sweeps,
and a sweep's report and sensitivity analysis.
"""
