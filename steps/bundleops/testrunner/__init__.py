"""bundleops.testrunner: the entry point of every project's `<bundle>_test_job`.

Phase 1 creates a temporary schema with the project's mock tables (and sweeps expired leftovers
of killed runs), phase 2 runs the project's integration tests with pytest under coverage, phase 3
drops the schema; JUnit and Cobertura reports go to the report folder. It runs inside Databricks
on the runtime's Spark and anywhere else on local pyspark. See docs/testrunner.md.

Heavy modules (pyspark, pytest, coverage, junitparser) are imported where they are used.
"""
