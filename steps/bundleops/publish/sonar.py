"""SonarQube analysis with the official scanner (pysonar), configured from the CI context.

Properties reach pysonar through SONAR_SCANNER_JSON_PARAMS (its documented environment
variable), not argv: branch names are untrusted input, and the token stays in SONAR_TOKEN,
which pysonar reads itself. A copy of the properties (never the token) is written to
`.bundleops/sonar/scanner-properties.json` for review.

SonarQube imports test-execution reports (`sonar.python.xunit.reportPath`) for branch
analyses only: a pull-request analysis shows coverage but no test counts.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Mapping

import yaml

from bundleops.errors import BundleopsError, ExitCode
from bundleops.child import run_redacted
from bundleops.extras import missing_extra
from bundleops.output.redact import write_redacted

if TYPE_CHECKING:
    from bundleops.context import CIContext
    from bundleops.config import ProjectConfig
    from bundleops.publish.publisher import Published
    from bundleops.step import StepRun

PROPERTIES_FILE = ".bundleops/sonar/scanner-properties.json"
PR_NOTE = ("SonarQube ignores test-execution reports for pull requests: this analysis imports coverage, "
           "but test counts appear only on branch analyses.")


def properties(project_root: Path, config: "ProjectConfig", context: "CIContext", junit_path: Path, coverage_path: Path | None, environ: Mapping[str, str]) -> dict[str, str]:
    """The scanner properties for this project and CI context (no token, no secrets).

    sonar.python.version is left to pysonar, which reads `requires-python` from pyproject.toml:
    the code targets the cluster's Python, not the CI runner's.
    """
    props: dict[str, str] = {
        "sonar.projectKey": config.sonar.project_key or _bundle_name(project_root),
        "sonar.projectBaseDir": str(project_root),
        "sonar.sources": _existing(project_root, config.sonar.sources, "sonar.sources"),
        "sonar.python.xunit.reportPath": _relative(junit_path, project_root),
    }
    tests = [path for path in config.sonar.tests if (project_root / path).is_dir()]
    if tests:
        props["sonar.tests"] = ",".join(tests)
    if coverage_path is not None:
        props["sonar.python.coverage.reportPaths"] = _relative(coverage_path, project_root)
    host = environ.get("SONAR_HOST_URL") or config.sonar.host_url
    if host:
        props["sonar.host.url"] = host
    if config.sonar.organization:
        props["sonar.organization"] = config.sonar.organization
    if context.sha:
        props["sonar.scm.revision"] = context.sha
    if context.run_url:
        props["sonar.links.ci"] = context.run_url
    props.update(_branch_properties(context, config))
    return props


def _branch_properties(context: "CIContext", config: "ProjectConfig") -> dict[str, str]:
    """Pull-request decoration, or the branch name; none for the default branch (the main branch in SonarQube)."""
    if context.event == "pull_request" and context.pr_number is not None:
        pr = {"sonar.pullrequest.key": str(context.pr_number)}
        if context.branch:
            pr["sonar.pullrequest.branch"] = context.branch
        if context.target_branch:
            pr["sonar.pullrequest.base"] = context.target_branch
        return pr
    default_branch = context.default_branch or config.default_branch
    if context.branch and context.branch != default_branch:
        return {"sonar.branch.name": context.branch}
    return {}


def analyse(run: "StepRun", published: "Published", *, dry_run: bool = False, timeout: float) -> int:
    """Run pysonar, for at most `timeout` seconds; 0 when the analysis was submitted (or the dry run passed)."""
    if timeout <= 0:
        raise BundleopsError(f"the scanner time limit is {timeout:g}s", fix="set sonar.scanner_timeout_seconds (or --sonar-timeout) to a number of seconds above 0")
    project_root = run.project_root.resolve()
    environ = run.out.environ
    props = properties(project_root, run.config, run.context, published.junit_path.resolve(), published.coverage_path.resolve() if published.coverage_path else None, environ)
    if not dry_run:
        _require_server(props, environ)
    if "sonar.pullrequest.key" in props:
        run.out.warning(PR_NOTE, title="SonarQube")
    saved = project_root / PROPERTIES_FILE
    write_redacted(saved, json.dumps(props, indent=2, sort_keys=True) + "\n")
    run.out.info(f"SonarQube properties: {saved}")
    try:
        code = _run_scanner(props, project_root, environ, dry_run=dry_run, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise BundleopsError(
            f"the SonarQube scanner (pysonar) did not finish within {timeout:g}s: stopped it and every process it started "
            f"(pysonar has no network time-out; is {props.get('sonar.host.url', 'the server')} answering?)",
            fix="check that the CI agent reaches the SonarQube server (proxy, firewall, server load), "
            "or raise sonar.scanner_timeout_seconds (--sonar-timeout) for a large project",
            code=ExitCode.EXTERNAL_FAILURE,
        ) from None
    if code != 0:
        raise BundleopsError(
            f"the SonarQube scanner (pysonar{' --dry-run' if dry_run else ''}) exited with {code}; its log is above",
            fix="fix the configuration the scanner names" if dry_run else "check the scanner log above, the server URL and SONAR_TOKEN's permissions (Execute Analysis)",
            code=ExitCode.BAD_INPUT if dry_run else ExitCode.EXTERNAL_FAILURE,
        )
    if not dry_run:
        run.out.info("analysis submitted; wait for the quality gate with `bundleops quality-gate`")
    return 0


def _require_server(props: Mapping[str, str], environ: Mapping[str, str]) -> None:
    if "sonar.host.url" not in props:
        raise BundleopsError("no SonarQube server URL: SONAR_HOST_URL is unset and bundleops.yml has no sonar.host_url", fix="set SONAR_HOST_URL (a CI variable) or sonar.host_url in bundleops.yml")
    if not environ.get("SONAR_TOKEN"):
        raise BundleopsError("SONAR_TOKEN is not set", fix="store a SonarQube analysis token as a secret CI variable named SONAR_TOKEN (never pass it on the command line)")


def _run_scanner(props: Mapping[str, str], project_root: Path, environ: Mapping[str, str], *, dry_run: bool, timeout: float) -> int:
    scanner = _scanner()
    env = dict(environ)
    env["SONAR_SCANNER_JSON_PARAMS"] = json.dumps(dict(props))
    return run_redacted([scanner, "--dry-run"] if dry_run else [scanner], cwd=project_root, env=env, timeout=timeout)


def _scanner() -> str:
    """pysonar next to this interpreter (the bundleops[sonar] extra), else on PATH."""
    local = Path(sys.executable).parent / "pysonar"
    found = str(local) if local.is_file() else shutil.which("pysonar")
    if not found:
        raise missing_extra("sonar", "bundleops publish --sonar", ["pysonar"])
    return found


def _bundle_name(project_root: Path) -> str:
    path = project_root / "databricks.yml"
    try:
        name = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("bundle", {}).get("name")
    except (OSError, yaml.YAMLError, AttributeError):
        name = None
    if not name:
        raise BundleopsError(f"no SonarQube project key: sonar.project_key is unset and {path} names no bundle", fix="set sonar.project_key in bundleops.yml")
    return str(name)


def _existing(project_root: Path, paths: list[str], key: str) -> str:
    present = [path for path in paths if (project_root / path).exists()]
    if not present:
        raise BundleopsError(f"{key}: none of {paths} exists under {project_root}", fix="set sonar.sources in bundleops.yml to the folders holding the project's code")
    return ",".join(present)


def _relative(path: Path, root: Path) -> str:
    return os.path.relpath(path, root) if path.is_relative_to(root) else str(path)
