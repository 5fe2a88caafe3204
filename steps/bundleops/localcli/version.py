"""`bundle.databricks_cli_version`: the version constraint a bundle puts on the CLI.

Comma-separated `>=`, `>`, `<=`, `<`, `=`/`==` or bare versions, checked against the stand-in's
version as the real CLI checks its own.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable

from bundleops.localcli import VERSION

OPERATORS: dict[str, Callable[[tuple[int, ...], tuple[int, ...]], bool]] = {
    ">=": operator.ge, "<=": operator.le, ">": operator.gt, "<": operator.lt, "==": operator.eq, "=": operator.eq, "": operator.eq,
}


def parse(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.lstrip("v").split("."))


def unsatisfied(constraint: str, current: str = VERSION) -> str:
    """The real CLI's error text when `current` misses the constraint, else ''. Raises ValueError on bad syntax."""
    for clause in constraint.split(","):
        match = re.fullmatch(r"\s*(>=|<=|==|=|>|<)?\s*v?(\d+(?:\.\d+){0,2})\s*", clause)
        if not match:
            raise ValueError(f"invalid version constraint \"{constraint}\" specified. Please specify the version constraint in the format (>=) 0.0.0(, <= 1.0.0)")
        if not OPERATORS[match.group(1) or ""](parse(current), parse(match.group(2))):
            return f"Databricks CLI version constraint not satisfied. Required: {constraint}, current: {current}"
    return ""
