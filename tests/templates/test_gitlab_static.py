"""The GitLab template, checked without running a job: gitlab-ci-local expands it as GitLab would
(includes, spec inputs, extends), check-jsonschema validates the expansion against the built-in
GitLab CI schema, and gitlab-ci-local's rule evaluation shows which jobs each kind of pipeline gets.

The template file itself has a `spec:` header (two YAML documents), which the schema does not
describe: the expanded pipeline is what is validated (FACTS.md, "Validators").
"""

from __future__ import annotations

import csv
import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from bundleops import __version__
from tests.conformance.harness import REPO_ROOT, make_repository
from tests.conformance.runners import gitlab as runner
from tests.support.gotemplate import EXAMPLE_INPUTS, TEMPLATE_DIR, render_tree

TEMPLATE = REPO_ROOT / "gitlab" / "bundleops.yml"
DOCS = REPO_ROOT / "docs" / "gitlab.md"
CHECK_JSONSCHEMA = Path(sys.executable).parent / "check-jsonschema"
# Variables a script may never read: their values come from whoever pushes a branch or opens an MR.
ATTACKER_CONTROLLED = re.compile(r"CI_COMMIT_(BRANCH|REF_NAME|REF_SLUG|MESSAGE|TITLE|DESCRIPTION|TAG_MESSAGE)|CI_MERGE_REQUEST_\w+")


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """orders_pipeline rendered for GitLab, in a repository whose bundleops include is the working tree."""
    root = tmp_path_factory.mktemp("gitlab-static")
    render_tree(TEMPLATE_DIR, {**EXAMPLE_INPUTS, "ci_system": "gitlab"}, root)
    project = root / "orders_pipeline"
    make_repository(project, "main")
    runner.map_library_to_working_tree(project)
    return project


