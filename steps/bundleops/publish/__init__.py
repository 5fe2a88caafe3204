"""`bundleops publish`: merged JUnit and coverage, CI-native reports, SonarQube analysis."""
