"""`bundleops sweep`: remove expired and replaced pull-request deployments."""
