"""`bundleops local-env`: the shell lines that point a shell at a running local workspace, with the
`databricks` CLI stand-in first on PATH, for `eval "$(bundleops local-env)"`.

`bundleops local-workspace` runs in the foreground and leaves its host and credentials in
`<state dir>/info.json`; this command reads them, writes the stand-in's executable to
`<state dir>/bin/databricks`, and prints `export` lines (POSIX shell quoting). After the eval, the
`databricks` and `bundleops` commands of that shell talk to the local workspace exactly as they
would to a real one from a CI job.
"""

from __future__ import annotations

import argparse
import json
import shlex
from pathlib import Path

from bundleops.errors import BundleopsError
from bundleops.output.redact import unredacted_stdout

NAME = "local-env"
HELP = "print the shell exports that point this shell at a running local workspace, with the databricks CLI stand-in on PATH"
DESCRIPTION = (
    "Reads <state dir>/info.json of a running `bundleops local-workspace`, writes the databricks CLI\n"
    "stand-in to <state dir>/bin/databricks and prints export lines for DATABRICKS_HOST,\n"
    "DATABRICKS_AUTH_TYPE, DATABRICKS_CLIENT_ID, DATABRICKS_CLIENT_SECRET and PATH. Use it as\n"
    '  eval "$(bundleops local-env)"\n'
    "from the folder the local workspace was started in (or pass the same --state-dir).\n"
    "The client secret is the local workspace's own, valid only on 127.0.0.1 while it runs."
)
EXAMPLE = 'bundleops local-env --state-dir .bundleops/local-workspace    # in a shell: eval "$(bundleops local-env)"'


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--state-dir", type=Path, default=Path(".bundleops/local-workspace"), metavar="DIR",
                        help="the --state-dir the local workspace was started with (default: .bundleops/local-workspace)")


def run(args: argparse.Namespace) -> int:
    from bundleops.localcli.shim import write_shim
    from bundleops.localworkspace.layout import Layout

    layout = Layout(args.state_dir.resolve())
    info = _running(layout.info_file, args.state_dir)
    shim = write_shim(layout.bin_dir, served=False)  # it outlives this command, whose server would end with it
    exports = {
        "DATABRICKS_HOST": info["host"],
        "DATABRICKS_AUTH_TYPE": "oauth-m2m",
        "DATABRICKS_CLIENT_ID": info["client_id"],
        "DATABRICKS_CLIENT_SECRET": info["client_secret"],
    }
    lines = [f"export {name}={shlex.quote(value)}" for name, value in exports.items()]
    lines.append(f'export PATH={shlex.quote(str(shim.parent))}:"$PATH"')
    # Unredacted on purpose: these lines are the input of `eval`, and a shell that already holds
    # this secret (a second eval) would otherwise get "***" back. The secret is the loopback
    # workspace's throwaway credential that `bundleops local-workspace` prints too.
    stream = unredacted_stdout()
    stream.write("\n".join(lines) + "\n")
    stream.flush()
    return 0


def _running(info_file: Path, state_dir: Path) -> dict[str, str]:
    """The info of a local workspace that answers; a clear error when none is running there."""
    import urllib.error
    import urllib.request

    start = f"start one in another shell, from this folder: bundleops local-workspace --state-dir {shlex.quote(str(state_dir))}"
    if not info_file.is_file():
        raise BundleopsError(f"no local workspace has its state in {info_file.parent} ({info_file.name} not found)", fix=start)
    info = json.loads(info_file.read_text(encoding="utf-8"))
    try:
        with urllib.request.urlopen(f"{info['host']}/.well-known/databricks-config", timeout=5):
            pass
    except (urllib.error.URLError, OSError) as error:
        raise BundleopsError(f"the local workspace of {info_file} at {info['host']} does not answer ({error})", fix=start) from None
    return info
