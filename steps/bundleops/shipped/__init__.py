"""The project folders the wheel ships, so a team can start without a clone of this repository.

`bundle-template/` is the `databricks bundle init` template that `bundleops init` renders, and
`examples/orders_pipeline/` is that template rendered with the example inputs (the project
`bundleops demo` runs by default). They are folders of files, not Python modules: pyproject.toml
ships them as package data, and nothing imports from them.
"""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).resolve().parent
BUNDLE_TEMPLATE = HERE / "bundle-template"
EXAMPLE_PROJECT = HERE / "examples" / "orders_pipeline"

