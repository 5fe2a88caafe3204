"""Inside a task process: start a wheel entry point or a source notebook the way Databricks does.

Run as `python -m bundleops.localworkspace.launch wheel <package> <entry point> [args...]` or
`... notebook <file> [name=value...]`. A wheel entry point is looked up by name in the
distribution's entry points (any group) and called with `sys.argv` set to its parameters. A
notebook runs as a Python script with `dbutils.widgets` (its base parameters) and
`dbutils.notebook.exit`; its exit value is printed on a marked line the run collects.
"""

from __future__ import annotations

import runpy
import sys
from importlib.metadata import PackageNotFoundError, distribution

from bundleops.localworkspace.tasks import NOTEBOOK_EXIT_MARKER


def run_wheel(package: str, entry_point: str, arguments: list[str]) -> int:
    try:
        points = distribution(package).entry_points
    except PackageNotFoundError:
        print(f"python_wheel_task: package {package} is not installed in the local workspace's Python", file=sys.stderr)
        return 1
    found = [point for point in points if point.name == entry_point]
    if not found:
        names = ", ".join(sorted({point.name for point in points})) or "none"
        print(f"python_wheel_task: package {package} has no entry point {entry_point} (it has: {names})", file=sys.stderr)
        return 1
    sys.argv = [entry_point, *arguments]
    result = found[0].load()()
    return result if isinstance(result, int) else 0


class _NotebookExit(Exception):
    def __init__(self, value: str) -> None:
        super().__init__(value)
        self.value = value


class _Widgets:
    def __init__(self, values: dict[str, str]) -> None:
        self._values = values

    def text(self, name: str, default: str = "", label: str | None = None) -> None:
        self._values.setdefault(name, default)

    def dropdown(self, name: str, default: str, choices: list[str], label: str | None = None) -> None:
        self._values.setdefault(name, default)

    def get(self, name: str) -> str:
        if name not in self._values:
            raise ValueError(f"InputWidgetNotDefined: No input widget named {name} is defined")
        return self._values[name]


class _Notebook:
    def exit(self, value: object) -> None:
        raise _NotebookExit(str(value))


class DBUtils:
    """The part of `dbutils` the local workspace offers: widgets and notebook.exit."""

    def __init__(self, parameters: dict[str, str]) -> None:
        self.widgets = _Widgets(dict(parameters))
        self.notebook = _Notebook()

    def __getattr__(self, name: str) -> object:
        raise AttributeError(f"dbutils.{name} is not available in the local workspace (it offers dbutils.widgets and dbutils.notebook.exit)")


def run_notebook(path: str, assignments: list[str]) -> int:
    parameters = dict(item.split("=", 1) for item in assignments)
    sys.argv = [path]
    try:
        runpy.run_path(path, init_globals={"dbutils": DBUtils(parameters)}, run_name="__main__")
    except _NotebookExit as exit_:
        print(f"{NOTEBOOK_EXIT_MARKER}{exit_.value}", flush=True)
    return 0


def main(argv: list[str]) -> int:
    kind, *rest = argv
    if kind == "wheel":
        return run_wheel(rest[0], rest[1], rest[2:])
    if kind == "notebook":
        return run_notebook(rest[0], rest[1:])
    raise SystemExit(f"unknown launch kind {kind}")


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
