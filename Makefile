# The two commands of the README's Quickstart. Each sets up what it needs first (scripts/setup).
# `make check` is the inner loop (CONTRIBUTING.md): the tests that start no vendor runner, no
# Spark, no clean virtualenv and no step against a local workspace, in under 3 minutes.
.PHONY: demo test check

FAST = not vendor_runner and not spark and not wheel and not integration

demo:
	scripts/setup --demo
	.venv/bin/bundleops demo

test:
	scripts/setup --test
	.venv/bin/python -m pytest

check:
	scripts/setup --test
	.venv/bin/python -m pytest -m "$(FAST)"
