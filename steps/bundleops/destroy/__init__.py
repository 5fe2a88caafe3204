"""`bundleops destroy`: remove a pull request's own staging deployment."""