def gitlab_ci_local(project: Path, *args: str, variables: dict[str, str] | None = None) -> str:
    variables_file = project.parent / "variables.yml"
    runner.write_variables_file(variables_file, variables or {})
    command = [str(runner.NODE_BIN / "gitlab-ci-local"), "--no-color", "--variables-file", str(variables_file)]
    command += ["--ignore-predefined-vars", ",".join(runner.PREDEFINED + ("CI_COMMIT_BRANCH", "CI_OPEN_MERGE_REQUESTS", "CI_COMMIT_TAG"))]
    env = runner.host_environment(os.environ["PATH"], project.parent / "home")
    result = subprocess.run([*command, *args], cwd=project, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def template_documents() -> tuple[dict, dict]:
    header, body = yaml.safe_load_all(TEMPLATE.read_text(encoding="utf-8"))
    return header, body


def test_expanded_pipeline_matches_the_gitlab_ci_schema(project: Path, tmp_path: Path) -> None:
    preview = gitlab_ci_local(project, "--preview")
    expanded = tmp_path / "expanded-gitlab-ci.yml"
    expanded.write_text(preview, encoding="utf-8")
    result = subprocess.run(
        [str(CHECK_JSONSCHEMA), "--builtin-schema", "vendor.gitlab-ci", str(expanded)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
    jobs = yaml.safe_load(preview)
    for target, environment in (("dev", "dev"), ("staging", "staging"), ("prod", "production")):
        job = jobs[f"bundleops-{target}"]
        assert job["environment"]["name"] == environment
        assert job["resource_group"] == f"bundleops-{environment}"
        assert job["variables"]["BUNDLEOPS_JOB_TARGET"] == target
        # A root bundle's reports, and each bundle's of a repository of bundles (test-results/<key>/).
        assert job["artifacts"]["reports"]["junit"] == ["test-results/junit.xml", "test-results/*/junit.xml"]
        assert job["artifacts"]["reports"]["coverage_report"] == {"coverage_format": "cobertura", "path": "test-results/**/coverage.xml"}
        assert job["id_tokens"] == {"DATABRICKS_OIDC_TOKEN": {"aud": "databricks"}}
    assert jobs["bundleops-plan"]["artifacts"]["reports"]["dotenv"] == "test-results/bundleops.env"


SHARED = {"plan": "on_success", "dev": "on_success", "staging": "on_success"}
GATED = {**SHARED, "prod-preview": "on_success", "prod": "manual"}
PIPELINES = {
    "merge request": (
        {"CI_PIPELINE_SOURCE": "merge_request_event", "CI_COMMIT_BRANCH": ""},
        {**SHARED, "staging-pr": "on_success", "staging-pr-stop": "manual"},
    ),
    "default branch": ({"CI_PIPELINE_SOURCE": "push"}, GATED),
    "release tag": ({"CI_PIPELINE_SOURCE": "push", "CI_COMMIT_BRANCH": "", "CI_COMMIT_TAG": "v1.2.0"}, GATED),
    "feature branch": ({"CI_PIPELINE_SOURCE": "push", "CI_COMMIT_BRANCH": "feature/orders"}, SHARED),
    "branch with an open MR": ({"CI_PIPELINE_SOURCE": "push", "CI_OPEN_MERGE_REQUESTS": "data-platform/orders_pipeline!7"}, {}),
    "scheduled sweep": ({"CI_PIPELINE_SOURCE": "schedule", "BUNDLEOPS_SWEEP": "true"}, {"sweep": "on_success"}),
    "other schedule": ({"CI_PIPELINE_SOURCE": "schedule"}, GATED),
    "scheduled drift check": ({"CI_PIPELINE_SOURCE": "schedule", "BUNDLEOPS_DRIFT": "true"}, {"drift": "on_success"}),
    "drift check run by hand": ({"CI_PIPELINE_SOURCE": "web", "BUNDLEOPS_DRIFT": "true"}, {"drift": "on_success"}),
    "rollback run by hand": ({"CI_PIPELINE_SOURCE": "web", "BUNDLEOPS_ROLLBACK_TO": "previous"}, {"rollback-preview": "on_success", "rollback": "manual"}),
    "a schedule never rolls back": ({"CI_PIPELINE_SOURCE": "schedule", "BUNDLEOPS_ROLLBACK_TO": "previous"}, {}),
    "run by hand without a rollback": ({"CI_PIPELINE_SOURCE": "web"}, GATED),
}


@pytest.mark.parametrize("pipeline", PIPELINES)
def test_each_pipeline_gets_its_jobs_and_prod_only_behind_a_manual_gate(project: Path, pipeline: str) -> None:
    variables, expected = PIPELINES[pipeline]
    listing = gitlab_ci_local(project, "--list-csv", variables={**variables, "CI_DEFAULT_BRANCH": "main"})
    rows = list(csv.DictReader(io.StringIO(listing[listing.index("name;"):]), delimiter=";"))
    assert {row["name"].removeprefix("bundleops-"): row["when"] for row in rows} == expected
    failing = {row["name"] for row in rows if row["allowFailure"] != "false"}
    assert failing <= {"bundleops-staging-pr-stop"}, "a failed or unapproved prod job must block the pipeline; only the stop job may fail"
    if rows:
        gitlab_ci_local(project, "--validate-dependency-chain", variables={**variables, "CI_DEFAULT_BRANCH": "main"})


def test_inputs_are_typed_described_and_pinned_to_the_release() -> None:
    header, _ = template_documents()
    inputs = header["spec"]["inputs"]
    for name, spec in inputs.items():
        assert spec.get("description"), f"input {name} has no description"
        assert spec.get("type") in ("string", "boolean") and "default" in spec, f"input {name}: typed, with a default (the consumer file sets none)"
    assert inputs["bundleops_source"]["default"] == f"bundleops[local]=={__version__}"
    assert inputs["auth_type"]["default"] in inputs["auth_type"]["options"]
    consumer = yaml.safe_load((TEMPLATE_DIR / "template" / "{{.project_name}}" / ".gitlab-ci.yml").read_text(encoding="utf-8"))
    assert consumer["include"] == [{"project": runner.LIBRARY_PROJECT, "ref": f"v{__version__}", "file": "gitlab/bundleops.yml"}]


def test_scripts_read_no_attacker_controlled_value_and_interpolate_no_input() -> None:
    _, body = template_documents()
    for name, job in body.items():
        for key in ("before_script", "script"):
            for line in job.get(key, []):
                assert "$[[" not in line, f"{name}.{key} interpolates an input into shell text: {line}"
                assert not ATTACKER_CONTROLLED.search(line), f"{name}.{key} reads an attacker-controlled variable: {line}"


def test_docs_show_the_consumer_file_the_conformance_suite_runs(project: Path) -> None:
    text = DOCS.read_text(encoding="utf-8")
    block = re.search(r"<!-- consumer-file: \.gitlab-ci\.yml -->\n```yaml\n(.*?)```", text, re.DOTALL)
    assert block, f"{DOCS} has no consumer-file block"
    assert block.group(1) == (project / ".gitlab-ci.yml").read_text(encoding="utf-8")


def test_merge_requests_deploy_in_parallel_and_their_environment_stops_with_a_destroy(project: Path) -> None:
    """A merge request's own deployment has no resource group and may be interrupted by a newer
    pipeline; the shared staging and prod keep theirs. Merging or closing the merge request (or
    auto_stop_in) starts the stop job, which destroys that deployment."""
    jobs = yaml.safe_load(gitlab_ci_local(project, "--preview"))
    own, stop = jobs["bundleops-staging-pr"], jobs["bundleops-staging-pr-stop"]
    assert "resource_group" not in own and own["interruptible"] is True
    assert own["environment"] == {"name": "staging/pr-$CI_MERGE_REQUEST_IID", "deployment_tier": "staging", "on_stop": "bundleops-staging-pr-stop", "auto_stop_in": "1 week"}
    assert (own["variables"]["BUNDLEOPS_JOB_DEPLOYMENT"], jobs["bundleops-staging"]["variables"]["BUNDLEOPS_JOB_DEPLOYMENT"]) == ("own", "")
    assert stop["environment"] == {"name": own["environment"]["name"], "action": "stop"} and stop["needs"] == []
    assert stop["script"] == [
        'bundleops run --job target --target staging --project-root "$BUNDLEOPS_PROJECT_ROOT"',
    ], "the stop runs what bundleops plans for a closed merge request (its destroy)"
    for shared in ("bundleops-staging", "bundleops-prod"):
        assert jobs[shared]["interruptible"] is False and jobs[shared]["resource_group"].startswith("bundleops-")
    sweep = jobs["bundleops-sweep"]
    assert sweep["script"] == ['bundleops sweep --project-root "$BUNDLEOPS_PROJECT_ROOT" --target staging --older-than "$BUNDLEOPS_SWEEP_OLDER_THAN"']
    assert sweep["variables"]["BUNDLEOPS_SWEEP_OLDER_THAN"] == "7d"


def test_the_preview_runs_before_deploy_and_prod_applies_the_plan_shown_before_its_gate(project: Path) -> None:
    jobs = yaml.safe_load(gitlab_ci_local(project, "--preview"))
    # The steps' order and the gated deploy are bundleops run's (tests/run/test_jobs.py).
    assert jobs["bundleops-staging"]["script"] == ['bundleops run --job target --target "$BUNDLEOPS_JOB_TARGET" --project-root "$BUNDLEOPS_PROJECT_ROOT"']
    assert jobs["bundleops-prod-preview"]["script"] == ['bundleops run --job preview --target prod --project-root "$BUNDLEOPS_PROJECT_ROOT"']
    gate, prod = jobs["bundleops-prod-preview"], jobs["bundleops-prod"]
    assert gate["environment"] == {"name": "production", "action": "prepare"} and gate["artifacts"]["paths"] == ["test-results/"]
    assert "when" not in gate["rules"][-1], "the preview runs at once, before the manual gate"
    assert [need["job"] for need in prod["needs"]] == ["bundleops-plan", "bundleops-prod-preview"] and prod["variables"]["BUNDLEOPS_GATED"] == "true"


def test_the_rollback_previews_then_waits_behind_prods_gate_and_takes_its_commit_as_a_variable() -> None:
    _, body = template_documents()
    preview, rollback, drift = body["bundleops-rollback-preview"], body["bundleops-rollback"], body["bundleops-drift"]
    command = 'bundleops rollback --project-root "$BUNDLEOPS_PROJECT_ROOT" --target prod --to "$BUNDLEOPS_ROLLBACK_TO"'
    assert (preview["script"], rollback["script"]) == ([command + " --preview-only"], [command])
    assert preview["environment"] == {"name": "$[[ inputs.prod_environment ]]", "action": "prepare"}, "prod's variables, no deployment"
    assert rollback["environment"]["name"] == "$[[ inputs.prod_environment ]]" and rollback["resource_group"] == "bundleops-$[[ inputs.prod_environment ]]"
    assert rollback["needs"] == ["bundleops-rollback-preview"] and rollback["allow_failure"] is False
    assert preview["variables"] == rollback["variables"] == {"GIT_DEPTH": "0"}, "the deployed commit's bundle comes from git"
    assert drift["script"] == ['bundleops drift --project-root "$BUNDLEOPS_PROJECT_ROOT" --target prod']
    assert drift["environment"] == {"name": "$[[ inputs.prod_environment ]]", "action": "prepare"}
    assert body["variables"]["BUNDLEOPS_ROLLBACK_TO"]["value"] == "", "prefilled empty in the Run pipeline form"
