"""The web app for strategists (``make app``; ``python -m simulation.app``).

A Panel page served on localhost for deciding between plans: start from a
shipped scenario or set the levers (in dollars, per cent and millions, each
explained from the config schema); every run is kept as a named plan; pin up
to six and compare them with a reference on common random numbers
(:func:`simulation.compare`, reusing the runs made before) in one table, one
set of interactive charts and a cost-and-payback table; save a plan as TOML,
load it back, or share the page's address.

One concept per module: ``scenarios`` (the shipped configs and their
descriptions), ``plan`` (levers → plan and reference configs), ``explain``
(page units, tooltips and problems in words), ``levers`` (their widgets),
``plans`` (a session's named plans, pins, TOML), ``cache`` (runs kept for
reuse), ``costs`` (cost, payback and the days things happened), ``charts``
(Bokeh), ``results`` (what a comparison shows and downloads), ``page`` (one
visitor's page) and ``serve`` (the server). The top layer, like the command
line.
"""
