"""``python -m simulation.app``: serve the web app (see :mod:`simulation.app.serve`).

Importing this module does nothing: it serves only when run as ``__main__``.
"""

if __name__ == "__main__":
    from .serve import main

    raise SystemExit(main())
