"""A stand-in for the `databricks` CLI's bundle commands, for tests and `bundleops demo` only.

The real Go CLI cannot be installed here, so this package resolves the subset of
`databricks.yml` that bundleops projects use and talks to a workspace over the same REST
endpoints, through databricks-sdk, with the same output shapes and exit codes (0 or 1).
Anything outside the subset fails with an error naming it, never silently. See
docs/cli-standin.md for what is covered.
"""

VERSION = "1.13.0"
