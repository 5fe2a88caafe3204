"""The Azure Pipelines simulator (azure_expander.py, azure_expressions.py) on small pipelines: it
does what Azure documents for the constructs bundleops' template uses, and raises
UnsupportedConstruct naming anything else, so a template change it cannot simulate fails loudly
instead of passing for the wrong reason."""

from __future__ import annotations

import os
from pathlib import Path
from textwrap import dedent

import pytest

from tests.conformance import harness
from tests.conformance.azure_expander import (
    PipelineError,
    UnsupportedConstruct,
    VariableGroup,
    compile_pipeline,
    resolve_parameters,
    run_pipeline,
)
from tests.conformance.azure_expressions import Context, condition_holds, evaluate_text

LIBRARY = "platform/templates"
CONSUMER = """\
trigger:
  branches:
    include: [main]
pr:
  branches:
    include: [main]
resources:
  repositories:
    - repository: lib
      type: git
      name: platform/templates
      ref: refs/tags/v1
extends:
  template: t.yml@lib
"""
PUSH = {"Build.Reason": "IndividualCI", "Build.SourceBranch": "refs/heads/main", "System.AccessToken": "fake-access-token-123"}


def pipeline(tmp_path: Path, template: str, consumer: str = CONSUMER) -> tuple[Path, Path]:
    """A project repository holding `consumer` and a library folder holding t.yml."""
    library = tmp_path / "library"
    library.mkdir()
    (library / "t.yml").write_text(dedent(template), encoding="utf-8")
    project = tmp_path / "project"
    project.mkdir()
    (project / "azure-pipelines.yml").write_text(consumer, encoding="utf-8")
    harness.make_repository(project, "main")
    return project / "azure-pipelines.yml", library


def simulate(tmp_path: Path, template: str, *, consumer: str = CONSUMER, predefined: dict | None = None, **kwargs):
    consumer_file, library = pipeline(tmp_path, template, consumer)
    return run_pipeline(
        consumer_file,
        sources={LIBRARY: library},
        workdir=tmp_path / "work",
        predefined=predefined or PUSH,
        agent_env={"PATH": os.environ["PATH"], "HOME": str(tmp_path)},
        **kwargs,
    )


# ----------------------------------------------------------------------------- expressions


def test_expressions_compare_as_azure_does() -> None:
    context = Context("test", {"variables": {"Build.Reason": "PullRequest", "flag": "false"}, "parameters": {"sonar": True}})
    assert condition_holds("eq(variables['build.reason'], 'pullrequest')", context), "ordinal, ignoring case"
    assert condition_holds("eq(parameters.sonar, 'TRUE')", context), "the right operand takes the left's type"
    assert condition_holds("variables.flag", context), "a non-empty string, even 'false', is true"
    assert not condition_holds("and(eq(1, 2), variables.nothing.deeper)", context), "and() short-circuits; missing keys are null"
    assert evaluate_text("variables['no such']", context) is None
    assert evaluate_text("'it''s'", context) == "it's"


@pytest.mark.parametrize(
    ("expression", "named"),
    [
        ("contains(variables.a, 'b')", "contains()"),
        ("variables.a == 'b'", "'=='"),
        ("eq(secrets.a, 'b')", "'secrets'"),
        ("succeeded()", "succeeded()"),
    ],
)
def test_expressions_outside_the_subset_are_refused_by_name(expression: str, named: str) -> None:
    with pytest.raises(UnsupportedConstruct, match=named.replace("(", r"\(").replace(")", r"\)")):
        evaluate_text(expression, Context("test", {"variables": {"a": "b"}}))


# ----------------------------------------------------------------------------- compile


