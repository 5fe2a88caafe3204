"""`databricks` (stand-in): `--version` and `bundle init|validate|plan|deploy|summary|destroy`.

Exit codes are 0 or 1 only, like the real CLI: every failure (bad flag, invalid configuration,
held lock, API error) prints `Error: ...` on stderr and exits 1. Output into a closed pipe ends
it quietly with 141, the status of the Go CLI killed by SIGPIPE.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from bundleops import closed_pipe
from bundleops.localcli import VERSION, init
from bundleops.localcli.diagnostics import CliError, ConfigFileError

BUNDLE_COMMANDS = ("init", "validate", "plan", "deploy", "summary", "destroy")
EXAMPLE = "databricks bundle deploy -t staging --var catalog=main_staging"
INIT_EXAMPLE = "databricks bundle init steps/bundleops/shipped/bundle-template --config-file inputs.json --output-dir ."


class _Parser(argparse.ArgumentParser):
    """argparse that fails the way the real CLI does: `Error: ...`, exit 1 (never argparse's 2)."""

    def error(self, message: str) -> NoReturn:
        raise CliError(message)


def _add_bundle_flags(parser: argparse.ArgumentParser, command: str) -> None:
    parser.add_argument("-t", "--target", help="bundle target to use (if applicable)")
    parser.add_argument("--var", action="append", default=[], metavar="NAME=VALUE", help="set values for variables defined in bundle config (repeatable)")
    parser.add_argument("-o", "--output", choices=("text", "json"), default="text", help="output type: text or json")
    if command in ("deploy", "destroy"):
        parser.add_argument("--auto-approve", action="store_true", help="skip interactive approvals that might be required for deployment")
        parser.add_argument("--force-lock", action="store_true", help="force acquisition of deployment lock")
    if command == "deploy":
        parser.add_argument("--fail-on-active-runs", action="store_true", help="fail if there are running jobs or pipelines in the deployment")
        parser.add_argument("--plan", metavar="FILE", help="path to a JSON plan file to apply instead of planning (direct engine only)")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="databricks",
        description="Stand-in for the Databricks CLI's bundle commands (tests and `bundleops demo` only).",
        epilog=f"example:\n  {EXAMPLE}\n\nSee docs/cli-standin.md for the supported subset.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="store_true", help="print the version")
    groups = parser.add_subparsers(dest="group", metavar="<command>", parser_class=_Parser)
    groups.add_parser("version", help="print the version")
    bundle = groups.add_parser("bundle", help="Declarative Automation Bundles (init, validate, plan, deploy, summary, destroy)")
    commands = bundle.add_subparsers(dest="command", metavar="<command>", parser_class=_Parser)
    for command in BUNDLE_COMMANDS:
        example = INIT_EXAMPLE if command == "init" else f"databricks bundle {command} -t dev"
        sub = commands.add_parser(command, help=f"bundle {command}", epilog=f"example:\n  {example}",
                                  formatter_class=argparse.RawDescriptionHelpFormatter)
        if command == "init":
            init.add_flags(sub)
        else:
            _add_bundle_flags(sub, command)
    return parser


def _refuse_unsupported(argv: Sequence[str]) -> None:
    words = [word for word in argv if not word.startswith("-")]
    if words and words[0] not in ("bundle", "version"):
        raise CliError(f"command '{words[0]}' is not supported by the databricks CLI stand-in (supported: bundle, version)")
    if len(words) > 1 and words[0] == "bundle" and words[1] not in BUNDLE_COMMANDS:
        raise CliError(f"command 'bundle {words[1]}' is not supported by the databricks CLI stand-in (supported: {', '.join(BUNDLE_COMMANDS)})")


def _dispatch(args: argparse.Namespace) -> int:
    from bundleops.localcli import commands

    handler: Any = getattr(commands, args.command)
    return int(handler(args, Path.cwd(), dict(os.environ)))


def main(argv: Sequence[str] | None = None) -> int:
    """Exit 0 or 1 as the real CLI; a closed stdout pipe stops it quietly with 141 (bundleops.closed_pipe)."""
    return closed_pipe.exit_code_of(lambda: _run(list(sys.argv[1:] if argv is None else argv)))


def _is_workspace_error(error: Exception) -> bool:
    """An answer of the workspace (a 500, a refused call): the real CLI prints it as one `Error:` line."""
    from databricks.sdk.errors import DatabricksError

    return isinstance(error, DatabricksError)


def _run(argv: list[str]) -> int:
    try:
        _refuse_unsupported(argv)
        args = build_parser().parse_args(argv)
        if args.version or args.group == "version":
            print(f"Databricks CLI v{VERSION}")
            return 0
        if args.group != "bundle" or not args.command:
            build_parser().print_help()
            return 1
        return _dispatch(args)
    except ConfigFileError as error:
        sys.stderr.write(error.diagnostic.render() + "\n")
        return 1
    except CliError as error:
        sys.stderr.write(f"Error: {error}\n")
        return 1
    except BrokenPipeError:
        raise
    except KeyboardInterrupt:
        sys.stderr.write("Error: interrupted\n")
        return 1
    except Exception as error:  # noqa: BLE001 - the real CLI exits 1 for every failure
        if not _is_workspace_error(error):
            traceback.print_exc()  # a stand-in bug: keep the trace for debugging
        sys.stderr.write(f"Error: {error}\n")
        return 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
