"""`python -m tursotui`."""

import sys

from tursotui.entry import main

sys.exit(main())
