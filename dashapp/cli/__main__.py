"""`python -m dashapp.cli ...` is the `pulse` command."""

import sys

from .main import main

sys.exit(main())