def test_parameters_are_typed_defaulted_and_checked() -> None:
    declared = [
        {"name": "root", "type": "string", "default": "."},
        {"name": "sonar", "type": "boolean", "default": False},
        {"name": "minutes", "type": "number", "default": 60},
        {"name": "auth", "type": "string", "default": "a", "values": ["a", "b"]},
    ]
    assert resolve_parameters(declared, {"sonar": "True", "minutes": "90"}, "t.yml") == {"root": ".", "sonar": True, "minutes": 90, "auth": "a"}
    with pytest.raises(PipelineError, match="'sonar' is not a boolean"):
        resolve_parameters(declared, {"sonar": "yes"}, "t.yml")
    with pytest.raises(PipelineError, match="not a valid value"):
        resolve_parameters(declared, {"auth": "c"}, "t.yml")
    with pytest.raises(PipelineError, match="unexpected parameter.*typo"):
        resolve_parameters(declared, {"typo": "x"}, "t.yml")
    with pytest.raises(UnsupportedConstruct, match="stepList"):
        resolve_parameters([{"name": "s", "type": "stepList", "default": []}], {}, "t.yml")
    with pytest.raises(UnsupportedConstruct, match="parameters as a mapping"):
        resolve_parameters({"root": "."}, {}, "t.yml")


def test_template_expressions_keep_types_and_choose_branches(tmp_path: Path) -> None:
    consumer_file, library = pipeline(
        tmp_path,
        """\
        parameters:
          - {name: pool, type: object, default: {vmImage: ubuntu-latest}}
          - {name: sonar, type: boolean, default: true}
        stages:
          - stage: a
            jobs:
              - job: a
                pool: ${{ parameters.pool }}
                steps:
                  - bash: echo
                    displayName: sonar is ${{ parameters.sonar }}
                    env:
                      ${{ if eq(parameters.sonar, false) }}:
                        MODE: off
                      ${{ elseif parameters.sonar }}:
                        MODE: on
                      ${{ else }}:
                        MODE: never
                  - ${{ if not(parameters.sonar) }}:
                    - bash: echo skipped at compile time
        """,
    )
    (stage,) = compile_pipeline(consumer_file, {LIBRARY: library}).stages
    job = stage["jobs"][0]
    assert job["pool"] == {"vmImage": "ubuntu-latest"}
    assert job["steps"] == [{"bash": "echo", "displayName": "sonar is True", "env": {"MODE": "on"}}]


@pytest.mark.parametrize(
    ("template", "named"),
    [
        ("stages:\n  - stage: x\n    ${{ each s in split('a,b', ',') }}:\n      displayName: x\n", "each.*inside a mapping"),
        ("stages:\n  - ${{ insert }}:\n    - stage: x\n", "insert"),
        ("variables:\n  a: b\nstages: []\n", "variables"),
        ("stages:\n  - template: stages.yml\n", "stage needs a name"),
    ],
)
def test_template_constructs_outside_the_subset_are_refused_by_name(tmp_path: Path, template: str, named: str) -> None:
    consumer_file, library = pipeline(tmp_path, template)
    with pytest.raises((UnsupportedConstruct, PipelineError), match=named):
        run_pipeline(consumer_file, sources={LIBRARY: library}, workdir=tmp_path / "w", predefined=PUSH)


def test_each_repeats_its_items_with_the_element_bound(tmp_path: Path) -> None:
    """`${{ each }}` over an array (here from split) or an object; format() and a computed index."""
    consumer_file, library = pipeline(
        tmp_path,
        """\
        parameters:
          - name: devGroup
            type: string
            default: creds-dev
          - name: prodGroup
            type: string
            default: creds-prod
          - name: extra
            type: object
            default: {one: 1}
        stages:
          - ${{ each target in split('dev,prod', ',') }}:
            - ${{ if eq(target, 'prod') }}:
              - stage: gate
            - stage: ${{ target }}
              displayName: ${{ format('{0} uses {1} {{braces}}', target, parameters[format('{0}Group', target)]) }}
          - ${{ each pair in parameters.extra }}:
            - stage: ${{ pair.key }}_${{ pair.value }}
        """,
    )
    stages = compile_pipeline(consumer_file, {LIBRARY: library}).stages
    assert stages == [
        {"stage": "dev", "displayName": "dev uses creds-dev {braces}"},
        {"stage": "gate"},
        {"stage": "prod", "displayName": "prod uses creds-prod {braces}"},
        {"stage": "one_1"},
    ]


