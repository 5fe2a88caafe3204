"""The Azure Pipelines template and consumer file, checked without running a job.

Two validators, both from Microsoft's schema for Azure Pipelines YAML:
- check-jsonschema's built-in `vendor.azure-pipelines` schema (FACTS.md, "Validators": stale, run
  with `--regex-variant nonunicode`). Its known false positives are an explicit allow-list below:
  each entry rewrites the one construct the schema wrongly rejects in a copy of the file, the copy
  must then validate, and each entry must still be needed (when the schema learns the construct,
  the test says to delete the entry).
- azure-pipelines-language-service (npm), the engine of the Azure Pipelines VS Code extension,
  called by tests/templates/azure/validate.js with the same schema: no errors, and no warnings
  but the allow-listed ones. It reports schema violations as warnings, so warnings count here.
Neither expands `extends:` or template expressions; tests/conformance/azure_expander.py does
(test_azure_expander.py, test_azure_runner.py).

Then the template's own rules: every script line is static, only `env:` carries values, the three
target stages are one definition (`${{ each }}`) fanning out over the plan's bundles, and
docs/azure.md shows the consumer file the conformance suite runs.
"""

from __future__ import annotations

import copy
import importlib.resources
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable

import pytest
import yaml

from bundleops import __version__
from tests.conformance.azure_expander import compile_pipeline, expand, load_yaml, resolve_parameters
from tests.conformance.harness import REPO_ROOT
from tests.conformance.runners import azure as runner
from tests.support.gotemplate import EXAMPLE_INPUTS, TEMPLATE_DIR, render_tree

TEMPLATE = REPO_ROOT / "azure" / "bundleops.yml"
CONSUMER_SOURCE = TEMPLATE_DIR / "template" / "{{.project_name}}" / runner.CONSUMER_FILE
DOCS = REPO_ROOT / "docs" / "azure.md"
CHECK_JSONSCHEMA = Path(sys.executable).parent / "check-jsonschema"
SCHEMA = Path(str(importlib.resources.files("check_jsonschema.builtin_schemas") / "vendor" / "azure-pipelines.json"))
NODE = REPO_ROOT / "node_modules" / ".bin" / "node"
VALIDATE_JS = Path(__file__).parent / "azure" / "validate.js"
TARGETS = {"dev": "devEnvironment", "staging": "stagingEnvironment", "prod": "prodEnvironment"}
# Variables a script may never read: their values come from whoever pushes a branch or opens a PR.
ATTACKER_CONTROLLED = re.compile(
    r"BUILD_SOURCEBRANCH\w*|BUILD_SOURCEVERSIONMESSAGE|SYSTEM_PULLREQUEST_\w+|BUILD_REQUESTEDFOR\w*|Build\.Source\w+|System\.PullRequest\.\w+", re.IGNORECASE
)
MACRO = re.compile(r"\$\([A-Za-z_][A-Za-z0-9_.\-]*\)")


# ----------------------------------------------------------------------------- the schema's false positives

Document = dict[str, Any]


def _steps(node: Any) -> list[list[dict]]:
    """Every steps list of the template (regular jobs and runOnce deploy hooks), also inside
    `${{ each }}` and `${{ if }}` (a conditional group of steps is a list of its own)."""
    found: list[list[dict]] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "steps" and isinstance(value, list):
                found.append(value)
                found.extend(group for item in value if isinstance(item, dict) and len(item) == 1 and "${{" in next(iter(item)) for group in item.values())
            else:
                found.extend(_steps(value))
    elif isinstance(node, list):
        for item in node:
            found.extend(_steps(item))
    return found


def template_expressions_expanded(document: Document) -> None:
    """The schema rejects template expressions as keys where Azure expands them (`${{ each }}` in
    `stages`, `${{ if }}` in a stage or a job): the stages as Azure compiles them for a push, with
    the parameters' defaults, a number as the text Azure pastes (the schema types those fields as strings)."""
    typed = resolve_parameters(document["parameters"], {}, "bundleops.yml")
    parameters = {name: str(value) if type(value) in (int, float) else value for name, value in typed.items()}
    document["stages"] = expand(document["stages"], {"parameters": parameters, "variables": {"Build.Reason": "IndividualCI"}}, "stages")


