"""`bundleops deploy`: the bundle deploy with lock handling, destructive-change control and a deployment record."""
