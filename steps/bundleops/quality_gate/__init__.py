"""`bundleops quality-gate`: wait for a SonarQube analysis and report its quality gate."""
