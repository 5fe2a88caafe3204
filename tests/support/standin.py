"""The `databricks` stand-in as tests call it directly: through a shim of this test process, so
each call is a fork of the process's stand-in server (milliseconds) rather than a new interpreter
importing databricks-sdk (bundleops.localcli.forkserver); what runs is the same stand-in."""

from __future__ import annotations

import functools
import tempfile
from pathlib import Path


@functools.cache
def databricks() -> str:
    """The path of this process's `databricks` shim."""
    from bundleops.localcli.shim import write_shim

    return str(write_shim(Path(tempfile.mkdtemp(prefix="bundleops-standin-"))))
