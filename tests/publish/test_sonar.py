"""`bundleops publish --sonar`: scanner properties from the CI context, checked by the real pysonar.

`pysonar --dry-run` (pysonar 1.x) validates the configuration and the coverage report without
contacting the server or downloading the scanner engine or a JRE: the tests point every proxy
at a closed port, give it a SonarQube stand-in that records every request, and check that the
stand-in saw none and that pysonar's cache folder stayed empty.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.context import snapshots
from tests.publish.sample_project import write_project
from tests.publish.test_publish_cli import reported  # noqa: F401 - the module fixture: a project with reports
from tests.support.console import run_bundleops
from tests.support.sonar_standin import SonarStandIn

NO_NETWORK = {"HTTP_PROXY": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9", "NO_PROXY": ""}


@pytest.fixture
def project(reported: Path, tmp_path: Path) -> Path:  # noqa: F811
    return Path(shutil.copytree(reported, tmp_path / "repo"))


def dry_run(project: Path, vendor: str, scenario: str, tmp_path: Path, sonar: SonarStandIn) -> tuple["subprocess.CompletedProcess[str]", dict[str, str]]:  # noqa: F821
    env = snapshots.environment(vendor, scenario, tmp_path)
    env.update(NO_NETWORK, SONAR_HOST_URL=sonar.url, SONAR_TOKEN=sonar.token, SONAR_USER_HOME=str(tmp_path / "sonar-home"))
    if vendor == "github":
        env["GITHUB_STEP_SUMMARY"] = str(tmp_path / "summary.md")
    result = run_bundleops(["publish", "--sonar-dry-run"], env=env, cwd=project)
    props = json.loads((project / ".bundleops/sonar/scanner-properties.json").read_text())
    return result, props


def test_pull_request_properties_pass_pysonar_dry_run_offline(project: Path, tmp_path: Path) -> None:
    with SonarStandIn() as sonar:
        result, props = dry_run(project, "github", "pull_request", tmp_path, sonar)
        assert sonar.requests == []
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert props == {
        "sonar.projectKey": "p",
        "sonar.projectBaseDir": str(project.resolve()),
        "sonar.sources": "src",
        "sonar.tests": "tests",
        "sonar.python.xunit.reportPath": "test-results/junit.xml",
        "sonar.python.coverage.reportPaths": "test-results/coverage.xml",
        "sonar.host.url": sonar.url,
        "sonar.scm.revision": snapshots.HEAD_SHA,
        "sonar.links.ci": "https://github.com/acme/orders/actions/runs/9001",
        "sonar.pullrequest.key": str(snapshots.PR),
        "sonar.pullrequest.branch": snapshots.FEATURE,
        "sonar.pullrequest.base": "main",
    }
    assert "DRY RUN MODE" in output and "Coverage report check passed: test-results/coverage.xml" in output
    assert "Configuration validation PASSED" in output
    assert "SonarQube ignores test-execution reports for pull requests" in output
    assert sonar.token not in output
    assert not any(path.is_file() for path in (tmp_path / "sonar-home").rglob("*"))  # no engine, no JRE


@pytest.mark.parametrize(("scenario", "branch_props"), [
    ("push_other", {"sonar.branch.name": snapshots.FEATURE}),
    ("push_default", {}),  # the default branch is SonarQube's main branch: no branch property
])
def test_branch_properties(project: Path, tmp_path: Path, scenario: str, branch_props: dict[str, str]) -> None:
    with SonarStandIn() as sonar:
        result, props = dry_run(project, "gitlab", scenario, tmp_path, sonar)
    assert result.returncode == 0, result.stdout + result.stderr
    assert {k: v for k, v in props.items() if k.startswith(("sonar.branch", "sonar.pullrequest"))} == branch_props
    assert props["sonar.scm.revision"] == snapshots.PUSH_SHA
    assert "test-execution reports" not in result.stdout + result.stderr


def test_dry_run_refuses_a_missing_coverage_report(project: Path, tmp_path: Path) -> None:
    """pysonar's own validation is what decides: publish without coverage, then the report is gone."""
    shutil.rmtree(project / ".bundleops/reports/unit")
    (project / ".bundleops/reports/integration/coverage.xml").unlink()
    with SonarStandIn() as sonar:
        result, props = dry_run(project, "jenkins", "push_default", tmp_path, sonar)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "sonar.python.coverage.reportPaths" not in props
    assert "No coverage report paths specified" in result.stdout + result.stderr


def test_real_analysis_needs_token_and_server(project: Path, tmp_path: Path) -> None:
    env = {**NO_NETWORK, "SONAR_HOST_URL": "http://127.0.0.1:9"}
    result = run_bundleops(["publish", "--sonar"], env=env, cwd=project)
    assert result.returncode == 2 and "SONAR_TOKEN is not set" in result.stderr
    result = run_bundleops(["publish", "--sonar"], env={**NO_NETWORK, "SONAR_TOKEN": "squ_x"}, cwd=project)
    assert result.returncode == 2 and "no SonarQube server URL" in result.stderr


def command_lines_holding(secret: str) -> list[str]:
    """The command lines of the processes running right now that contain `secret`."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            text = cmdline.read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
        except OSError:  # the process ended meanwhile
            continue
        if secret in text:
            found.append(text)
    return found


def test_real_analysis_against_the_standin_fails_loudly(project: Path, tmp_path: Path) -> None:
    """pysonar's bootstrap calls the stand-in does not model: 501, the scanner fails, publish exits 3.

    While pysonar waits for the stand-in's answer, no process on the machine has the token on
    its command line: it travels in SONAR_TOKEN only.
    """
    token_on_argv: list[str] = []
    with SonarStandIn() as sonar:
        sonar.on_request = lambda _request: token_on_argv.extend(command_lines_holding(sonar.token))
        env = {**NO_NETWORK, "NO_PROXY": "127.0.0.1", "SONAR_HOST_URL": sonar.url, "SONAR_TOKEN": sonar.token, "SONAR_USER_HOME": str(tmp_path / "home")}
        result = run_bundleops(["publish", "--sonar"], env=env, cwd=project, timeout=120)
        assert sonar.requests, "pysonar never reached the stand-in"
    assert token_on_argv == []
    assert result.returncode == 3, result.stdout + result.stderr
    assert "the SonarQube scanner (pysonar) exited with" in result.stderr
    assert sonar.token not in result.stdout + result.stderr


def test_project_key_from_config_and_missing_sources(tmp_path: Path) -> None:
    project = write_project(tmp_path / "repo")
    (project / "bundleops.yml").write_text("sonar:\n  project_key: acme_orders\n  sources: [lib]\n")
    assert run_bundleops(["unit", "--project-root", str(project)]).returncode == 1
    result = run_bundleops(["publish", "--sonar-dry-run"], env=NO_NETWORK, cwd=project)
    assert result.returncode == 2 and "sonar.sources: none of ['lib'] exists" in result.stderr