def fetch_depth_as_a_string(document: Document) -> None:
    """The schema types `fetchDepth` as a string; Azure's docs write `fetchDepth: 0` (a number)."""
    for steps in _steps(document):
        for step in steps:
            if isinstance(step.get("fetchDepth"), int):
                step["fetchDepth"] = str(step["fetchDepth"])


def typed_defaults_as_strings(document: Document) -> None:
    """The schema types every parameter default as string, array or object; Azure's typed
    parameters take `default: false` (boolean) and `default: 120` (number)."""
    for parameter in document.get("parameters", []):
        if parameter.get("type") in ("boolean", "number"):
            parameter["default"] = str(parameter["default"]).lower()


def coverage_task_v2_dropped(document: Document) -> None:
    """The schema knows PublishCodeCoverageResults@1 only (@2 needs no codeCoverageTool). The
    dropped steps' inputs are checked against the v2 task instead (summaryFileLocation,
    pathToSources, failIfCoverageEmpty)."""
    for steps in _steps(document):
        for step in [s for s in steps if s.get("task") == "PublishCodeCoverageResults@2"]:
            assert set(step["inputs"]) <= {"summaryFileLocation", "pathToSources", "failIfCoverageEmpty"}, step
            assert "summaryFileLocation" in step["inputs"], step
            steps.remove(step)


ALLOW_LIST: dict[str, Callable[[Document], None]] = {
    "template expressions as keys": template_expressions_expanded,
    "fetchDepth as a number": fetch_depth_as_a_string,
    "typed parameter defaults": typed_defaults_as_strings,
    "PublishCodeCoverageResults@2": coverage_task_v2_dropped,
}


def check_jsonschema(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(CHECK_JSONSCHEMA), "--builtin-schema", "vendor.azure-pipelines", "--regex-variant", "nonunicode", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )


