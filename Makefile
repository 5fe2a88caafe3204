# The two commands of the README's Quickstart. Each sets up what it needs first (scripts/setup).
.PHONY: demo test

demo:
	scripts/setup --demo
	.venv/bin/bundleops demo

test:
	scripts/setup --test
	.venv/bin/python -m pytest
