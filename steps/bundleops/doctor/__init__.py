"""`bundleops doctor`: a read-only look at what a target needs, each check on one line."""
