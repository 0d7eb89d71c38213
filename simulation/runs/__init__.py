"""Running models: one run and its output folder, and many runs.

Seeds, executors (this process, local workers, Dask), the runner of a batch
of runs, experiment designs (a sweep file names one) and durable sweeps.
"""
