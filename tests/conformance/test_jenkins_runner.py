"""The Jenkins runner on its own: the Jenkinsfile of orders_pipeline, run by the Groovy harness with
the working tree's shared library against the local workspace, runs what `bundleops plan` decides,
waits for the prod approval outside any node and lock, binds credentials only around the target
steps, stops at a failing plan, installs only the pinned bundleops, and the harness refuses what
it does not model. (That nothing from a branch name or pull-request title is executed is checked
for all five CI systems in test_conformance.py.)
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bundleops import __version__
from tests.conformance import harness
from tests.conformance.monorepo import run_pull_request
from tests.conformance.runners import jenkins as runner

pytestmark = pytest.mark.vendor_runner


def calls_of(run: harness.VendorRun) -> list[dict]:
    """The steps the harness recorded (run_vendor runs the runner in <workdir>/runner)."""
    return runner.recorded_calls(run.project.parent / "runner")


def steps_named(calls: list[dict], step: str) -> list[dict]:
    return [call for call in calls if call["step"] == step]


def index_of(calls: list[dict], step: str) -> int:
    return next(call["index"] for call in calls if call["step"] == step)


@pytest.mark.parametrize("event", harness.EVENTS)
def test_runs_the_planned_steps(event: str, conformance_runs: harness.RunCache) -> None:
    run = conformance_runs.get("jenkins", event)
    harness.assert_ran_the_plan(run)
    calls = calls_of(run)
    _, target = harness.planned_steps("jenkins", event, run.project)
    assert [call["name"] for call in steps_named(calls, "stage")] == ["bundleops plan", "bundleops unit", f"bundleops {target}"]
    own = f"-pr-{harness.PR_NUMBER}" if event == "pull_request" else ""  # a pull request locks only its own deployment
    assert steps_named(calls, "lock")[0]["resource"] == f"bundleops-{runner.FOLDER}/orders_pipeline-{target}{own}"
    assert all(call["inNode"] for call in steps_named(calls, "sh")), "every sh runs on an agent"
    # Fresh workspaces per node block: the unit reports (and, for prod, the reviewed plan made on
    # its own agent before the approval) reach the target stage only by stash.
    steps, _ = harness.planned_steps("jenkins", event, run.project)
    gated = "preview" in steps and target == "prod"
    assert len(steps_named(calls, "node")) == (3 if gated else 2)
    stashed = [call["name"] for call in steps_named(calls, "stash")]
    assert [call["name"] for call in steps_named(calls, "unstash")] == stashed
    assert stashed == ["bundleops-unit-reports", *(["bundleops-reviewed-plan"] if gated else [])]
    # The repository's one bundle is one branch of `parallel` (two for prod: the preview, then the target).
    assert [(call["branches"], call["failFast"]) for call in steps_named(calls, "parallel")] == [(["."], False)] * (2 if gated else 1)
    junit = steps_named(calls, "junit")
    assert [(call["stage"], call["branch"], call["testResults"]) for call in junit] == [(f"bundleops {target}", ".", "test-results/junit.xml")]
    coverage = steps_named(calls, "recordCoverage")
    assert [tool["parser"] for call in coverage for tool in call["tools"]] == ["COBERTURA"]
    harness.assert_published_unit_tests(Path(junit[0]["cwd"]) / "test-results")
    assert "Finished: SUCCESS" in run.log


def test_a_pull_request_needs_no_approval(conformance_runs: harness.RunCache) -> None:
    calls = calls_of(conformance_runs.get("jenkins", "pull_request"))
    assert steps_named(calls, "input") == []
    assert harness.INJECTION_TITLE not in str(steps_named(calls, "sh")), "the title reaches steps only as CHANGE_TITLE"
    assert not [call for call in steps_named(calls, "sh") if "BUNDLEOPS_GATED" in call["envNames"]], "no approval, no reviewed plan to apply"


def test_prod_waits_for_approval_outside_any_node_and_lock(conformance_runs: harness.RunCache) -> None:
    calls = calls_of(conformance_runs.get("jenkins", "push"))
    (approval,) = steps_named(calls, "input")
    assert approval["stage"] == "bundleops prod"
    assert approval["inNode"] is False, "a build waiting for a person must hold no executor"
    assert approval["locks"] == [], "a build waiting for a person must keep no other build from deploying"
    assert approval["approver"] == runner.APPROVER and approval["submitterParameter"] == "BUNDLEOPS_APPROVER"
    timeout = next(call for call in calls if call["step"] == "timeout")
    assert timeout["index"] < approval["index"] and timeout["unit"] == "HOURS"
    preview_node, target_node = steps_named(calls, "node")[1:]
    assert preview_node["index"] < approval["index"] and preview_node["locks"] == [], "the plan is shown before the approval, without the lock"
    assert approval["index"] < index_of(calls, "lock") < target_node["index"]
    milestones = steps_named(calls, "milestone")
    assert [call["ordinal"] for call in milestones] == [1, 2]
    assert milestones[0]["index"] > approval["index"] and milestones[1]["locks"], "the second milestone is passed inside the lock"


@pytest.mark.parametrize("event", harness.EVENTS)
def test_credentials_are_bound_only_around_the_target_steps(event: str, conformance_runs: harness.RunCache) -> None:
    calls = calls_of(conformance_runs.get("jenkins", event))
    _, target = harness.planned_steps("jenkins", event, conformance_runs.get("jenkins", event).project)
    bindings = steps_named(calls, "withCredentials")
    expected = [{"kind": "usernamePassword", "credentialsId": f"databricks-{target}", "usernameVariable": "DATABRICKS_CLIENT_ID", "passwordVariable": "DATABRICKS_CLIENT_SECRET"}]
    assert bindings and all(binding["bindings"] == expected for binding in bindings)
    needing = {"preview", "target"}  # `bundleops run --job preview|target`: validate, preview, deploy, test, publish
    for call in steps_named(calls, "sh"):
        command = call["script"].removeprefix("bash .bundleops/ci/bundleops.sh ")
        assert command != call["script"], call["script"]
        has_secret = "DATABRICKS_CLIENT_SECRET" in call["envNames"]
        assert has_secret == (command in needing), f"{call['script']} in stage {call['stage']}: secret bound={has_secret}"


def test_prod_shows_the_plan_before_the_approval_and_applies_it_after(conformance_runs: harness.RunCache) -> None:
    run = conformance_runs.get("jenkins", "push")
    calls = calls_of(run)
    scripts = [(call["index"], call["script"].split()[-1], call["envNames"]) for call in steps_named(calls, "sh")]
    (approval,) = steps_named(calls, "input")
    (preview,) = [item for item in scripts if item[1] == "preview"]
    (target,) = [item for item in scripts if item[1] == "target"]
    assert preview[0] < approval["index"] < target[0], "the approver sees the plan; the deploy comes after"
    assert "BUNDLEOPS_GATED" in target[2], "the deploy applies the plan the preview kept (bundleops run --gated)"
    (stash,) = [call for call in steps_named(calls, "stash") if call["name"] == "bundleops-reviewed-plan"]
    assert stash["files"] == ["test-results/bundle-plan.json"] and stash["index"] < approval["index"]
    assert [step for step, _ in harness.comparable(run.steps)].count("validate") == 1, "validated once, before the approval"


def test_a_plan_without_a_target_records_the_unit_reports_and_binds_nothing(tmp_path: Path) -> None:
    """Like a fork's pull request: unit tests only. No target stage, no lock, no credential; the unit
    stage records its own reports, since no publish will merge them."""

    def unit_only(project: Path) -> None:
        config = project / "bundleops.yml"
        config.write_text(config.read_text(encoding="utf-8") + "rules:\n  - name: unit-only\n    steps: [unit]\n", encoding="utf-8")

    run = harness.run_vendor("jenkins", "pull_request", harness.unreachable_workspace(tmp_path), tmp_path, edit=unit_only)
    harness.assert_ran_the_plan(run)
    calls = runner.recorded_calls(tmp_path / "runner")
    assert [call["name"] for call in steps_named(calls, "stage")] == ["bundleops plan", "bundleops unit"]
    assert [step for step in ("lock", "input", "withCredentials", "stash") if steps_named(calls, step)] == []
    (junit,) = steps_named(calls, "junit")
    assert junit["stage"] == "bundleops unit" and junit["files"] == [".bundleops/reports/unit/junit.xml"] and junit["tests"] > 0
    assert [call["id"] for call in steps_named(calls, "recordCoverage")] == ["bundleops-unit"]
    assert "the plan has no target steps (target none, steps unit" in run.log


def test_many_bundles_run_as_parallel_branches_at_most_parallel_at_a_time_each_with_its_own_reports(conformance_workspace: harness.Workspace, tmp_path: Path) -> None:
    """A repository of bundles with `parallel: 1`: the two bundles the pull request changed run one
    `parallel` step each (the limit), each branch on its own agent with its bundle's folder; their
    unit tests ran once on the plan's agent and reach each branch by the one stash, and each
    branch records its bundle's merged reports from test-results/<key>/ under its own names."""

    def unit_and_publish_one_at_a_time(repository: Path) -> None:
        consumer = repository / runner.CONSUMER_FILE
        consumer.write_text(consumer.read_text(encoding="utf-8").replace("bundleopsPipeline(projectRoot: '.')", "bundleopsPipeline(projectRoot: '.', parallel: 1)"), encoding="utf-8")
        for name in ("billing", "orders"):
            config = repository / "bundles" / name / "bundleops.yml"
            config.write_text(config.read_text(encoding="utf-8").replace("steps: [validate]", "steps: [unit, validate, publish]"), encoding="utf-8")

    result = run_pull_request("jenkins", conformance_workspace, tmp_path, [], edit=unit_and_publish_one_at_a_time)
    assert result.run.returncode == 0, result.run.log[-6000:]
    assert sorted({(bundle, step) for bundle, step, _ in result.trace}) == [(bundle, step) for bundle in ("bundles/billing", "bundles/orders") for step in ("publish", "unit", "validate")]
    calls = runner.recorded_calls(tmp_path / "runner")
    (unit,) = [call for call in steps_named(calls, "sh") if call["script"].endswith(" unit")]
    assert unit["branch"] is None and "BUNDLEOPS_PARALLEL" in unit["envNames"], "the unit tests of every bundle on the plan's agent"
    (stash,) = steps_named(calls, "stash")
    assert stash["includes"] == "bundles/billing/.bundleops/reports/unit/**,bundles/orders/.bundleops/reports/unit/**"
    assert [(call["stage"], call["branches"], call["failFast"]) for call in steps_named(calls, "parallel")] == [
        ("bundleops staging", ["bundles/billing"], False),
        ("bundleops staging", ["bundles/orders"], False),
    ], "parallel: 1 starts one bundle at a time"
    agents = [call["agent"] for call in steps_named(calls, "node") if call["branch"]]
    assert len(set(agents)) == 2, "each bundle's branch runs on an agent of its own"
    junit = [(call["branch"], call["testResults"], call["tests"] > 0) for call in steps_named(calls, "junit")]
    assert junit == [("bundles/billing", "test-results/bundles-billing/junit.xml", True), ("bundles/orders", "test-results/bundles-orders/junit.xml", True)]
    coverage = [(call["branch"], call["id"], call["name"]) for call in steps_named(calls, "recordCoverage")]
    assert coverage == [("bundles/billing", "bundleops-bundles-billing", "bundleops coverage (bundles/billing)"), ("bundles/orders", "bundleops-bundles-orders", "bundleops coverage (bundles/orders)")]
    assert [call["artifacts"] for call in steps_named(calls, "archiveArtifacts")] == ["test-results/bundles-billing/**", "test-results/bundles-orders/**"]


