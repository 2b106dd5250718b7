"""`python -m journeymap` runs the command line."""

import sys

from journeymap.cli.main import main

sys.exit(main())
