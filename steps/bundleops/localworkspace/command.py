"""`bundleops local-workspace`: the embedded local workspace in the foreground, for trying steps by hand."""

from __future__ import annotations

import argparse
import errno
import json
import os
import shlex
import signal
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from bundleops.errors import BundleopsError

if TYPE_CHECKING:
    from bundleops.localworkspace import LocalWorkspace

NAME = "local-workspace"
HELP = "start the embedded local workspace (a loopback Databricks REST API) in the foreground"
DESCRIPTION = (
    "Starts a local workspace on 127.0.0.1 that speaks the Databricks REST API the databricks CLI and\n"
    "databricks-sdk use (OAuth, SCIM Me, Workspace, Files, Unity Catalog schemas, Jobs and runs that\n"
    "execute as local processes). Prints its host and a service principal's client id and secret for\n"
    "this session (they are valid only on this machine, until it stops), and writes them as JSON to\n"
    "<state dir>/info.json and --info-file (mode 0600); `eval \"$(bundleops local-env)\"` in another shell\n"
    "reads it. Ctrl-C stops it and every run it started. See docs/local-workspace.md."
)
EXAMPLE = "bundleops local-workspace --port 8765 --info-file /tmp/lw.json"


def _latency(text: str) -> float:
    """A round trip in seconds, 0 to 60 (anything else is argparse's usage error, exit 2)."""
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 60:
        raise argparse.ArgumentTypeError(f"--latency-seconds takes seconds from 0 to 60 (e.g. 0.1), not {text!r}")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: a free one)")
    parser.add_argument("--state-dir", type=Path, default=Path(".bundleops/local-workspace"), metavar="DIR", help="where workspace files, volumes and run logs are kept (default: .bundleops/local-workspace)")
    parser.add_argument("--latency-seconds", type=_latency, default=0.0, metavar="S",
                        help="delay every API request by S seconds (0 to 60), a real workspace's round trip, e.g. 0.1 for benchmarks (default: 0)")
    parser.add_argument("--info-file", type=Path, default=None, metavar="FILE", help="write host, client id and secret as JSON here (mode 0600)")


def run(args: argparse.Namespace) -> int:
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    with _listen(args.state_dir, args.port, args.latency_seconds) as workspace:
        info = {"host": workspace.host, "client_id": workspace.client_id, "client_secret": workspace.client_secret, "user_token": workspace.user_token}
        for path in (workspace.layout.info_file, args.info_file):
            if path:
                _write_private(path, json.dumps(info, indent=2) + "\n")
        # The secret is this process's own throwaway credential for a loopback server, shown so a
        # developer can export it; it never leaves this machine and dies with the process.
        latency = f", every request delayed {args.latency_seconds:g} s" if args.latency_seconds else ""
        print(f"local workspace on {workspace.host} (state in {workspace.layout.root}{latency})", flush=True)
        print("  export DATABRICKS_HOST=" + workspace.host)
        print("  export DATABRICKS_AUTH_TYPE=oauth-m2m")
        print("  export DATABRICKS_CLIENT_ID=" + workspace.client_id)
        print("  export DATABRICKS_CLIENT_SECRET=" + workspace.client_secret)
        print(f'In another shell, from this folder: eval "$(bundleops local-env --state-dir {shlex.quote(str(args.state_dir))})"')
        print("Ctrl-C stops it.", flush=True)
        stop.wait()
    workspace.layout.info_file.unlink(missing_ok=True)
    return 0


def _listen(state_dir: Path, port: int, latency_seconds: float) -> LocalWorkspace:
    """The local workspace on 127.0.0.1:port; a port it cannot have is bad input (exit 2), not a traceback."""
    from bundleops.localworkspace import LocalWorkspace

    try:
        return LocalWorkspace(state_dir, port=port, latency_seconds=latency_seconds)
    except OSError as error:
        if error.errno not in (errno.EADDRINUSE, errno.EACCES, errno.EADDRNOTAVAIL):
            raise
        raise BundleopsError(
            f"the local workspace cannot listen on 127.0.0.1:{port}: {error.strerror}",
            fix="pass --port 0 to let it pick a free port (it prints the host), or choose another port",
        ) from None


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)
