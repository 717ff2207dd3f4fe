"""``python -m fulfillkit.cli``: the ``fulfillkit`` command."""

import sys

from fulfillkit.cli import main

sys.exit(main())
