"""The model of one run: its config, people, graphs, influencers, platforms, payouts, metrics.

The lowest layer: it imports nothing from the layers above it (``plots``,
``runs``, ``analysis``, the command line). ``spark_model.SparkModel`` holds the
day's order.
"""