def matrix_pipeline(legs: str, *, max_parallel: str = "maxParallel: 2") -> str:
    """A plan job whose output variable is the matrix (`legs`, printed as is) of the next job."""
    return f"""\
        stages:
          - stage: plan
            jobs:
              - job: plan
                steps:
                  - bash: echo '##vso[task.setvariable variable=legs;isOutput=true]{legs}'
                    name: decide
          - stage: run
            jobs:
              - job: leg
                strategy:
                  matrix: $[ stageDependencies.plan.plan.outputs['decide.legs'] ]
                  {max_parallel}
                steps:
                  - bash: |
                      echo "leg=$(name) fields=$NAME/$ROOT"
                      test "$NAME" != broken
        """


def test_a_matrix_from_an_output_variable_runs_one_job_per_leg(tmp_path: Path) -> None:
    """The legs are named by the matrix keys and get their fields as variables, after the job that
    set the output variable ran; a failing leg fails the pipeline, the other legs still run."""
    legs = '{"orders":{"name":"orders","root":"bundles/orders"},"broken":{"name":"broken","root":"x"},"billing":{"name":"billing","root":"bundles/billing"}}'
    run = simulate(tmp_path, matrix_pipeline(legs))
    assert run.returncode == 1, run.log
    assert [(job.name, job.result) for job in run.jobs if job.stage == "run"] == [("leg orders", "Succeeded"), ("leg broken", "Failed"), ("leg billing", "Succeeded")]
    assert "leg=orders fields=orders/bundles/orders" in run.log and "leg=billing fields=billing/bundles/billing" in run.log
    assert run.job("run", "leg orders").variables["root"] == "bundles/orders"
    assert "3 legs (orders, broken, billing), maxParallel 2" in run.log
    assert [(stage.name, stage.result) for stage in run.stages] == [("plan", "Succeeded"), ("run", "Failed")]


def test_an_empty_matrix_still_runs_the_job_once_without_matrix_variables(tmp_path: Path) -> None:
    """As Azure does (MicrosoftDocs/azure-devops-docs#5259): a template guards it with a condition."""
    run = simulate(tmp_path, matrix_pipeline("{}"))
    assert [job.name for job in run.jobs if job.stage == "run"] == ["leg"]
    assert "leg= fields=/" in run.log and "the matrix is empty" in run.log, "no matrix variables: $(name) stays shell text"


@pytest.mark.parametrize(
    ("legs", "max_parallel", "error", "named"),
    [
        ('{"bundles-orders":{"a":"b"}}', "maxParallel: 2", PipelineError, "configuration name 'bundles-orders'"),
        ('{"1st":{"a":"b"}}', "maxParallel: 2", PipelineError, "start with a letter"),
        ("not json", "maxParallel: 2", PipelineError, "not a JSON object"),
        ('{"a":{"b":{"c":"d"}}}', "maxParallel: 2", UnsupportedConstruct, "scalar values"),
        ('{"a":{"b":"c"}}', "maxParallel: many", PipelineError, "maxParallel 'many'"),
        ('{"a":{"b":"c"}}', "parallel: 2", UnsupportedConstruct, "parallel"),
    ],
)
def test_a_matrix_azure_refuses_or_the_simulator_does_not_model_is_refused_by_name(tmp_path: Path, legs: str, max_parallel: str, error: type, named: str) -> None:
    with pytest.raises(error, match=named):
        simulate(tmp_path, matrix_pipeline(legs, max_parallel=max_parallel))


def test_a_deployment_job_takes_no_matrix(tmp_path: Path) -> None:
    template = "stages:\n  - stage: a\n    jobs:\n      - deployment: d\n        environment: e\n        strategy:\n          matrix: {a: {b: c}}\n"
    with pytest.raises(PipelineError, match="Unexpected value 'matrix'"):
        simulate(tmp_path, template)


