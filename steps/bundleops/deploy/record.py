"""The deployment record: what was deployed where, by which run, for audit and for the job summary.

Written as `<report dir>/deployment-<bundle target>.json`, which every template keeps as a CI artifact.
It names the bundle's own target (what the CLI deployed) and the role it stood for.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

from bundleops.context import CIContext
from bundleops.output import markdown as md
from bundleops.output.redact import write_redacted
from bundleops.plan.roles import TargetRef


@dataclass(frozen=True)
class DeploymentRecord:
    bundle: str
    target: str
    role: str
    workspace_host: str | None
    root_path: str | None
    deployed_by: str | None
    commit: str | None
    branch: str | None
    tag: str | None
    pr_number: int | None
    author: str | None
    run_url: str | None
    ci_system: str
    event: str
    jobs: dict[str, dict[str, str]]
    cli_version: str
    deployed_at: str
    # The pull request's own deployment (deployments.naming); None: the target's shared deployment.
    deployment: str | None = None
    # Every other kind the bundle deployed (pipelines, schemas, volumes, ...), each like `jobs`.
    resources: dict[str, dict[str, dict[str, str]]] = field(default_factory=dict)

    @classmethod
    def build(cls, summary: dict[str, Any], target: TargetRef, context: CIContext, cli_version: str, deployment: str | None = None) -> DeploymentRecord:
        workspace = summary.get("workspace") or {}
        deployed = {kind: _identities(resources) for kind, resources in sorted((summary.get("resources") or {}).items()) if isinstance(resources, dict)}
        jobs = deployed.pop("jobs", {})
        return cls(
            bundle=str((summary.get("bundle") or {}).get("name")), target=target.bundle_target, role=target.role, workspace_host=workspace.get("host"),
            root_path=workspace.get("root_path"), deployed_by=(workspace.get("current_user") or {}).get("userName"),
            commit=context.sha, branch=context.branch, tag=context.tag, pr_number=context.pr_number, author=context.author,
            run_url=context.run_url, ci_system=context.vendor, event=context.event, jobs=jobs, cli_version=cli_version,
            deployed_at=datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"), deployment=deployment, resources=deployed,
        )

    @classmethod
    def read(cls, path: Path) -> DeploymentRecord:
        return cls(**json.loads(path.read_text(encoding="utf-8")))

    def deployed(self) -> Iterator[tuple[str, str, dict[str, str]]]:
        """(kind, key, id/name/URL) of every resource deployed, jobs first."""
        for kind, resources in {"jobs": self.jobs, **self.resources}.items():
            for key, resource in resources.items():
                yield kind, key, resource

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def write(self, report_dir: Path) -> Path:
        path = report_dir / f"deployment-{self.target}.json"
        write_redacted(path, json.dumps(self.to_dict(), indent=2) + "\n")
        return path

    def markdown(self) -> str:
        """The summary of the deploy; every value (the bundle's names, the branch, the author) as code."""
        change = f"PR #{self.pr_number}" if self.pr_number else md.code(self.tag or self.branch or "-")
        rows = "\n".join(f"| {md.code(f'{kind}.{key}', cell=True)} | {md.code(resource.get('id', '-'), cell=True)} | {md.code(resource.get('name', ''), cell=True)} |"
                         for kind, key, resource in self.deployed())
        deployment = f", deployment {md.code(self.deployment)}" if self.deployment else ""
        return (
            f"### bundleops deploy: {md.code(self.bundle)} to {md.code(TargetRef(self.role, self.target).describe())}{deployment}\n\n"
            f"Commit {md.code((self.commit or '-')[:12])} ({change}) by {md.code(self.author or '-')}, deployed as {md.code(self.deployed_by or '-')} "
            f"to {md.code(self.workspace_host or '-')} at {self.deployed_at} with databricks CLI {md.code(self.cli_version)}.\n\n"
            f"| resource | id | name |\n|---|---|---|\n{rows}\n"
        )


def _identities(resources: dict[str, Any]) -> dict[str, dict[str, str]]:
    """Per resource key what identifies it in the workspace: id, name and URL, as `bundle summary` gives them."""
    return {key: {name: str(resource[name]) for name in ("id", "name", "url") if resource.get(name)}
            for key, resource in sorted(resources.items()) if isinstance(resource, dict)}
