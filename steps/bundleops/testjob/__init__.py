"""`bundleops test`: run the bundle's integration-test job in the workspace and bring its reports back."""
