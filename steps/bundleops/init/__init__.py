"""`bundleops init`: a new project from the bundle template the wheel ships (bundleops.shipped)."""
