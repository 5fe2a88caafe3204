"""bundleops' rules for a resolved bundle configuration (`databricks bundle validate -o json`).

The CLI checks that a bundle is well-formed; these rules check that it is safe to promote:
shared targets run as a service principal in production mode, nothing deploys into a person's
home folder, the integration-test job exists and the resources carry permissions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from bundleops.config import ProjectConfig
from bundleops.validate.locate import ROOT_FILE, defining_file

SHARED_TARGETS = ("staging", "prod")
_PERSONAL_PATH = re.compile(r"/Users/[^/]*@[^/]*")


@dataclass(frozen=True)
class Finding:
    message: str
    key: str
    file: str

    def render(self) -> str:
        return f"{self.file}: {self.key}: {self.message}"


def test_job_key(resolved: dict[str, Any], config: ProjectConfig) -> str:
    return config.test.job or f"{resolved.get('bundle', {}).get('name', '')}_test_job"


def check(resolved: dict[str, Any], target: str, project_root: Path, config: ProjectConfig) -> list[Finding]:
    findings: list[Finding] = []
    target_key = f"targets.{target}"
    if target in SHARED_TARGETS:
        findings += _production_mode(resolved, target_key)
        findings += _service_principal_run_as(resolved, target_key)
        findings += _personal_paths(resolved, target_key, project_root)
        findings += _permissions(resolved, target_key, project_root)
    findings += _test_job(resolved, project_root, config)
    return findings


def _production_mode(resolved: dict[str, Any], target_key: str) -> list[Finding]:
    mode = resolved.get("bundle", {}).get("mode")
    if mode == "production":
        return []
    return [Finding(f"a shared target must set `mode: production` (it is {mode or 'unset'}): development mode prefixes names, pauses schedules and deploys as whoever runs it", f"{target_key}.mode", ROOT_FILE)]


def _service_principal_run_as(resolved: dict[str, Any], target_key: str) -> list[Finding]:
    run_as = resolved.get("run_as") or {}
    if run_as.get("service_principal_name"):
        return []
    who = f"user {run_as['user_name']}" if run_as.get("user_name") else "unset (jobs would run as the deployer)"
    return [Finding(f"a shared target must run its jobs as a service principal: `run_as: {{service_principal_name: <application id>}}` (it is {who})", f"{target_key}.run_as", ROOT_FILE)]


def _strings(node: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _strings(value, f"{path}.{key}" if path else str(key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _strings(value, f"{path}[{index}]")
    elif isinstance(node, str):
        yield path, node


def _personal_paths(resolved: dict[str, Any], target_key: str, project_root: Path) -> list[Finding]:
    findings = []
    for section in ("workspace", "resources"):
        for path, value in _strings(resolved.get(section) or {}, section):
            match = _PERSONAL_PATH.search(value)
            if match:
                key = f"{target_key}.{path}" if section == "workspace" else path
                file = ROOT_FILE if section == "workspace" else defining_file(project_root, ".".join(path.split(".")[:3]))
                findings.append(Finding(f"points into a person's folder ({match.group(0)}), which a shared target must not depend on: use /Workspace/Shared/... or the service principal's folder", key, file))
    return findings


def _permissions(resolved: dict[str, Any], target_key: str, project_root: Path) -> list[Finding]:
    if resolved.get("permissions"):
        return []
    jobs = (resolved.get("resources") or {}).get("jobs") or {}
    return [
        Finding("has no permissions: set `permissions` on the target (who may view and manage its jobs)", f"resources.jobs.{key}.permissions", defining_file(project_root, f"resources.jobs.{key}"))
        for key, job in jobs.items() if not job.get("permissions")
    ] or ([] if jobs else [Finding("has no permissions", f"{target_key}.permissions", ROOT_FILE)])


def _test_job(resolved: dict[str, Any], project_root: Path, config: ProjectConfig) -> list[Finding]:
    key = test_job_key(resolved, config)
    jobs = (resolved.get("resources") or {}).get("jobs") or {}
    if key in jobs:
        return []
    known = ", ".join(sorted(jobs)) or "none"
    return [Finding(f"the integration-test job is missing (jobs: {known}); add it (the bundle template's resources/<project>_test_job.yml) or name yours in bundleops.yml test.job", f"resources.jobs.{key}", f"resources/{key}.yml")]
