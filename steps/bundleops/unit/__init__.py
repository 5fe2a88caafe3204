"""`bundleops unit`: the project's unit tests with coverage, on the CI runner."""
