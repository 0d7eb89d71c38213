"""``python -m simulation`` is the ``sparksim`` command."""

import sys

from .cli import main

sys.exit(main())
