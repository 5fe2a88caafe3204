"""A test of its own gets its own local workspace and the CLI shim, as the step tests do (their fixtures)."""

from __future__ import annotations

from tests.steps.conftest import env, local_workspace, shim_dir  # noqa: F401 - the step tests' fixtures, reused