@pytest.mark.parametrize(("fetch_depth", "history"), [("", "1 main=missing"), ("fetchDepth: 0", "3 main=present"), ("fetchDepth: 2", "2 main=missing")])
def test_checkout_fetches_as_deep_as_fetch_depth_says(tmp_path: Path, fetch_depth: str, history: str) -> None:
    """Shallow fetch of depth 1 unless told otherwise, as pipelines created since sprint 209 do;
    fetchDepth: 0 brings the whole history and every branch (what a merge base needs)."""
    consumer_file, library = pipeline(
        tmp_path,
        f"""\
        stages:
          - stage: a
            jobs:
              - job: a
                steps:
                  - checkout: self
                    {fetch_depth}
                  - bash: |
                      main=missing; git rev-parse -q --verify origin/main >/dev/null && main=present
                      echo "history=$(git rev-list --count HEAD) main=$main"
        """,
    )
    project = consumer_file.parent
    harness.git(project, "checkout", "-q", "-b", "feature")
    for number in (1, 2):
        (project / f"change{number}.txt").write_text("x", encoding="utf-8")
        harness.git(project, "add", "-A")
        harness.git(project, "commit", "-q", "-m", f"change {number}")
    run = run_pipeline(consumer_file, sources={LIBRARY: library}, workdir=tmp_path / "work", predefined=PUSH, agent_env={"PATH": os.environ["PATH"], "HOME": str(tmp_path)})
    assert run.returncode == 0, run.log
    assert f"history={history}" in run.log


def test_extends_resolves_only_declared_repositories(tmp_path: Path) -> None:
    consumer_file, library = pipeline(tmp_path, "stages: []\n", CONSUMER.replace("t.yml@lib", "t.yml@other"))
    with pytest.raises(PipelineError, match="'other'"):
        compile_pipeline(consumer_file, {LIBRARY: library})
    with pytest.raises(PipelineError, match="not available"):
        compile_pipeline(consumer_file, {})


def test_triggers_decide_whether_a_run_starts(tmp_path: Path) -> None:
    with pytest.raises(PipelineError, match="no trigger"):
        simulate(tmp_path, "stages: []\n", predefined={**PUSH, "Build.SourceBranch": "refs/heads/feature/x"})


# ----------------------------------------------------------------------------- run

STAGES = """\
stages:
  - stage: plan
    jobs:
      - job: plan
        steps:
          - bash: |
              echo "##vso[task.setvariable variable=target;isOutput=true]staging"
              echo "##vso[task.setvariable variable=local]from-plan"
            name: decide
          - bash: echo "local=$LOCAL output=$DECIDE_TARGET"
  - stage: staging
    dependsOn: plan
    condition: and(succeeded(), eq(dependencies.plan.outputs['plan.decide.target'], 'staging'))
    jobs:
      - deployment: staging
        environment: staging
        variables:
          - group: creds
          - name: planned
            value: $[ stageDependencies.plan.plan.outputs['decide.target'] ]
        strategy:
          runOnce:
            deploy:
              steps:
                - checkout: self
                - bash: |
                    echo "planned=$PLANNED host=$HOST secret-in-env=${SECRET:-unset} mapped=$MAPPED missing=$MISSING"
                    echo "leak: $MAPPED"
                  env:
                    MAPPED: $(SECRET)
                    MISSING: $(NO_SUCH_VARIABLE)
                - bash: test -f azure-pipelines.yml
  - stage: prod
    dependsOn: plan
    condition: and(succeeded(), eq(dependencies.plan.outputs['plan.decide.target'], 'prod'))
    jobs:
      - deployment: prod
        environment: production
        strategy:
          runOnce:
            deploy:
              steps:
                - bash: echo never
"""


