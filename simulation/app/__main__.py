"""``python -m simulation.app``: serve the web app (see :mod:`simulation.app.serve`)."""

from .serve import main

raise SystemExit(main())