def test_an_approval_waits_once_for_all_the_bundles_of_a_target_outside_any_node_and_lock(conformance_workspace: harness.Workspace, tmp_path: Path) -> None:
    """Two bundles whose rule asks for an approval: each previews in a branch of its own before the
    one `input` (outside any node and lock), each keeps its reviewed plan under its own stash, and
    after the approval each branch gets its own plan back and runs gated."""

    def gate(repository: Path) -> None:
        for name in ("billing", "orders"):
            config = repository / "bundles" / name / "bundleops.yml"
            config.write_text(config.read_text(encoding="utf-8").replace("steps: [validate]", "requires_approval: true\n    steps: [validate, preview]"), encoding="utf-8")

    result = run_pull_request("jenkins", conformance_workspace, tmp_path, [], edit=gate)
    assert result.run.returncode == 0, result.run.log[-6000:]
    assert result.trace == [(bundle, step, "staging") for bundle in ("bundles/billing", "bundles/orders") for step in ("preview", "validate")], "validated and previewed once, before the approval"
    calls = runner.recorded_calls(tmp_path / "runner")
    (approval,) = steps_named(calls, "input")
    assert approval["inNode"] is False and approval["locks"] == [] and approval["branch"] is None
    previews, targets = steps_named(calls, "parallel")
    assert previews["branches"] == targets["branches"] == ["bundles/billing", "bundles/orders"]
    assert previews["index"] < approval["index"] < index_of(calls, "lock") < targets["index"]
    stashes = [(call["branch"], call["name"], call["files"]) for call in steps_named(calls, "stash")]
    assert stashes == [(f"bundles/{name}", f"bundleops-reviewed-plan-bundles-{name}", [f"test-results/bundles-{name}/bundle-plan.json"]) for name in ("billing", "orders")]
    assert [(call["branch"], call["name"]) for call in steps_named(calls, "unstash")] == [(f"bundles/{name}", f"bundleops-reviewed-plan-bundles-{name}") for name in ("billing", "orders")]
    gated = [call["branch"] for call in steps_named(calls, "sh") if call["script"].endswith(" target") and "BUNDLEOPS_GATED" in call["envNames"]]
    assert gated == ["bundles/billing", "bundles/orders"]