def test_outputs_conditions_groups_and_secrets(tmp_path: Path) -> None:
    library = {"creds": VariableGroup({"HOST": "https://example", "SECRET": "s3cr3t-value"}, frozenset({"SECRET"}))}
    asked: list[str] = []
    run = simulate(tmp_path, STAGES, library=library, approve=lambda environment, stage: asked.append(environment) or True)
    assert run.returncode == 0, run.log
    assert "local=from-plan output=staging" in run.log
    assert "planned=staging host=https://example secret-in-env=unset mapped=*** missing=$(NO_SUCH_VARIABLE)" in run.log
    assert "s3cr3t-value" not in run.log, "secret values are masked in the log"
    assert [(s.name, s.result) for s in run.stages] == [("plan", "Succeeded"), ("staging", "Succeeded"), ("prod", "Skipped")]
    assert asked == ["staging"], "a skipped stage asks for no approval"
    assert run.job("staging").workspace is not None and (run.job("staging").workspace / "azure-pipelines.yml").is_file()


def test_a_failed_step_fails_the_job_and_later_steps_follow_their_conditions(tmp_path: Path) -> None:
    run = simulate(
        tmp_path,
        """\
        stages:
          - stage: a
            jobs:
              - job: a
                steps:
                  - bash: exit 3
                  - bash: echo not after a failure
                  - bash: echo always runs
                    condition: always()
                  - bash: echo only on failure
                    condition: failed()
        """,
    )
    assert run.returncode == 1
    assert [step.result for step in run.steps] == ["Succeeded", "Failed", "Skipped", "Succeeded", "Succeeded"]
    assert "Bash exited with code '3'" in run.log


def test_variable_values_are_data_never_code(tmp_path: Path) -> None:
    """A value with shell and expression syntax (a branch name) is passed through verbatim."""
    hostile = 'x-$(touch pwned)-`touch pwned`-${{ parameters.a }}-$(System.AccessToken)'
    run = simulate(
        tmp_path,
        """\
        stages:
          - stage: a
            jobs:
              - job: a
                steps:
                  - bash: printf 'value=%s\\n' "$VALUE"
                    env:
                      VALUE: $(Build.SourceVersionMessage)
        """,
        predefined={**PUSH, "Build.SourceVersionMessage": hostile},
    )
    assert run.returncode == 0, run.log
    assert f"value={hostile}" in run.log
    assert not list(tmp_path.rglob("pwned"))


@pytest.mark.parametrize(
    ("step", "named"),
    [
        ("- powershell: Write-Host hi", "powershell"),
        ("- task: AzureCLI@2\n  inputs: {}", "AzureCLI@2"),
        ("- task: PublishTestResults@2\n  inputs: {testResultsFiles: x.xml, mergeResults: true}", "mergeResults"),
        ("- bash: echo\n  workingDirectory: /tmp", "workingDirectory"),
        ("- checkout: other_repo", "other_repo"),
        ("- bash: echo '##vso[task.prependpath]/evil'", "task.prependpath"),
    ],
)
def test_steps_outside_the_subset_are_refused_by_name(tmp_path: Path, step: str, named: str) -> None:
    indented = "\n".join("          " + line for line in step.splitlines())
    template = f"stages:\n  - stage: a\n    jobs:\n      - job: a\n        steps:\n{indented}\n"
    with pytest.raises(UnsupportedConstruct, match=named):
        simulate(tmp_path, template)


@pytest.mark.parametrize(
    ("job", "named"),
    [
        ("- deployment: d\n  environment: e\n  strategy:\n    rolling: {maxParallel: 1}", "rolling"),
        ("- deployment: d\n  environment: e\n  strategy:\n    runOnce:\n      preDeploy: {steps: []}\n      deploy: {steps: []}", "preDeploy"),
        ("- job: a\n  container: ubuntu", "container"),
        ("- template: jobs.yml", "template"),
    ],
)
def test_jobs_outside_the_subset_are_refused_by_name(tmp_path: Path, job: str, named: str) -> None:
    indented = "\n".join("      " + line for line in job.splitlines())
    with pytest.raises(UnsupportedConstruct, match=named):
        simulate(tmp_path, f"stages:\n  - stage: a\n    jobs:\n{indented}\n")


