"""`bundleops validate` policy findings, exactly: one per key the user wrote, at its file and line.

Each bundle goes through the CLI stand-in against the local workspace, so the policy reads the
configuration the CLI resolved (folders derived from `root_path`, task files synced under
`file_path`) and still points at the line the user wrote.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.steps.project import JOBS, ROOT, bundleops, shop_project

pytestmark = pytest.mark.integration

FINDING = re.compile(r"^ERROR: (?P<file>[^\s:]+):(?P<line>\d+): (?P<key>\S+): (?P<message>.*)$")
PERSONAL = "/Workspace/Users/dana@example.com"
SQL_TASKS = """
        - task_key: orders_report
          sql_task:
            warehouse_id: abc123
            file:
              path: ../src/report.sql
        - task_key: orders_check
          sql_task:
            warehouse_id: abc123
            file:
              path: ../src/check.sql
"""


def findings(output: str) -> list[tuple[str, int, str, str]]:
    """(file, line, key, message) of every located error the step printed."""
    return [(m["file"], int(m["line"]), m["key"], m["message"]) for m in map(FINDING.match, output.splitlines()) if m]


def _validate(folder: Path, env: dict[str, str], target: str, changes: dict[str, str]) -> tuple[int, str]:
    result = bundleops(["validate", "--target", target], shop_project(folder, changes=changes), env)
    return result.returncode, result.stdout + result.stderr


def _personal(file: str, line: int, key: str, folder: str = "/Users/dana@example.com") -> tuple[str, int, str, str]:
    """The one finding expected for a personal path written at `file:line`."""
    return (file, line, key, f"points into a person's folder ({folder}), which a shared target must not depend on: "
            "use /Workspace/Shared/... or the service principal's folder")


def _line_of(text: str, needle: str) -> int:
    """1-based line of the first line containing `needle`, in the file as write_bundle writes it (leading newline dropped)."""
    return next(number for number, line in enumerate(text.lstrip("\n").splitlines(), start=1) if needle in line)


def test_a_personal_root_path_is_one_finding_however_many_paths_derive_from_it(tmp_path: Path, env: dict[str, str]) -> None:
    """Before: root, file, artifact, state and resource paths were five findings, eight with two SQL files synced."""
    root = ROOT.replace("root_path: /Workspace/Shared/", f"root_path: {PERSONAL}/")
    jobs = JOBS + SQL_TASKS
    code, out = _validate(tmp_path, env, "staging", {
        "databricks.yml": root, "resources/jobs.yml": jobs, "src/report.sql": "SELECT 1;\n", "src/check.sql": "SELECT 2;\n"})
    assert code == 1, out
    assert findings(out) == [_personal("databricks.yml", _line_of(root, "root_path:"), "targets.staging.workspace.root_path")]


def test_a_dotdot_cannot_hide_a_personal_folder(tmp_path: Path, env: dict[str, str]) -> None:
    """`/Users/team/../dana@...` has no e-mail right after /Users/ as written; the workspace resolves it into dana's folder."""
    root = ROOT.replace("root_path: /Workspace/Shared/", "root_path: /Workspace/Users/team/../dana@example.com/")
    code, out = _validate(tmp_path, env, "staging", {"databricks.yml": root})
    assert code == 1, out
    resolved = "/Users/dana@example.com, once `..` is resolved: /Workspace/Users/dana@example.com/.bundle/shop/staging"
    assert findings(out) == [_personal("databricks.yml", _line_of(root, "root_path:"), "targets.staging.workspace.root_path", resolved)]


def test_a_dotdot_that_leaves_a_personal_folder_is_not_a_finding(tmp_path: Path, env: dict[str, str]) -> None:
    root = ROOT.replace("root_path: /Workspace/Shared/", "root_path: /Workspace/Users/dana@example.com/../../Shared/")
    code, out = _validate(tmp_path, env, "staging", {"databricks.yml": root})
    assert code == 0, out
    assert findings(out) == []


def test_a_personal_path_written_in_a_job_is_its_own_finding_at_its_line(tmp_path: Path, env: dict[str, str]) -> None:
    jobs = JOBS.replace("default: unknown", f"default: {PERSONAL}/scratch/commit.txt")
    code, out = _validate(tmp_path, env, "staging", {"resources/jobs.yml": jobs})
    assert code == 1, out
    assert findings(out) == [_personal("resources/jobs.yml", _line_of(jobs, "scratch/commit.txt"), "resources.jobs.shop_test_job.parameters[1].default")]


def test_every_unsafe_setting_is_one_finding_where_it_is_written_or_belongs(tmp_path: Path, env: dict[str, str]) -> None:
    """mode written as development: at its line; run_as and permissions not written: at the target, and at the job."""
    root = ROOT.replace("  staging:\n    mode: production", "  staging:\n    mode: development").replace(
        "    run_as:\n      service_principal_name: 11111111-2222-3333-4444-555555555555\n", ""
    ).replace("    permissions:\n      - level: CAN_VIEW\n        group_name: data-team\n", "")
    code, out = _validate(tmp_path, env, "staging", {"databricks.yml": root})
    assert code == 2, out  # the CLI itself rejects the shared root_path in development mode; the findings still show
    assert "rejected the bundle configuration: root_path must start with '~/'" in out
    assert findings(out) == [
        ("databricks.yml", _line_of(root, "  staging:") + 1, "targets.staging.mode",
         "a shared target must set `mode: production` (it is development): development mode prefixes names, pauses schedules and deploys as whoever runs it"),
        ("databricks.yml", _line_of(root, "  staging:"), "targets.staging.run_as",
         "a shared target must run its jobs as a service principal: `run_as: {service_principal_name: <application id>}` (it is unset (jobs would run as the deployer))"),
        ("resources/jobs.yml", _line_of(JOBS, "shop_test_job:"), "resources.jobs.shop_test_job.permissions",
         "has no permissions: set `permissions` on the target (who may view and manage its jobs)"),
    ]


def test_the_test_job_is_required_only_where_the_plan_runs_tests(tmp_path: Path, env: dict[str, str]) -> None:
    jobs = JOBS.replace("shop_test_job", "shop_checks")
    code, out = _validate(tmp_path / "dev", env, "dev", {"resources/jobs.yml": jobs})
    assert code == 0, out  # the default rules never test on dev
    assert findings(out) == []

    code, out = _validate(tmp_path / "staging", env, "staging", {"resources/jobs.yml": jobs})
    assert code == 1, out
    assert findings(out) == [(
        "resources/jobs.yml", _line_of(jobs, "jobs:"), "resources.jobs.shop_test_job",
        "the integration-test job is missing (jobs: shop_checks); the plan runs tests on this target: "
        "add it (the bundle template's resources/<project>_test_job.yml) or name yours in bundleops.yml test.job",
    )]

    tests_on_dev = "rules:\n  - name: everything-on-dev\n    target: dev\n    steps: [unit, validate, deploy, test]\n"
    code, out = _validate(tmp_path / "dev-tests", env, "dev", {"resources/jobs.yml": jobs, "bundleops.yml": tests_on_dev})
    assert code == 1, out
    assert [finding[2] for finding in findings(out)] == ["resources.jobs.shop_test_job"]
