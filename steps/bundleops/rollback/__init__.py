"""`bundleops rollback`: put a shared target back to an earlier deployment, from git, through the deploy step."""