def test_the_harness_parallel_runs_every_branch_then_fails_with_the_failed_one(tmp_path: Path) -> None:
    """failFast off, as workflow-cps documents it: a failing branch does not stop the others; the step fails after them."""

    def prepend(project: Path) -> None:
        consumer = project / runner.CONSUMER_FILE
        head, library, rest = consumer.read_text(encoding="utf-8").partition(f"@Library('bundleops@v{__version__}') _\n")
        consumer.write_text(head + library + "node { parallel(first: { sh 'exit 4' }, second: { echo 'the second branch ran' }, failFast: false) }\n" + rest, encoding="utf-8")

    run = harness.run_vendor("jenkins", "push", harness.unreachable_workspace(tmp_path), tmp_path, edit=prepend)
    assert run.returncode == 1, run.log[-3000:]
    assert "Failed in branch first" in run.log and "the second branch ran" in run.log and "ERROR: script returned exit code 4" in run.log
    calls = runner.recorded_calls(tmp_path / "runner")
    assert [(call["step"], call["branch"]) for call in calls if call["step"] in ("sh", "echo")] == [("sh", "first"), ("echo", "second")]
    assert steps_named(calls, "stage") == [], "bundleopsPipeline never started"


def test_a_failing_plan_stops_the_pipeline(tmp_path: Path) -> None:
    run = harness.run_with_failing_plan("jenkins", tmp_path)
    calls = runner.recorded_calls(tmp_path / "runner")
    assert [call["name"] for call in steps_named(calls, "stage")] == ["bundleops plan"]
    assert "ERROR: script returned exit code 2" in run.log and "Finished: FAILURE" in run.log


