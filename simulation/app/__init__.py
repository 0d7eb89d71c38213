"""The web app for strategists (``make app``; ``python -m simulation.app``).

A Panel page served on localhost: start from a shipped scenario or set the
levers, run the plan against a reference on common random numbers
(:func:`simulation.compare`), and see adoption and users over time with
bands, spend by scheme, the paired summary table, and download it all.

One concept per module: ``scenarios`` (the shipped configs), ``plan`` (levers
→ plan and reference configs), ``levers`` (their widgets), ``results``
(figure, numbers, table, downloads of a comparison), ``page`` (one visitor's
page) and ``serve`` (the server). The top layer, like the command line.
"""
