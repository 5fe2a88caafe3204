"""`bundleops preview`: what a deploy will change, read from `databricks bundle plan -o json`, shown
in the job summary and the pull request before anything changes; the deploy gates on the same plan."""
