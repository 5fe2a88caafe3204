"""One local SparkSession for every Spark test of this folder (the machine has 2 shared cores)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.support.gotemplate import EXAMPLE_DIR


@pytest.fixture(scope="session")
def local_spark(tmp_path_factory):
    from bundleops.testrunner.spark import local_session

    session = local_session(warehouse_dir=tmp_path_factory.mktemp("warehouse"))
    yield session
    session.stop()


@pytest.fixture
def example_copy(tmp_path) -> Path:
    """A private copy of the example project (bundleops.shipped) that a test may change."""
    project = tmp_path / "orders_pipeline"
    shutil.copytree(EXAMPLE_DIR, project)
    return project
