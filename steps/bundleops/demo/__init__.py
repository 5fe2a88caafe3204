"""`bundleops demo`: both pipelines of the example project against the embedded local workspace."""
