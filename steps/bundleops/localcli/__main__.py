"""`python -m bundleops.localcli ...` behaves as `databricks ...` (the bundle subset)."""

import sys

from bundleops.localcli.cli import main

sys.exit(main())
