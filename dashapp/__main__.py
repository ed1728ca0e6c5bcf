"""`python -m dashapp` serves the dashboard, like `pulse serve`."""

import sys

from .cli.main import main

sys.exit(main(["serve", *sys.argv[1:]]))
