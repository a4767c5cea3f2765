"""``python -m glassnet`` is the ``glassnet`` command."""

import sys

from glassnet.cli import main

sys.exit(main())
