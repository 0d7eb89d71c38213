"""``python -m simulation`` is the ``sparksim`` command."""

import sys

try:
    from .cli import main
except KeyboardInterrupt:  # Ctrl-C before the command line can catch it itself
    print("sparksim: interrupted; nothing was written", file=sys.stderr)
    sys.exit(130)

sys.exit(main())
