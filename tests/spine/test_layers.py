"""The parts of DESIGN.md stay apart: checked on every import statement, function-level ones included.

- context/ and plan/ never import databricks-sdk (they must start in a fraction of a second);
- no step imports the local workspace or the CLI stand-in (they only exist for tests and demos);
- the in-cluster test runner knows nothing of CI (cli, output, context, plan, steps) or of the
  emulator: it runs inside Databricks, where none of those means anything.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "steps" / "bundleops"
STEPS = ("auth", "validate", "deploy", "testjob", "unit", "publish", "quality_gate")
EMULATORS = ("bundleops.localworkspace", "bundleops.localcli", "bundleops.demo")
# The redaction filter is shared: the test runner keeps secrets out of a task's log too.
SHARED = ("bundleops.output.redact",)
CI_SIDE = ("bundleops.cli", "bundleops.output", "bundleops.context", "bundleops.plan", "bundleops.step", *(f"bundleops.{name}" for name in STEPS))

RULES = {
    "context": ("databricks",),
    "plan": ("databricks",),
    **{step: EMULATORS for step in STEPS},
    # `bundleops init` runs whatever `databricks` CLI is configured, never the stand-in itself.
    "init": EMULATORS,
    "testrunner": (*CI_SIDE, *EMULATORS),
}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def within(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == prefix or name.startswith(prefix + ".") for prefix in prefixes)


def violations(part: str, forbidden: tuple[str, ...]) -> list[str]:
    found = []
    for path in sorted((PACKAGE / part).rglob("*.py")):
        for name in sorted(imported_modules(path)):
            if within(name, forbidden) and not within(name, SHARED):
                found.append(f"{path.relative_to(PACKAGE)} imports {name}")
    return found


@pytest.mark.parametrize("part", sorted(RULES))
def test_part_imports_only_what_its_layer_allows(part: str) -> None:
    assert violations(part, RULES[part]) == []


def test_the_checker_sees_a_function_level_import(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from bundleops.localcli import shim\n    import databricks.sdk\n", encoding="utf-8")
    assert imported_modules(module) == {"bundleops.localcli", "bundleops.localcli.shim", "databricks.sdk"}