def test_the_library_installs_the_pinned_bundleops_and_nothing_else(tmp_path: Path) -> None:
    """PIP_NO_INDEX: a build asking for another bundleops than the working tree fails at its install."""

    def ask_for_another_version(project: Path) -> None:
        consumer = project / runner.CONSUMER_FILE
        text = consumer.read_text(encoding="utf-8")
        consumer.write_text(text.replace("bundleopsPipeline(projectRoot: '.')", "bundleopsPipeline(projectRoot: '.', bundleopsSource: 'bundleops==99.0.0')"), encoding="utf-8")

    run = harness.run_vendor("jenkins", "push", harness.unreachable_workspace(tmp_path), tmp_path, edit=ask_for_another_version)
    assert run.returncode == 1 and run.steps == []
    assert "No matching distribution found for bundleops==99.0.0" in run.log


def test_a_setting_with_a_typo_fails_before_any_agent(tmp_path: Path) -> None:
    def misspell(project: Path) -> None:
        consumer = project / runner.CONSUMER_FILE
        consumer.write_text(consumer.read_text(encoding="utf-8").replace("projectRoot:", "projectroot:"), encoding="utf-8")

    run = harness.run_vendor("jenkins", "push", harness.unreachable_workspace(tmp_path), tmp_path, edit=misspell)
    assert run.returncode == 1 and run.steps == []
    assert "ERROR: bundleopsPipeline: unknown setting 'projectroot'" in run.log
    assert steps_named(runner.recorded_calls(tmp_path / "runner"), "node") == []


REFUSED = {
    "an unknown step": ("slackSend(channel: '#data', message: 'deployed')\n", "unknown step 'slackSend'"),
    "a GString as shell text": ("node { def branch = env.BRANCH_NAME; sh \"echo ${branch}\" }\n", "sh with a GString"),
    "a workspace step outside node": ("sh 'true'\n", "step 'sh' outside node"),
    "an unknown step parameter": ("node { sh(script: 'true', returnStdOut: true) }\n", "unknown parameter(s) [returnStdOut]"),
    "an unmapped library": ("@Library('other-library@v1') _\n", "library 'other-library' is not mapped"),
    "parallel with failFast": ("parallel(a: { echo 'a' }, failFast: true)\n", "parallel: failFast: true (aborting the running branches) is not modelled"),
}


@pytest.mark.parametrize("case", REFUSED)
def test_the_harness_refuses_what_it_does_not_model(case: str, tmp_path: Path) -> None:
    """Prepended to the Jenkinsfile, each line stops the run before bundleopsPipeline: exit 3, named."""
    line, message = REFUSED[case]

    def prepend(project: Path) -> None:
        consumer = project / runner.CONSUMER_FILE
        text = consumer.read_text(encoding="utf-8")
        head, library, rest = text.partition(f"@Library('bundleops@v{__version__}') _\n")
        consumer.write_text(head + library + line + rest, encoding="utf-8")

    run = harness.run_vendor("jenkins", "push", harness.unreachable_workspace(tmp_path), tmp_path, edit=prepend)
    assert run.returncode == 3, run.log[-3000:]
    assert "HARNESS REFUSED: " in run.log and message in run.log, run.log[-3000:]
    assert run.steps == []