def test_a_missing_variable_group_stops_the_run(tmp_path: Path) -> None:
    template = "stages:\n  - stage: a\n    jobs:\n      - job: a\n        variables:\n          - group: nowhere\n        steps:\n          - bash: echo\n"
    with pytest.raises(PipelineError, match="variable group 'nowhere'"):
        simulate(tmp_path, template)


def test_report_tasks_record_the_files_they_publish(tmp_path: Path) -> None:
    run = simulate(
        tmp_path,
        """\
        stages:
          - stage: a
            jobs:
              - job: a
                steps:
                  - bash: |
                      mkdir -p test-results
                      echo '<testsuites><testsuite name="t" tests="1"/></testsuites>' > test-results/junit.xml
                      echo '<coverage line-rate="1"/>' > test-results/coverage.xml
                  - task: PublishTestResults@2
                    inputs: {testResultsFormat: JUnit, testResultsFiles: test-results/junit.xml, searchFolder: $(System.DefaultWorkingDirectory)}
                  - task: PublishCodeCoverageResults@2
                    inputs: {summaryFileLocation: $(System.DefaultWorkingDirectory)/test-results/coverage.xml}
                  - task: PublishTestResults@2
                    inputs: {testResultsFiles: missing/*.xml}
        """,
    )
    assert run.returncode == 0, run.log
    tests, coverage, missing = [step for step in run.steps if step.kind.startswith("task:")]
    assert tests.files and tests.files[0].endswith("test-results/junit.xml")
    assert coverage.files and coverage.files[0].endswith("test-results/coverage.xml")
    assert missing.files == [] and "No test result files matching 'missing/*.xml'" in run.log


RUNTIME_CONSUMER = CONSUMER.replace("trigger:\n  branches:\n    include: [main]\n", "parameters:\n  - name: commit\n    type: string\n    default: none\ntrigger: none\n").replace(
    "  template: t.yml@lib\n", "  template: t.yml@lib\n  parameters:\n    to: ${{ parameters.commit }}\n"
)
RUNTIME_TEMPLATE = """\
parameters:
  - name: to
    type: string
stages:
  - stage: show
    jobs:
      - job: show
        steps:
          - bash: echo "reason=$(Build.Reason) to=$TO"
            env:
              TO: ${{ parameters.to }}
"""


def test_a_manual_run_starts_whatever_the_triggers_and_passes_its_runtime_parameters(tmp_path: Path) -> None:
    """Run pipeline starts a pipeline with `trigger: none`; its typed runtime parameters take the
    queued value, else their default, and reach the template through `extends.parameters`."""
    manual = {**PUSH, "Build.Reason": "Manual"}
    for name in ("queued", "default", "push", "unknown"):
        (tmp_path / name).mkdir()
    run = simulate(tmp_path / "queued", RUNTIME_TEMPLATE, consumer=RUNTIME_CONSUMER, predefined=manual, runtime_parameters={"commit": "$(touch x) 0123abc"})
    assert run.returncode == 0 and "reason=Manual to=$(touch x) 0123abc" in run.log, run.log
    assert not list((tmp_path / "queued").rglob("x")), "a runtime parameter is data"
    run = simulate(tmp_path / "default", RUNTIME_TEMPLATE, consumer=RUNTIME_CONSUMER, predefined=manual)
    assert "to=none" in run.log, run.log
    with pytest.raises(PipelineError, match="no trigger"):
        simulate(tmp_path / "push", RUNTIME_TEMPLATE, consumer=RUNTIME_CONSUMER)
    with pytest.raises(PipelineError, match="unexpected parameter"):
        simulate(tmp_path / "unknown", RUNTIME_TEMPLATE, consumer=RUNTIME_CONSUMER, predefined=manual, runtime_parameters={"rollback": "x"})
