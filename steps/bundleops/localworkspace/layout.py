"""Where the local workspace keeps its state on disk, and how a task process finds it.

Inside Databricks, `/Workspace/...` and `/Volumes/...` are FUSE mounts a task reads like local
folders, and Spark reads every catalog's tables. The local workspace keeps them as folders under
its state folder (the tables in Spark's warehouse layout, one folder per catalog) and hands their
locations to every task process in environment variables, which `bundleops.mounts` reads;
nothing else about the server (host, credentials) reaches the task.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bundleops.mounts import VOLUMES_ROOT_ENV, WAREHOUSE_ROOT_ENV, WORKSPACE_ROOT_ENV


@dataclass(frozen=True)
class Layout:
    root: Path

    @property
    def workspace_dir(self) -> Path:
        """What `/Workspace` is: notebooks, workspace files, bundle deployments."""
        return self.root / "workspace"

    @property
    def volumes_dir(self) -> Path:
        """What `/Volumes` is: `<catalog>/<schema>/<volume>/...`."""
        return self.root / "volumes"

    @property
    def warehouse_dir(self) -> Path:
        """The local catalog's tables: `<catalog>/<schema>.db/<table>/`, Spark's warehouse layout per catalog."""
        return self.root / "warehouse"

    @property
    def runs_dir(self) -> Path:
        """Per-run scratch folders (a task's working directory and its log files)."""
        return self.root / "runs"

    @property
    def pipelines_dir(self) -> Path:
        """Pipelines' storage, one folder per pipeline: streaming checkpoints and update logs."""
        return self.root / "pipelines"

    @property
    def info_file(self) -> Path:
        """Host and credentials of the running workspace (mode 0600), which `bundleops local-env` reads."""
        return self.root / "info.json"

    @property
    def bin_dir(self) -> Path:
        """Where `bundleops local-env` writes the `databricks` stand-in's executable."""
        return self.root / "bin"

    def create(self) -> None:
        for folder in (self.workspace_dir, self.volumes_dir, self.warehouse_dir, self.runs_dir, self.pipelines_dir):
            folder.mkdir(parents=True, exist_ok=True)

    def subprocess_env(self) -> dict[str, str]:
        return {WORKSPACE_ROOT_ENV: str(self.workspace_dir.resolve()), VOLUMES_ROOT_ENV: str(self.volumes_dir.resolve()),
                WAREHOUSE_ROOT_ENV: str(self.warehouse_dir.resolve())}
