"""bundleops: reusable CI/CD steps for Databricks Declarative Automation Bundles.

This is the one version number in the repository: every vendor template pins bundleops to it,
and a test checks that they do.
"""

__version__ = "0.1.0"
