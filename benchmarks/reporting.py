"""What every benchmark ends with: the command that reruns it, and its table on stdout and, with --report, in a file."""

from __future__ import annotations

import sys
from pathlib import Path


def rerun_command(script: str, argv: list[str] | None) -> str:
    """`python benchmarks/<script> <its arguments>`, shown with the table so anyone can rerun it."""
    return f"python benchmarks/{script} " + " ".join(argv if argv is not None else sys.argv[1:])


def publish(report: str, path: Path | None) -> None:
    print(report)
    if path:
        path.write_text(report, encoding="utf-8")
