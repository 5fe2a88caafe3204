"""The embedded local workspace: a loopback server that speaks the Databricks REST API.

    with LocalWorkspace(Path("state")) as workspace:
        os.environ.update(workspace.env())   # DATABRICKS_HOST, CLIENT_ID/SECRET, AUTH_TYPE
        ...                                  # the real databricks-sdk (and CLI stand-in) talk to it

It lets tests and `bundleops demo` run every step over real HTTP with no Databricks account:
OAuth, SCIM Me, Workspace and workspace-files, Files for volumes, Unity Catalog schemas, volumes
and tables, Pipelines, Jobs and runs that execute their tasks as local processes. See docs/local-workspace.md.
"""

from __future__ import annotations

from pathlib import Path
from types import TracebackType

from bundleops.localworkspace import oauth, scim, workspace_api
from bundleops.localworkspace.files_api import VolumeStore
from bundleops.localworkspace.identity import Directory, FederationPolicy
from bundleops.localworkspace.jobs_api import JobStore
from bundleops.localworkspace.layout import Layout
from bundleops.localworkspace.pipeline_permissions import PipelinePermissions
from bundleops.localworkspace.pipeline_runner import SparkUpdateRunner
from bundleops.localworkspace.pipelines_api import Pipelines
from bundleops.localworkspace.runs import KILL_GRACE_SECONDS, RunManager
from bundleops.localworkspace.server import Dispatcher, HttpServer
from bundleops.localworkspace.unity_catalog import UnityCatalog
from bundleops.localworkspace.workspace_tree import WorkspaceTree

__all__ = ["LocalWorkspace", "FederationPolicy"]

DEV_USER = "dev.user@example.com"


class LocalWorkspace:
    """One local workspace with one CI service principal and one human user (a PAT), started on
    127.0.0.1 (`port=0`: a free port). `latency_seconds` delays every API request by that much,
    modelling a real workspace's round trip (e.g. 0.1) for benchmarks."""

    def __init__(self, state_dir: Path, *, port: int = 0, token_ttl_seconds: int = 3600, latency_seconds: float = 0.0) -> None:
        # Resolved once, here: task processes start in their own folders, so every path handed
        # to them (script, notebook, wheel working folder, mounts) must not depend on the cwd.
        self.layout = Layout(Path(state_dir).resolve())
        self.layout.create()
        self.directory = Directory(token_ttl_seconds=token_ttl_seconds)
        self.client_id, self.client_secret = self.directory.add_service_principal()
        self.user_token = self.directory.add_user(DEV_USER)
        self.dispatcher = Dispatcher([], self.directory, latency_seconds)
        self._server = HttpServer(port, self.dispatcher)
        self.host = f"http://127.0.0.1:{self._server.port}"
        tree = WorkspaceTree(self.layout.workspace_dir)
        jobs = JobStore()
        self.updates = SparkUpdateRunner(tree, self.layout)
        pipelines = Pipelines(self.updates)
        self.runs = RunManager(jobs, tree, self.layout.runs_dir, lambda: self.host, self.layout.subprocess_env(), pipelines)
        self.dispatcher.routes = [
            *oauth.routes(self.directory, self.host),
            *scim.routes(self.directory),
            *workspace_api.routes(tree),
            *VolumeStore(self.layout.volumes_dir).routes(),
            *UnityCatalog(self.layout.volumes_dir, self.layout.warehouse_dir).routes(),
            *pipelines.routes(),
            *PipelinePermissions(pipelines).routes(),
            *jobs.routes(),
            *self.runs.routes(),
        ]

    def add_service_principal(self, display_name: str = "bundleops-ci") -> tuple[str, str]:
        """Another service principal (e.g. one per target); returns (client id, client secret)."""
        return self.directory.add_service_principal(display_name)

    def add_federation_policy(self, policy: FederationPolicy) -> None:
        """Let an OIDC identity provider's tokens be exchanged for the policy's service principal."""
        self.directory.add_federation_policy(policy)

    def env(self) -> dict[str, str]:
        """The variables that point databricks-sdk and the CLI at this workspace as the CI service principal."""
        return {
            "DATABRICKS_HOST": self.host,
            "DATABRICKS_CLIENT_ID": self.client_id,
            "DATABRICKS_CLIENT_SECRET": self.client_secret,
            "DATABRICKS_AUTH_TYPE": "oauth-m2m",
        }

    def start(self) -> LocalWorkspace:
        self._server.start()
        return self

    def stop(self) -> None:
        self.runs.cancel_all()
        self.updates.stop_all(KILL_GRACE_SECONDS + 10)
        self._server.stop()

    def __enter__(self) -> LocalWorkspace:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()
