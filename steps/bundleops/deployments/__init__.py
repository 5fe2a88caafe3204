"""Pull-request deployments: each pull request's own copy of the staging target (docs/pull-request-deployments.md)."""
