"""`python -m bounceback` is the `bounceback` command."""

import sys

from bounceback.cli import main

sys.exit(main())
