"""The `bundleops` console script: one subcommand per step.

Each subcommand lives in `bundleops/<part>/command.py` with NAME, HELP, EXAMPLE,
`add_arguments(parser)` and `run(args) -> int`. Those modules import only the standard library
and bundleops' light modules at the top; anything heavy (databricks-sdk takes seconds to
import) is imported inside `run`, so `bundleops context` and `bundleops plan` start fast.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from types import ModuleType
from typing import Callable, Sequence

from bundleops import __version__, closed_pipe, guard
from bundleops.errors import ExitCode
from bundleops.output import current

# Each command's name and module. A step's process imports only its own command's module: importing
# all twenty (the local workspace's, the demo's...) cost every step ~0.1 s of CPU at start-up.
COMMANDS: dict[str, str] = {
    "context": "bundleops.context.command",
    "plan": "bundleops.plan.command",
    "unit": "bundleops.unit.command",
    "auth": "bundleops.auth.command",
    "doctor": "bundleops.doctor.command",
    "validate": "bundleops.validate.command",
    "preview": "bundleops.preview.command",
    "deploy": "bundleops.deploy.command",
    "test": "bundleops.testjob.command",
    "publish": "bundleops.publish.command",
    "run": "bundleops.run.command",
    "destroy": "bundleops.destroy.command",
    "sweep": "bundleops.sweep.command",
    "history": "bundleops.history.command",
    "rollback": "bundleops.rollback.command",
    "drift": "bundleops.drift.command",
    "quality-gate": "bundleops.quality_gate.command",
    "local-workspace": "bundleops.localworkspace.command",
    "local-env": "bundleops.localworkspace.env_command",
    "demo": "bundleops.demo.command",
    "init": "bundleops.init.command",
}


def _load_commands(argv: Sequence[str]) -> list[ModuleType]:
    """The command `argv` names first, alone; every command when it names none (help, a typo, --version),
    so the help lists them all and argparse names the valid choices. The command's own parsing is
    the same either way: its words all go to its own subparser."""
    names = [argv[0]] if argv and argv[0] in COMMANDS else list(COMMANDS)
    return [importlib.import_module(COMMANDS[name]) for name in names]


def build_parser(argv: Sequence[str] = ()) -> argparse.ArgumentParser:
    """The parser for `argv`: with only the subcommand it names, when it names one (see _load_commands)."""
    parser = argparse.ArgumentParser(
        prog="bundleops",
        description="Reusable CI/CD steps for Databricks Declarative Automation Bundles: "
        "the same dev -> staging -> prod flow on every CI system.",
        epilog="Run `bundleops <command> --help` for a command's options and an example.\n\n"
        "Exit codes: 0 success, 1 the checked thing failed (tests, policy, quality gate),\n"
        "            2 bad input or configuration, 3 an external system failed after retries;\n"
        "          141 stdout was closed by its reader (e.g. `| head`): bundleops stopped quietly.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"bundleops {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="<command>")
    for module in _load_commands(argv):
        sub = subparsers.add_parser(
            module.NAME,
            help=module.HELP,
            description=getattr(module, "DESCRIPTION", module.HELP),
            epilog=f"example:\n  {module.EXAMPLE}",
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        module.add_arguments(sub)
        sub.set_defaults(handler=module.run)
    return parser


def run_guarded(action: Callable[[], int]) -> int:
    """Run a step with redaction on; a failure becomes an exit code and one CI-annotated error.
    A closed stdout pipe is left to `closed_pipe` (a quiet exit 141)."""
    return guard.run_guarded(action, report_error=lambda message: current().error(message))


def main(argv: Sequence[str] | None = None) -> int:
    def dispatch() -> int:
        words = list(sys.argv[1:] if argv is None else argv)
        parser = build_parser(words)
        args = parser.parse_args(words)
        if not getattr(args, "handler", None):
            parser.print_help()
            return int(ExitCode.BAD_INPUT)
        return int(args.handler(args))

    try:
        return closed_pipe.exit_code_of(lambda: run_guarded(dispatch))
    except SystemExit as exit_:  # argparse: --help, --version and usage errors (exit 2)
        return int(exit_.code or 0) if isinstance(exit_.code, int) or exit_.code is None else int(ExitCode.BAD_INPUT)


if __name__ == "__main__":
    raise SystemExit(main())
