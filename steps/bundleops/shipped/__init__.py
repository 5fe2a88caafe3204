"""The project folders the wheel ships, so a team can start without a clone of this repository.

`bundle-template/` is the `databricks bundle init` template that `bundleops init` renders;
`examples/orders_pipeline/` is that template rendered with the example inputs (the project
`bundleops demo` runs by default), and `examples/orders_lakeflow/` the same with `pipeline:
lakeflow` (a Lakeflow Declarative Pipeline with its schema and volume, `bundleops demo --example
orders_lakeflow`). They are folders of files, not Python modules: pyproject.toml
ships them as package data, and nothing imports from them.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

HERE = Path(__file__).resolve().parent
BUNDLE_TEMPLATE = HERE / "bundle-template"
EXAMPLES = HERE / "examples"
EXAMPLE_PROJECT = EXAMPLES / "orders_pipeline"
LAKEFLOW_EXAMPLE = EXAMPLES / "orders_lakeflow"


def read_template_file(name: str) -> str:
    """A file of the bundle template's top folder, read through importlib.resources so that it also
    reads from a zipped package: `bundleops init`'s options come from the schema, and every command
    (even `--version`) builds all the parsers."""
    return (resources.files(__name__) / "bundle-template" / name).read_text(encoding="utf-8")


def example_names() -> list[str]:
    """The shipped example projects, read through importlib.resources (every command builds the
    demo's parser, also from a zipped package)."""
    examples = resources.files(__name__) / "examples"
    return sorted(entry.name for entry in examples.iterdir() if (entry / "databricks.yml").is_file())
