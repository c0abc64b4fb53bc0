"""``python -m cvhelpers.data [--install]``: which offline data sources are present; install the missing ones."""

import sys

from cvhelpers.data.sources import main

sys.exit(main())