def rewritten(tmp_path: Path, skip: str | None = None, template: Path = TEMPLATE) -> Path:
    document = load_yaml(template.read_text(encoding="utf-8"))
    for name, rewrite in ALLOW_LIST.items():
        if name != skip:
            rewrite(document)
    path = tmp_path / f"bundleops-{(skip or 'all').replace(' ', '-').replace('@', '')}.yml"
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def consumer(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """azure-pipelines.yml of orders_pipeline rendered for Azure."""
    root = tmp_path_factory.mktemp("azure-static")
    render_tree(TEMPLATE_DIR, {**EXAMPLE_INPUTS, "ci_system": "azure"}, root)
    return root / "orders_pipeline" / runner.CONSUMER_FILE


def test_consumer_file_matches_the_azure_pipelines_schema(consumer: Path) -> None:
    result = check_jsonschema(consumer)
    assert result.returncode == 0, result.stdout + result.stderr


def test_template_matches_the_schema_but_for_its_known_false_positives(tmp_path: Path) -> None:
    result = check_jsonschema(rewritten(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("entry", ALLOW_LIST)
def test_every_allow_list_entry_is_still_needed(entry: str, tmp_path: Path) -> None:
    result = check_jsonschema(rewritten(tmp_path, skip=entry))
    assert result.returncode != 0, f"the schema now accepts {entry!r}: delete it from ALLOW_LIST"


def language_service(*files: Path) -> dict[str, list[dict]]:
    result = subprocess.run([str(NODE), str(VALIDATE_JS), str(SCHEMA), *map(str, files)], capture_output=True, text=True, timeout=120, cwd=REPO_ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(result.stdout)


def allowed_warning(lines: list[str], diagnostic: dict) -> bool:
    """The language service's form of the PublishCodeCoverageResults@2 false positive: the task
    name (the schema's last task pattern is PowerShell@2) and the v2 input."""
    line = diagnostic["line"]
    if "PublishCodeCoverageResults@2" in lines[line]:
        return "does not match the pattern" in diagnostic["message"]
    task = next(text for text in reversed(lines[:line]) if "task:" in text)
    return diagnostic["message"] == "Unexpected property summaryFileLocation" and "PublishCodeCoverageResults@2" in task


def test_the_azure_pipelines_language_service_reports_no_errors(consumer: Path) -> None:
    report = language_service(TEMPLATE, consumer)
    assert report[str(consumer)] == []
    lines = TEMPLATE.read_text(encoding="utf-8").splitlines()
    diagnostics = report[str(TEMPLATE)]
    assert [d for d in diagnostics if d["severity"] == 1] == []
    unexpected = [d for d in diagnostics if not allowed_warning(lines, d)]
    assert unexpected == [], unexpected
    coverage_steps = [step for steps in _steps(template()) for step in steps if step.get("task") == "PublishCodeCoverageResults@2"]
    assert len(diagnostics) == 2 * len(coverage_steps) == 2, "one false positive pair for the one PublishCodeCoverageResults@2 step"


def test_the_language_service_is_not_vacuous(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text("stages:\n  - stage: a\n    jobz: []\n", encoding="utf-8")
    assert any("jobz" in d["message"] for d in language_service(broken)[str(broken)])


# ----------------------------------------------------------------------------- the template's own rules


def template() -> Document:
    return load_yaml(TEMPLATE.read_text(encoding="utf-8"))


def scripts(document: Document) -> list[tuple[str, dict]]:
    """Every script step of the template as written (expressions not expanded), named by its stage."""
    found = []
    for stage in _stages(document["stages"]):
        for steps in _steps(stage["jobs"]):
            found += [(f"{stage['stage']}: {step.get('displayName')}", step) for step in steps if "bash" in step or "script" in step]
    return found


def _stages(node: Any) -> list[dict]:
    """The stages as written, also those inside `${{ each }}` and `${{ if }}` items."""
    if isinstance(node, list):
        return [stage for item in node for stage in _stages(item)]
    if isinstance(node, dict) and "stage" in node:
        return [node]
    return [stage for value in node.values() for stage in _stages(value)] if isinstance(node, dict) else []


def compiled(consumer: Path, reason: str) -> dict[str, dict]:
    """The template's stages as Azure compiles them for a build of this reason, by name."""
    stages = compile_pipeline(consumer, {runner.LIBRARY_REPOSITORY: REPO_ROOT}, {"Build.Reason": reason}).stages
    return {stage["stage"]: stage for stage in stages}


def test_parameters_are_typed_described_and_pinned_to_the_release() -> None:
    parameters = {p["name"]: p for p in template()["parameters"]}
    for name, spec in parameters.items():
        assert spec.get("displayName"), f"parameter {name} has no displayName"
        assert spec.get("type") in ("string", "boolean", "number", "object") and "default" in spec, f"parameter {name}: typed, with a default (the consumer file sets none)"
    assert parameters["bundleopsSource"]["default"] == f"bundleops[local]=={__version__}"
    assert parameters["sonar"] == {**parameters["sonar"], "type": "boolean", "default": False}
    assert parameters["authType"]["default"] in parameters["authType"]["values"]
    assert {f"{t}VariableGroup" for t in TARGETS} | set(TARGETS.values()) <= set(parameters)


def test_consumer_extends_the_release_and_triggers_on_main_tags_and_pull_requests() -> None:
    consumer = load_yaml(CONSUMER_SOURCE.read_text(encoding="utf-8"))
    (repository,) = consumer["resources"]["repositories"]
    assert repository == {"repository": "bundleops", "type": "git", "name": runner.LIBRARY_REPOSITORY, "ref": f"refs/tags/v{__version__}"}
    assert consumer["extends"] == {"template": "azure/bundleops.yml@bundleops"}
    assert consumer["trigger"]["branches"]["include"] == ["main"] and consumer["trigger"]["tags"]["include"]
    assert consumer["pr"]["branches"]["include"] == ["main"]


def test_scripts_are_static_and_read_no_attacker_controlled_value() -> None:
    for where, step in scripts(template()):
        body = step.get("bash", step.get("script"))
        assert "${{" not in body, f"{where} interpolates a template expression into shell text"
        assert not MACRO.search(body), f"{where} has a $(macro) in shell text: Azure would paste the value into the script"
        assert not ATTACKER_CONTROLLED.search(body), f"{where} reads an attacker-controlled variable"
        for name, value in (step.get("env") or {}).items():
            assert not ATTACKER_CONTROLLED.search(str(value)), f"{where} passes an attacker-controlled variable as {name}"


def test_the_access_token_and_secrets_reach_only_the_target_jobs() -> None:
    document = template()
    for where, step in scripts(document):
        env = json.dumps(step.get("env") or {})
        if "System.AccessToken" in env or "DATABRICKS_CLIENT_SECRET" in env:
            assert not where.startswith("plan:"), f"{where} gets a credential it does not need"
    plan_job = document["stages"][0]["jobs"][0]
    assert "variables" not in plan_job, "the plan job references no variable group (no credentials)"


def test_the_plan_job_reads_the_history_that_selection_compares() -> None:
    """A shallow fetch (Azure's default for new pipelines: depth 1) has no merge base: the plan
    would fall back to every bundle (docs/monorepo.md, "Shallow clones")."""
    (checkout, *_) = template()["stages"][0]["jobs"][0]["steps"]
    assert checkout == {"checkout": "self", "fetchDepth": 0}


@pytest.mark.parametrize("reason", ["PullRequest", "IndividualCI"])
def test_each_target_stage_fans_out_over_the_plans_bundles_of_its_target(reason: str, consumer: Path) -> None:
    """One definition for dev, staging and prod: a stage runs when the plan's matrix of its target
    is not empty; its deployment job holds the environment (its checks run when the stage starts);
    one leg per bundle runs `bundleops run` with the target's variable group, maxParallel at a time."""
    stages = compiled(consumer, reason)
    assert list(stages) == ["plan", "dev", "staging", "prod_preview", "prod"]
    for target, environment in TARGETS.items():
        stage = stages[target]
        assert f"ne(dependencies.plan.outputs['plan.plan.{target}_matrix'], '{{}}')" in stage["condition"]
        assert stage["lockBehavior"] == "sequential"
        holder, legs = stage["jobs"]
        assert holder["deployment"] == target and "group" not in json.dumps(holder), "the environment's job holds no credentials"
        default = {"dev": "dev", "staging": "staging", "prod": "production"}[target]
        assert holder["environment"] == ("staging-pull-requests" if target == "staging" and reason == "PullRequest" else default)
        assert legs["job"] == "bundle"
        assert legs["strategy"] == {"matrix": f"$[ stageDependencies.plan.plan.outputs['plan.{target}_matrix'] ]", "maxParallel": 10}
        assert {"group": f"bundleops-{target}"} in legs["variables"]
        (run,) = [step for step in legs["steps"] if "bash" in step and "bundleops run" in step["bash"]]
        assert 'bundleops run --job target --target "$BUNDLEOPS_TARGET" --project-root "$BUNDLEOPS_PROJECT_ROOT" "$@"' in run["bash"]
        assert run["env"]["BUNDLEOPS_TARGET"] == target and run["env"]["BUNDLEOPS_PROJECT_ROOT"] == "./$(project_root)", "the plan names bundles relative to projectRoot"
        assert run["env"].get("BUNDLEOPS_GATED") == ("true" if target == "prod" else None), "only prod deploys the plan the approver saw"
        for step in legs["steps"]:
            if step.get("task", "").startswith("Publish"):
                assert step["condition"] == "always()", f"{target}: reports are published even when a step failed"
    assert "ne(variables['Build.Reason'], 'PullRequest')" in stages["prod"]["condition"], "a pull request never reaches the prod stage"


def test_the_preview_runs_before_the_prod_approval_and_its_plan_is_what_prod_applies(consumer: Path) -> None:
    stages = compiled(consumer, "IndividualCI")
    (job,) = stages["prod_preview"]["jobs"]
    assert "environment" not in job and "deployment" not in job, "no environment: no approval before the plan is shown"
    assert job["strategy"]["matrix"] == "$[ stageDependencies.plan.plan.outputs['plan.prod_matrix'] ]"
    assert "eq(dependencies.plan.outputs['plan.plan.run_preview'], 'true')" in stages["prod_preview"]["condition"]
    (preview,) = [step for step in job["steps"] if "bash" in step and "bundleops run" in step["bash"]]
    assert 'bundleops run --job preview --target prod --project-root "$BUNDLEOPS_PROJECT_ROOT"' in preview["bash"]
    (keep,) = [step for step in job["steps"] if "publish" in step]
    assert keep["publish"] == preview["env"]["BUNDLEOPS_REPORT_DIR"] and keep["artifact"] == "bundleops-prod-plan-$(key)"
    (_, legs) = stages["prod"]["jobs"]
    (reviewed,) = [step for step in legs["steps"] if step.get("artifact") == "bundleops-prod-plan-$(key)"]
    (run,) = [step for step in legs["steps"] if "bash" in step and "bundleops run" in step["bash"]]
    assert run["env"]["BUNDLEOPS_REVIEWED_PLAN"] == f"$(Pipeline.Workspace)/{reviewed['artifact']}/bundle-plan.json"
    assert "or(eq(dependencies.prod_preview.result, 'Succeeded'), eq(dependencies.prod_preview.result, 'Skipped'))" in stages["prod"]["condition"]


def test_docs_show_the_consumer_file_the_conformance_suite_runs(consumer: Path) -> None:
    text = DOCS.read_text(encoding="utf-8")
    block = re.search(r"<!-- consumer-file: azure-pipelines\.yml -->\n```yaml\n(.*?)```", text, re.DOTALL)
    assert block, f"{DOCS} has no consumer-file block"
    assert block.group(1) == consumer.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("job", "secret", "auth_type", "expected"),
    [
        ("--job target", "$(DATABRICKS_CLIENT_SECRET)", "azure-devops-oidc", "secret=unset token=set"),
        ("--job target", "dose0123456789", "oauth-m2m", "secret=set token=set"),
        ("--job preview", "$(DATABRICKS_CLIENT_SECRET)", "azure-devops-oidc", "secret=unset token=set"),
        ("--job preview", "dose0123456789", "oauth-m2m", "secret=set token=unset"),
    ],
)
def test_the_credential_guards_drop_what_the_auth_type_does_not_use(job: str, secret: str, auth_type: str, expected: str) -> None:
    """Azure leaves `$(DATABRICKS_CLIENT_SECRET)` as text when the group has no such secret. The
    access token is for azure-devops-oidc and the pull-request comment of the preview: the target
    job keeps it (its preview comments; `bundleops run` runs every step with one environment), the
    prod preview (no pull request reaches prod) drops it. The template's own guard lines, in bash."""
    (step,) = [step for _, step in scripts(template()) if f"bundleops run {job}" in step["bash"]]
    guards = [line for line in step["bash"].splitlines() if "unset" in line]
    probe = 's=unset; t=unset; [ -z "${DATABRICKS_CLIENT_SECRET+x}" ] || s=set; [ -z "${SYSTEM_ACCESSTOKEN+x}" ] || t=set; echo "secret=$s token=$t"'
    env = {"PATH": "/usr/bin:/bin", "DATABRICKS_CLIENT_SECRET": secret, "DATABRICKS_AUTH_TYPE": auth_type, "SYSTEM_ACCESSTOKEN": "token"}
    result = subprocess.run(["bash", "--noprofile", "--norc", "-c", "\n".join([*guards, probe])], env=env, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == expected


@pytest.mark.parametrize(("reason", "environment"), [("PullRequest", "staging-pull-requests"), ("IndividualCI", "staging")])
def test_a_pull_request_deploys_staging_through_an_environment_without_the_exclusive_lock(reason: str, environment: str, consumer: Path) -> None:
    """Build.Reason is known when Azure compiles the template: a pull request's own deployment uses
    the pull-request environment (no Exclusive lock check), the shared staging keeps its own."""
    pipeline = compile_pipeline(consumer, {runner.LIBRARY_REPOSITORY: REPO_ROOT}, {"Build.Reason": reason, "System.AccessToken": "not-compiled-in"})
    (job, _) = next(stage for stage in pipeline.stages if stage["stage"] == "staging")["jobs"]
    assert job["environment"] == environment
    assert "not-compiled-in" not in json.dumps(pipeline.stages), "only the variables Azure knows at compile time"


def test_the_sweep_template_matches_the_schema_and_runs_only_bundleops_sweep(tmp_path: Path) -> None:
    sweep = REPO_ROOT / "azure" / "bundleops-sweep.yml"
    assert check_jsonschema(sweep).returncode == 0
    documented = re.search(r"<!-- sweep-file: azure-pipelines-sweep\.yml -->\n```yaml\n(.*?)```", DOCS.read_text(encoding="utf-8"), re.DOTALL)
    assert documented, f"{DOCS} shows no sweep pipeline"
    consumer = tmp_path / "azure-pipelines-sweep.yml"
    consumer.write_text(documented.group(1), encoding="utf-8")
    document = load_yaml(documented.group(1))
    assert document["trigger"] == "none" and document["pr"] == "none" and document["schedules"][0]["always"] is True
    compiled = compile_pipeline(consumer, {runner.LIBRARY_REPOSITORY: REPO_ROOT})
    scripts = [step["bash"] for stage in compiled.stages for job in stage["jobs"] for step in job["steps"] if "bash" in step]
    assert 'bundleops sweep --project-root "$BUNDLEOPS_PROJECT_ROOT" --target staging --older-than "$BUNDLEOPS_OLDER_THAN"' in scripts[-1]


OPERATIONS_SOURCE = TEMPLATE_DIR / "template" / "{{.project_name}}" / runner.OPERATIONS_FILE


def compiled_operations(reason: str, rollback_to: str | None) -> list[dict]:
    """The stages of the project's operations pipeline (its documented file) for a run of `reason`."""
    runtime = {} if rollback_to is None else {"rollback_to": rollback_to}
    return compile_pipeline(OPERATIONS_SOURCE, {runner.LIBRARY_REPOSITORY: REPO_ROOT}, {"Build.Reason": reason}, runtime).stages


def test_the_operations_template_and_pipeline_match_the_schema_and_the_docs(tmp_path: Path) -> None:
    result = check_jsonschema(rewritten(tmp_path, template=REPO_ROOT / "azure" / "bundleops-operations.yml"))
    assert result.returncode == 0, result.stdout + result.stderr
    documented = re.search(r"<!-- operations-file: azure-pipelines-operations\.yml -->\n```yaml\n(.*?)```", DOCS.read_text(encoding="utf-8"), re.DOTALL)
    assert documented and documented.group(1) == OPERATIONS_SOURCE.read_text(encoding="utf-8"), f"{DOCS} shows the operations pipeline as shipped"
    document = load_yaml(documented.group(1))
    assert document["trigger"] == "none" and document["pr"] == "none" and document["schedules"][0]["branches"] == {"include": ["main"]}


@pytest.mark.parametrize(("reason", "rollback_to"), [("Schedule", None), ("Manual", None), ("Manual", "none"), ("Schedule", "0123abc")])
def test_a_schedule_or_a_manual_run_without_a_commit_checks_drift_read_only(reason: str, rollback_to: str | None) -> None:
    (stage,) = compiled_operations(reason, rollback_to)
    (job,) = stage["jobs"]
    assert (stage["stage"], "deployment" in job, job["variables"]) == ("drift", False, [{"group": "bundleops-prod"}])
    assert 'drift) bundleops drift --project-root "$BUNDLEOPS_PROJECT_ROOT" --target prod ;;' in job["steps"][-1]["bash"]
    assert job["steps"][-1]["env"]["BUNDLEOPS_OPERATION"] == "drift"


def test_a_manual_run_with_a_commit_previews_then_rolls_back_in_the_prod_environment() -> None:
    typed = "$(touch pwned)`touch pwned`"
    preview, rollback = compiled_operations("Manual", typed)
    assert (preview["stage"], rollback["stage"], rollback["dependsOn"], rollback["lockBehavior"]) == ("rollback_preview", "rollback", "rollback_preview", "sequential")
    assert [job.get("environment") for job in preview["jobs"]] == [None], "the preview holds no environment: no approval before it"
    environment, job = rollback["jobs"]
    assert environment["environment"] == "production", "the environment's Approvals and Exclusive lock hold the rollback"
    for stage in (preview, rollback):
        step = stage["jobs"][-1]["steps"][-1]
        assert step["env"]["BUNDLEOPS_ROLLBACK_TO"] == typed and step["env"]["BUNDLEOPS_OPERATION"] == stage["stage"]
        assert "$(" not in step["bash"].replace("'$('", ""), "the typed commit reaches the script only through env"
        assert stage["jobs"][-1]["steps"][0] == {"checkout": "self", "fetchDepth": 0}
    assert 'rollback) bundleops rollback --project-root "$BUNDLEOPS_PROJECT_ROOT" --target prod --to "$BUNDLEOPS_ROLLBACK_TO" ;;' in job["steps"][-1]["bash"]
