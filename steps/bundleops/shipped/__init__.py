"""The project folders the wheel ships, so a team can start without a clone of this repository.

`bundle-template/` is the `databricks bundle init` template that `bundleops init` renders, and
`examples/orders_pipeline/` is that template rendered with the example inputs (the project
`bundleops demo` runs by default). They are folders of files, not Python modules: pyproject.toml
ships them as package data, and nothing imports from them.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

HERE = Path(__file__).resolve().parent
BUNDLE_TEMPLATE = HERE / "bundle-template"
EXAMPLE_PROJECT = HERE / "examples" / "orders_pipeline"


def read_template_file(name: str) -> str:
    """A file of the bundle template's top folder, read through importlib.resources so that it also
    reads from a zipped package: `bundleops init`'s options come from the schema, and every command
    (even `--version`) builds all the parsers."""
    return (resources.files(__name__) / "bundle-template" / name).read_text(encoding="utf-8")
