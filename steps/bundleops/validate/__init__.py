"""`bundleops validate`: the CLI's validation plus bundleops' policy on the resolved configuration."""
