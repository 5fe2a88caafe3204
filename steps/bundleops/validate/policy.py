"""bundleops' rules for a resolved bundle configuration (`databricks bundle validate -o json`).

The CLI checks that a bundle is well-formed; these rules check that it is safe to promote:
shared roles run as a service principal in production mode, nothing deploys into a person's
home folder, the integration-test job exists where the plan runs tests, the resources carry
permissions, and each deployment of dev and staging writes its own schema (isolation.py).

A finding is what a team fixes, so there is one per key the user wrote, at its file and line
(see locate.py). A value the CLI derived from another one is not a finding of its own: a
personal `root_path` is one finding, not one more for each of the file, artifact, state and
resource folders under it and each task file synced there.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bundleops.config import ProjectConfig
from bundleops.plan.planner import roles_that_test
from bundleops.plan.roles import TargetRef
from bundleops.validate import isolation
from bundleops.validate.locate import Locator
from bundleops.validate.values import strings

SHARED_ROLES = ("staging", "prod")
# A person's folder is named by their e-mail address; a service principal's by its application id.
_PERSONAL_PATH = re.compile(r"/Users/[^/]*@[^/]*")
_ABSOLUTE_PATH = re.compile(r"/[^\s'\",;]*")
WORKSPACE_FOLDERS = ("root_path", "file_path", "artifact_path", "state_path", "resource_path")
PERSONAL_FIX = "which a shared target must not depend on: use /Workspace/Shared/... or the service principal's folder"


@dataclass(frozen=True)
class Finding:
    message: str
    key: str
    file: str
    line: int | None = None

    def render(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.key}: {self.message}"


def test_job_key(resolved: dict[str, Any], config: ProjectConfig) -> str:
    return config.test.job or f"{resolved.get('bundle', {}).get('name', '')}_test_job"


def check(resolved: dict[str, Any], target: TargetRef, project_root: Path, config: ProjectConfig) -> list[Finding]:
    where = Locator.of(project_root, target.bundle_target)
    findings: list[Finding] = []
    if target.role in SHARED_ROLES:
        findings += _production_mode(resolved, where)
        findings += _service_principal_run_as(resolved, where)
        findings += _personal_paths(resolved, where)
        findings += _permissions(resolved, where)
    if target.role in isolation.ROLES_WITH_MANY_DEPLOYMENTS:
        findings += [_on_resource(where, key, message) for key, message in isolation.findings(resolved, where)]
    if target.role in roles_that_test(config):
        findings += _test_job(resolved, where, config)
    unique = {(finding.file, finding.line, finding.key): finding for finding in findings}
    return list(unique.values())


def _at(where: Locator, key: str, message: str) -> Finding:
    """A finding on a target setting: where the user wrote it, else where it goes (under the target)."""
    written = where.setting(key)
    return Finding(message, written.key, written.file, written.line)


def _on_resource(where: Locator, key: str, message: str) -> Finding:
    written = where.resource(key)
    return Finding(message, written.key, written.file, written.line)


def _production_mode(resolved: dict[str, Any], where: Locator) -> list[Finding]:
    mode = resolved.get("bundle", {}).get("mode")
    if mode == "production":
        return []
    return [_at(where, "mode", f"a shared target must set `mode: production` (it is {mode or 'unset'}): development mode prefixes names, pauses schedules and deploys as whoever runs it")]


def _service_principal_run_as(resolved: dict[str, Any], where: Locator) -> list[Finding]:
    run_as = resolved.get("run_as") or {}
    if run_as.get("service_principal_name"):
        return []
    who = f"user {run_as['user_name']}" if run_as.get("user_name") else "unset (jobs would run as the deployer)"
    return [_at(where, "run_as", f"a shared target must run its jobs as a service principal: `run_as: {{service_principal_name: <application id>}}` (it is {who})")]


def _normalised(value: str) -> str:
    """Every absolute path in the value with `.`, `..` and doubled slashes resolved, as the workspace resolves them."""
    return _ABSOLUTE_PATH.sub(lambda match: posixpath.normpath(match.group(0)), value)


def _personal_message(value: str) -> str | None:
    normalised = _normalised(value)
    match = _PERSONAL_PATH.search(normalised)
    if match is None:
        return None
    resolved = "" if normalised == value else f", once `..` is resolved: {normalised}"
    return f"points into a person's folder ({match.group(0)}{resolved}), {PERSONAL_FIX}"


def _is_under(value: str, folders: list[str]) -> bool:
    normalised = _normalised(value)
    return any(normalised == folder or normalised.startswith(folder + "/") for folder in folders)


def _personal_paths(resolved: dict[str, Any], where: Locator) -> list[Finding]:
    """One finding per written personal path; folders and files the CLI put under one are derived from it."""
    workspace = resolved.get("workspace") or {}
    findings: list[Finding] = []
    personal_folders: list[str] = []
    for key in WORKSPACE_FOLDERS:
        value = workspace.get(key)
        message = _personal_message(value) if isinstance(value, str) else None
        if message is None:
            continue
        if not _is_under(value, personal_folders):
            findings.append(_at(where, f"workspace.{key}", message))
        personal_folders.append(_normalised(value))
    for path, value in strings(resolved.get("resources") or {}, "resources"):
        message = _personal_message(value)
        if message and not _is_under(value, personal_folders):
            findings.append(_on_resource(where, path, message))
    return findings


def _permissions(resolved: dict[str, Any], where: Locator) -> list[Finding]:
    if resolved.get("permissions"):
        return []
    jobs = (resolved.get("resources") or {}).get("jobs") or {}
    return [
        _on_resource(where, f"resources.jobs.{key}.permissions", "has no permissions: set `permissions` on the target (who may view and manage its jobs)")
        for key, job in jobs.items() if not job.get("permissions")
    ] or ([] if jobs else [_at(where, "permissions", "has no permissions")])


def _test_job(resolved: dict[str, Any], where: Locator, config: ProjectConfig) -> list[Finding]:
    key = test_job_key(resolved, config)
    jobs = (resolved.get("resources") or {}).get("jobs") or {}
    if key in jobs:
        return []
    known = ", ".join(sorted(jobs)) or "none"
    return [_on_resource(where, f"resources.jobs.{key}", f"the integration-test job is missing (jobs: {known}); the plan runs tests on this target: add it (the bundle template's resources/<project>_test_job.yml) or name yours in bundleops.yml test.job")]
