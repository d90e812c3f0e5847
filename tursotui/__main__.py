"""`python -m tursotui`."""

import sys

from tursotui.cli import main

sys.exit(main())
