"""Every module of the package imports: a syntax error, a misspelt import or a name that moved
fails here, in the fast tier (`make check`), whichever module it is in and whether or not a
fast test reaches it. A `__main__` module runs its command when imported, so it is compiled."""

from __future__ import annotations

import importlib
import importlib.util
from pathlib import Path

import pytest

from tests.support.package_files import module_paths

PACKAGE = Path(__file__).resolve().parents[2] / "steps" / "bundleops"


def module_names() -> list[str]:
    names = []
    for path in module_paths():
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def test_the_package_has_its_modules() -> None:
    names = module_names()
    assert {"bundleops", "bundleops.cli", "bundleops.localcli.forkserver", "bundleops.testrunner.runner"} <= set(names)


@pytest.mark.parametrize("name", module_names())
def test_every_module_imports(name: str) -> None:
    if name.endswith(".__main__"):
        path = PACKAGE.parent.joinpath(*name.split(".")).with_suffix(".py")
        compile(path.read_text(encoding="utf-8"), str(path), "exec")
        assert importlib.util.find_spec(name.rsplit(".", 1)[0]) is not None
        return
    module = importlib.import_module(name)
    assert module.__name__ == name
