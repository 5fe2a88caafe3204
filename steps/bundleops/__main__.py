"""`python -m bundleops` is the same as the `bundleops` console script."""

from bundleops.cli import main

raise SystemExit(main())
