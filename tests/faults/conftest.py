"""One deployed bundle per test module (a deploy costs seconds; every case leaves no run active)."""

from __future__ import annotations

from typing import Iterator

import pytest

from tests.faults.bench import Bench, deploy_bench


@pytest.fixture(scope="module")
def bench(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bench]:
    from bundleops.localcli.shim import write_shim
    from bundleops.localworkspace import LocalWorkspace

    folder = tmp_path_factory.mktemp("faults")
    write_shim(folder / "bin")
    with LocalWorkspace(folder / "local-workspace") as workspace:
        yield deploy_bench(folder, workspace, folder / "bin")
