"""``python -m simulation`` is the ``sparksim`` command.

Importing this module does nothing: it runs only as ``__main__``, so no import by
name (a test, a web route) can exit the importing process.
"""

import sys

if __name__ == "__main__":
    try:
        from .cli import main
    except KeyboardInterrupt:  # Ctrl-C before the command line can catch it itself
        print("sparksim: interrupted; nothing was written", file=sys.stderr)
        sys.exit(130)  # errors.EXIT_INTERRUPTED
    sys.exit(main())
