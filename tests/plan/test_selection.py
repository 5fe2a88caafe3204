"""Discovery and selection of the bundles of one repository, against real git history made in tmp_path.

Three bundles and one shared folder: `bundles/orders` and `bundles/billing` declare the shared
code in `depends_on` (a glob and a folder), `bundles/reports` does not.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bundleops.config import ProjectConfig, load
from bundleops.context.model import CIContext
from bundleops.errors import BundleopsError, ExitCode
from bundleops.plan.discovery import discover
from bundleops.plan.repository import RepositoryPlan, bundle_key, matrix_leg, plan_repository

from tests.context import snapshots
from tests.plan.gitrepo import bundle_file, commit, git, init, write
from tests.support.console import run_bundleops

ALL = ["bundles/billing", "bundles/orders", "bundles/reports"]
PULL_REQUEST = CIContext(vendor="github", event="pull_request", branch="feature", target_branch="main", default_branch="main", pr_number=7)
PUSH = CIContext(vendor="github", event="push", branch="main", default_branch="main")
TODAY_KEYS = ["target", "steps", "requires_approval", "reason", "deployment"]


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """main with three bundles and shared code; checked out on `feature`, branched from it."""
    root = tmp_path / "repo"
    init(root, {
        "README.md": "monorepo\n",
        "shared/util.py": "VALUE = 1\n",
        "bundles/orders/databricks.yml": bundle_file("orders"),
        "bundles/orders/bundleops.yml": "depends_on: ['shared/**/*.py']\n",
        "bundles/orders/src/orders.py": "",
        "bundles/billing/databricks.yml": bundle_file("billing"),
        "bundles/billing/bundleops.yml": "depends_on: [shared]\n",
        "bundles/reports/databricks.yml": bundle_file("reports"),
        ".github/workflows/ci.yml": "jobs:\n  ci:\n    uses: bundleops/bundleops/.github/workflows/bundleops.yml@v1.4.0\n    name: ci\n",
    })
    git(root, "checkout", "--quiet", "-b", "feature")
    return root


def plan(root: Path, context: CIContext = PULL_REQUEST, *, select_all: bool = False) -> RepositoryPlan:
    return plan_repository(root, load(root), context, select_all=select_all)


def selected(result: RepositoryPlan) -> dict[str, str]:
    return {bundle.project_root: bundle.why for bundle in result.bundles}


def test_a_change_in_one_bundle_selects_that_bundle_only(repo: Path) -> None:
    commit(repo, {"bundles/reports/src/report.sql": "select 1\n"})
    result = plan(repo)
    assert selected(result) == {"bundles/reports": "changed bundles/reports/src/report.sql"}
    assert [choice.project_root for choice in result.not_selected] == ["bundles/billing", "bundles/orders"]
    assert "none of the 1 files changed since the merge base" in result.not_selected[0].why
    assert "nor matches its depends_on (shared)" in result.not_selected[0].why


def test_a_change_in_the_shared_code_selects_the_bundles_that_declare_it(repo: Path) -> None:
    commit(repo, {"shared/util.py": "VALUE = 2\n"})
    assert selected(plan(repo)) == {
        "bundles/billing": "changed shared/util.py, which its depends_on 'shared' names",
        "bundles/orders": "changed shared/util.py, which its depends_on 'shared/**/*.py' names",
    }


def test_a_glob_dependency_matches_only_what_it_names(repo: Path) -> None:
    commit(repo, {"shared/notes.md": "not python\n"})
    assert list(selected(plan(repo))) == ["bundles/billing"]


def test_a_change_outside_every_bundle_selects_none(repo: Path) -> None:
    commit(repo, {"README.md": "monorepo, edited\n"})
    result = plan(repo)
    assert result.bundles == [] and len(result.not_selected) == 3
    assert result.plan.target == "staging", "the repository's own plan is kept for the keys a single-bundle template reads"


def test_a_change_to_the_root_bundleops_yml_selects_every_bundle(repo: Path) -> None:
    commit(repo, {"bundleops.yml": "default_branch: main\n"})
    result = plan(repo)
    assert list(selected(result)) == ALL
    assert set(selected(result).values()) == {"changed bundleops.yml at the repository root, which configures every bundle"}


def test_a_moved_version_pin_selects_every_bundle_and_another_edit_of_the_ci_file_none(repo: Path) -> None:
    workflow = (repo / ".github/workflows/ci.yml").read_text(encoding="utf-8")
    commit(repo, {".github/workflows/ci.yml": workflow.replace("name: ci", "name: checks")})
    assert plan(repo).bundles == []
    commit(repo, {".github/workflows/ci.yml": workflow.replace("@v1.4.0", "@v1.5.0")})
    result = plan(repo)
    assert list(selected(result)) == ALL
    assert result.bundles[0].why == "changed bundleops' version pin in .github/workflows/ci.yml, which every bundle runs with"


def test_a_bundleops_pin_inside_a_bundle_selects_that_bundle_only(repo: Path) -> None:
    commit(repo, {"bundles/reports/requirements-dev.txt": "bundleops==1.4.0\n"})
    assert selected(plan(repo)) == {"bundles/reports": "changed bundles/reports/requirements-dev.txt"}


def test_a_pull_request_compares_with_the_merge_base_and_a_push_with_the_previous_commit(repo: Path) -> None:
    commit(repo, {"bundles/orders/src/orders.py": "# feature\n"})
    git(repo, "checkout", "--quiet", "main")
    commit(repo, {"bundles/billing/src/billing.py": "# first on main\n"})
    commit(repo, {"bundles/reports/src/report.sql": "-- second on main\n"})
    assert list(selected(plan(repo, PUSH))) == ["bundles/reports"], "a push: only the last commit"
    git(repo, "checkout", "--quiet", "feature")
    result = plan(repo)
    assert list(selected(result)) == ["bundles/orders"], "main's own later changes are not the pull request's"
    assert result.changes is not None and result.changes.base == git(repo, "merge-base", "main", "feature")


@pytest.mark.parametrize("with_sha", [True, False], ids=["ci-gives-head-sha", "head-only"])
def test_a_pull_request_checked_out_as_the_ci_merge_commit_selects_its_own_changes(repo: Path, with_sha: bool) -> None:
    head = commit(repo, {"bundles/orders/src/orders.py": "# feature\n"})
    git(repo, "checkout", "--quiet", "main")
    commit(repo, {"bundles/reports/src/report.sql": "-- on main\n"})
    git(repo, "checkout", "--quiet", "--detach", "main")
    git(repo, "merge", "--quiet", "--no-ff", "--no-edit", "feature")  # the merge commit a CI checks out
    context = CIContext(**{**PULL_REQUEST.to_dict(), "sha": head if with_sha else None})
    assert list(selected(plan(repo, context))) == ["bundles/orders"]


@pytest.mark.parametrize("single_branch", [True, False], ids=["target-not-fetched", "no-merge-base"])
def test_a_shallow_clone_falls_back_to_every_bundle_naming_why_and_the_fix(repo: Path, tmp_path: Path, single_branch: bool) -> None:
    commit(repo, {"bundles/reports/src/report.sql": "select 1\n"})
    clone = tmp_path / "clone"
    branches = ["--single-branch"] if single_branch else ["--no-single-branch"]
    git(tmp_path, "clone", "--quiet", "--depth", "1", *branches, "--branch", "feature", repo.as_uri(), str(clone))
    result = plan(clone)
    assert list(selected(result)) == ALL
    warning = result.changes.warning if result.changes else None
    assert warning is not None and "this clone is shallow" in warning and "fetch-depth: 0" in warning
    assert ("'main' is not in this clone" if single_branch else "have no merge base") in warning


def test_all_selects_every_bundle(repo: Path) -> None:
    commit(repo, {"bundles/reports/src/report.sql": "select 1\n"})
    assert selected(plan(repo, select_all=True)) == dict.fromkeys(ALL, "--all: every bundle, nothing compared")


@pytest.mark.parametrize("context", [
    CIContext(vendor="github", event="tag", tag="v1.0.0", default_branch="main"),
    CIContext(vendor="github", event="pull_request", target_branch="main", default_branch="main", pr_number=7, pull_request_state="closed"),
], ids=["tag", "closed-pull-request"])
def test_events_that_compare_nothing_select_every_bundle_quietly(repo: Path, context: CIContext) -> None:
    result = plan(repo, context)
    assert list(selected(result)) == ALL and result.changes is not None and result.changes.warning is None


def test_each_bundle_is_planned_with_its_own_bundleops_yml(repo: Path) -> None:
    commit(repo, {"bundles/reports/bundleops.yml": "pull_requests:\n  deployment: reports-pr-{number}\n", "shared/util.py": "VALUE = 3\n"})
    deployments = {bundle.project_root: bundle.plan.deployment for bundle in plan(repo).bundles}
    assert deployments == {"bundles/billing": "pr-7", "bundles/orders": "pr-7", "bundles/reports": "reports-pr-7"}


def test_discovery_skips_hidden_and_package_folders_and_never_looks_inside_a_bundle(tmp_path: Path) -> None:
    write(tmp_path, {
        "a/databricks.yml": bundle_file("a"),
        "a/tests/fixtures/databricks.yml": bundle_file("fixture"),
        "deep/er/b/databricks.yaml": bundle_file("b"),
        ".venv/lib/databricks.yml": "", ".databricks/databricks.yml": "", ".bundleops/databricks.yml": "",
        "node_modules/pkg/databricks.yml": "", "src/__pycache__/databricks.yml": "",
    })
    assert discover(tmp_path, ProjectConfig()) == ["a", "deep/er/b"]


def test_the_root_bundles_list_takes_folders_and_globs_and_refuses_an_entry_naming_no_bundle(repo: Path) -> None:
    assert discover(repo, ProjectConfig(bundles=["bundles/orders", "bundles/[br]*"])) == ALL
    with pytest.raises(BundleopsError, match="bundles entry 'bundles/order' names no folder holding databricks.yml") as error:
        discover(repo, ProjectConfig(bundles=["bundles/orders", "bundles/order"]))
    assert error.value.code == ExitCode.BAD_INPUT


def test_a_single_bundle_at_the_root_is_planned_as_before_with_one_bundles_entry(tmp_path: Path) -> None:
    write(tmp_path, {"databricks.yml": bundle_file("orders"), "sub/databricks.yml": bundle_file("nested")})
    env = snapshots.environment("gitlab", "pull_request", tmp_path)
    result = run_bundleops(["plan", "--format", "json"], env=env, cwd=tmp_path)
    assert result.returncode == 0 and result.stderr == "", result.stderr
    document = json.loads(result.stdout)
    assert list(document) == [*TODAY_KEYS, "bundles"]
    (bundle,) = document["bundles"]
    assert bundle["project_root"] == "."
    assert {key: bundle[key] for key in TODAY_KEYS} == {key: document[key] for key in TODAY_KEYS}


def test_the_console_script_lists_selected_and_not_selected_bundles(repo: Path) -> None:
    commit(repo, {"shared/util.py": "VALUE = 2\n"})
    env = snapshots.environment("gitlab", "pull_request", repo)
    result = run_bundleops(["plan", "--format", "json"], env=env, cwd=repo)
    assert result.returncode == 0 and result.stderr == "", result.stderr
    document = json.loads(result.stdout)
    assert [(b["project_root"], b["target"], b["deployment"], b["steps"][:2]) for b in document["bundles"]] == [
        ("bundles/billing", "staging", "pr-42", ["unit", "validate"]),
        ("bundles/orders", "staging", "pr-42", ["unit", "validate"]),
    ]
    assert [entry["project_root"] for entry in document["not_selected"]] == ["bundles/reports"]
    assert document["changes"]["files"] == 1 and document["changes"]["warning"] is None


@pytest.mark.parametrize("vendor", ["github", "azure", "gitlab"])
def test_the_console_script_warns_on_stderr_and_keeps_stdout_json_when_it_falls_back(repo: Path, tmp_path: Path, vendor: str) -> None:
    """GitHub and Azure print annotations on stdout: with --format json the warning must not break the JSON."""
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "--quiet", "--depth", "1", "--branch", "feature", repo.as_uri(), str(clone))
    env = snapshots.environment(vendor, "pull_request", tmp_path)
    result = run_bundleops(["plan", "--format", "json"], env=env, cwd=clone)
    assert result.returncode == 0
    assert "every bundle is planned: the pull request's target branch 'main' is not in this clone" in result.stderr
    assert "fetch-depth: 0" in result.stderr
    document = json.loads(result.stdout)
    assert len(document["bundles"]) == 3 and document["changes"]["warning"].startswith("every bundle is planned")


def test_the_text_plan_lists_each_bundle_with_why(repo: Path) -> None:
    commit(repo, {"shared/util.py": "VALUE = 2\n"})
    result = run_bundleops(["plan"], env=snapshots.environment("gitlab", "pull_request", repo), cwd=repo)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "target            staging"
    assert [line for line in lines if line.startswith("bundles ")] == [
        f"bundles           2 selected, 1 not (the merge base {git(repo, 'merge-base', 'main', 'HEAD')[:12]} of main and "
        f"{git(repo, 'rev-parse', 'HEAD')[:12]})"
    ]
    assert "  + bundles/billing: staging [unit validate preview deploy test publish]: changed shared/util.py, which its depends_on 'shared' names" in lines
    assert any(line.startswith("  - bundles/reports: none of the 1 files changed") for line in lines)


@pytest.mark.parametrize(
    ("project_root", "leg"),
    [(".", "root"), ("bundles/orders", "bundles_orders"), ("team-a/ingest.v2", "team_a_ingest_v2"), ("2024/jobs", "b_2024_jobs")],
)
def test_an_azure_matrix_leg_is_the_key_in_the_characters_azure_allows(project_root: str, leg: str) -> None:
    """Azure Pipelines: matrix configuration names hold letters, digits and _ only, start with a
    letter and have at most 100 characters (the `<role>_matrix` output's keys)."""
    assert matrix_leg(bundle_key(project_root)) == leg


def test_a_long_project_root_keeps_a_distinct_leg_of_at_most_100_characters() -> None:
    first, second = (matrix_leg(bundle_key(f"{'deep/' * 30}{name}")) for name in ("orders", "billing"))
    assert len(first) == len(second) == 100 and first != second


def test_two_bundles_whose_matrix_legs_would_collide_stop_the_plan(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    init(root, {"x/a-b/databricks.yml": bundle_file("one"), "x/a_b/databricks.yml": bundle_file("two")})
    with pytest.raises(BundleopsError, match="x/a-b and x/a_b would share the CI name 'x_a_b'"):
        plan(root, PUSH)
