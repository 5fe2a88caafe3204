"""The Jenkins shared library, checked without running a build: every vars/ and src/ file compiles
on Groovy 2.4 (the line Jenkins ships) with src/ on the class path, as Jenkins loads them; every
`sh` is a single-quoted literal (values go through withEnv, never Groovy interpolation into shell
text); the src/ classes are Serializable (CPS keeps them across input, lock and node); the shell
resource reads only the library's own variables; the settings and the plan file are validated as
documented; and the docs show the consumer file the conformance suite runs.

The compile check is the harness's `lint` mode (tests/conformance/jenkins/Harness.groovy): it compiles
each file through class generation and reports every `sh` call with the kind of its script argument.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from bundleops import __version__
from tests.conformance.harness import REPO_ROOT
from tests.conformance.runners import jenkins as runner
from tests.support.gotemplate import EXAMPLE_INPUTS, TEMPLATE_DIR, render_tree

LIBRARY = REPO_ROOT / "jenkins"
DOCS = REPO_ROOT / "docs" / "jenkins.md"
HELP = LIBRARY / "vars" / "bundleopsPipeline.txt"
SCRIPT = LIBRARY / "resources" / "io" / "bundleops" / "bundleops.sh"
CONSUMER = TEMPLATE_DIR / "template" / "{{.project_name}}" / runner.CONSUMER_FILE
# What a single-quoted sh call looks like at the position the compiler reports for it.
SINGLE_QUOTED_SH = re.compile(r"sh\s*\(?\s*(?:script\s*:\s*)?'")
# Variables the shell resource may read: its own inputs and locals. Anything a pull request's author
# controls (CHANGE_*, BRANCH_NAME, GIT_*) is read by bundleops, never by shell text.
SCRIPT_VARIABLES = {"BUNDLEOPS_PYTHON", "BUNDLEOPS_SOURCE", "BUNDLEOPS_PROJECT_ROOT", "BUNDLEOPS_TARGET", "BUNDLEOPS_SONAR", "BUNDLEOPS_GATED", "BUNDLEOPS_SWEEP_OLDER_THAN", "BUNDLEOPS_ROLLBACK_TO", "BUNDLEOPS_PREVIEW_ONLY", "command", "root", "1"}


def groovy(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(cwd or REPO_ROOT), "JAVA_HOME": runner.java_home({}), "JAVA_OPTS": runner.JAVA_OPTS}
    return subprocess.run(["groovy", *args], cwd=cwd or REPO_ROOT, env=env, capture_output=True, text=True, timeout=300)


def lint_library(library: Path) -> tuple[int, list[dict]]:
    result = groovy(str(runner.HARNESS), "lint", "--library-dir", str(library))
    records = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert records or result.returncode == 0, result.stdout + result.stderr
    return result.returncode, records


def evaluate(tmp_path: Path, code: str) -> object:
    """Run Groovy with the library's src/ on the class path; the script prints one JSON document."""
    script = tmp_path / "evaluate.groovy"
    script.write_text("import groovy.json.JsonOutput\nimport io.bundleops.*\n" + code, encoding="utf-8")
    result = groovy("-cp", str(LIBRARY / "src"), str(script), cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def lint() -> list[dict]:
    code, records = lint_library(LIBRARY)
    assert code == 0, records
    return records


def library_files() -> list[Path]:
    return sorted(LIBRARY.glob("vars/*.groovy")) + sorted(LIBRARY.glob("src/**/*.groovy"))


def test_every_vars_and_src_file_compiles(lint: list[dict]) -> None:
    compiled = {Path(record["file"]).resolve() for record in lint if record["kind"] == "compiled"}
    assert compiled == {path.resolve() for path in library_files()}
    assert len(library_files()) >= 3


def test_the_compile_check_catches_errors_and_interpolated_shell(tmp_path: Path) -> None:
    """The check is real: a syntax error, an unknown class and a GString script are all reported."""
    (tmp_path / "vars").mkdir()
    (tmp_path / "src" / "io" / "example").mkdir(parents=True)
    (tmp_path / "vars" / "broken.groovy").write_text("def call() {\n  node {\n", encoding="utf-8")
    (tmp_path / "vars" / "interpolating.groovy").write_text('def call(String branch) {\n  sh "echo ${branch}"\n}\n', encoding="utf-8")
    (tmp_path / "src" / "io" / "example" / "Missing.groovy").write_text("package io.example\nclass Missing { NoSuchType value }\n", encoding="utf-8")
    code, records = lint_library(tmp_path)
    assert code == 1
    errors = {Path(record["file"]).name for record in records if record["kind"] == "error"}
    assert errors == {"broken.groovy", "Missing.groovy"}
    (interpolated,) = [record for record in records if record["kind"] == "sh"]
    assert interpolated["argument"] == "GStringExpression" and interpolated["string"] is False


def test_every_sh_is_a_single_quoted_literal(lint: list[dict]) -> None:
    calls = [record for record in lint if record["kind"] == "sh"]
    assert len(calls) >= 5
    for call in calls:
        where = f"{call['file']}:{call['line']}"
        assert call["argument"] == "ConstantExpression" and call["string"], f"{where}: sh takes a {call['argument']}"
        line = Path(call["file"]).read_text(encoding="utf-8").splitlines()[call["line"] - 1]
        assert SINGLE_QUOTED_SH.match(line, call["column"] - 1), f"{where}: not a single-quoted literal: {line.strip()}"
    for path in library_files():
        text = path.read_text(encoding="utf-8")
        assert not re.search(r'\bsh\s*\(?\s*(script\s*:\s*)?"', text), f"{path}: sh with a double-quoted string"


def test_src_classes_are_serializable(lint: list[dict]) -> None:
    classes = [record for record in lint if record["kind"] == "class"]
    assert {record["name"] for record in classes} == {"io.bundleops.Settings", "io.bundleops.Plan"}
    assert all(record["serializable"] for record in classes), classes


def test_the_shell_resource_reads_only_the_library_variables_and_knows_every_command() -> None:
    text = SCRIPT.read_text(encoding="utf-8")
    syntax = subprocess.run(["bash", "-n", str(SCRIPT)], capture_output=True, text=True)
    assert syntax.returncode == 0, syntax.stderr
    code = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    read = set(re.findall(r"\$\{?([A-Za-z_][A-Za-z0-9_]*|\d)", code))
    assert read <= SCRIPT_VARIABLES, f"the script reads {sorted(read - SCRIPT_VARIABLES)}"
    library = (LIBRARY / "vars" / "bundleopsPipeline.groovy").read_text(encoding="utf-8")
    commands = set(re.findall(r"sh 'bash \.bundleops/ci/bundleops\.sh (\w+)'", library))
    assert commands == {"setup", "plan", "unit", "preview", "target", "sweep", "drift", "rollback"}, "the jobs' steps and red path are `bundleops run`'s"
    handled = set(re.findall(r"^\s+([\w |]+)\)$", text, re.MULTILINE))
    assert commands <= {word.strip() for group in handled for word in group.split("|")}


def test_the_library_and_the_consumer_file_pin_this_release(tmp_path: Path) -> None:
    pins = evaluate(tmp_path, "println JsonOutput.toJson([version: Settings.VERSION, source: Settings.DEFAULT_SOURCE, script: Settings.SCRIPT_RESOURCE])")
    assert pins["version"] == __version__
    assert pins["source"] == f"bundleops[local]=={__version__}"
    assert (LIBRARY / "resources" / pins["script"]) == SCRIPT
    consumer = CONSUMER.read_text(encoding="utf-8")
    assert f"@Library('{runner.LIBRARY_NAME}@v{__version__}') _\n" in consumer
    assert consumer.rstrip().endswith("bundleopsPipeline(projectRoot: '.')")


def test_docs_show_the_consumer_file_the_conformance_suite_runs(tmp_path: Path) -> None:
    render_tree(TEMPLATE_DIR, {**EXAMPLE_INPUTS, "ci_system": "jenkins"}, tmp_path)
    project = tmp_path / EXAMPLE_INPUTS["project_name"]
    assert not (project / ".gitlab-ci.yml").exists(), "only the Jenkins consumer file renders for ci_system jenkins"
    text = DOCS.read_text(encoding="utf-8")
    block = re.search(r"<!-- consumer-file: Jenkinsfile -->\n```groovy\n(.*?)```", text, re.DOTALL)
    assert block, f"{DOCS} has no consumer-file block"
    assert block.group(1) == (project / runner.CONSUMER_FILE).read_text(encoding="utf-8")


def test_every_setting_is_documented(tmp_path: Path) -> None:
    keys = evaluate(tmp_path, "println JsonOutput.toJson([keys: Settings.KEYS, targetKeys: Settings.TARGET_KEYS, targets: Settings.TARGETS])")
    docs = DOCS.read_text(encoding="utf-8")
    help_page = HELP.read_text(encoding="utf-8")
    for key in keys["keys"]:
        assert f"| `{key}` |" in docs, f"{DOCS}: no row for setting {key}"
        assert f"<code>{key}</code>" in help_page, f"{HELP}: no entry for setting {key}"
    for key in keys["targetKeys"]:
        assert f"| `{key}` |" in docs, f"{DOCS}: no row for targets key {key}"
        assert f"<code>{key}</code>" in help_page, f"{HELP}: no entry for targets key {key}"
    assert keys["targets"] == ["dev", "staging", "prod"]


def documented_calls() -> list[str]:
    """Every bundleopsPipeline(...) call shown in docs/jenkins.md and the help page."""
    docs = re.findall(r"```groovy\n(.*?)```", DOCS.read_text(encoding="utf-8"), re.DOTALL)
    help_page = [block.replace("&amp;", "&") for block in re.findall(r"<pre>\n(.*?)</pre>", HELP.read_text(encoding="utf-8"), re.DOTALL)]
    calls = []
    for block in docs + help_page:
        start = block.find("bundleopsPipeline(")
        if start >= 0:
            calls.append(block[start:].strip())
    return calls


def test_documented_examples_are_valid_settings(tmp_path: Path) -> None:
    calls = documented_calls()
    assert len(calls) >= 5
    body = "def found = []\ndef bundleopsPipeline(Map config) { Settings.problems(config) }\n"
    body += "".join(f"found.add({call})\n" for call in calls)
    body += "println JsonOutput.toJson(found)\n"
    assert evaluate(tmp_path, body) == [[] for _ in calls]


def test_settings_refuse_what_they_cannot_use_and_derive_the_rest(tmp_path: Path) -> None:
    result = evaluate(
        tmp_path,
        r"""
        def problems = { Map config -> Settings.problems(config).join('; ') }
        Settings orders = Settings.from([projectRoot: './bundles/orders/', targets: [prod: [credentialsId: 'orders-prod', lock: 'shared-prod', submitter: 'leads']]])
        println JsonOutput.toJson([
            typo: problems([projectroot: '.']),
            parent: problems([projectRoot: 'bundles/../..']),
            absolute: problems([projectRoot: '/srv/bundle']),
            authType: problems([authType: 'azure-cli']),
            target: problems([targets: [qa: [:]]]),
            targetKey: problems([targets: [prod: [credentialId: 'x']]]),
            hours: problems([approvalTimeoutHours: 0]),
            parallel: [problems([parallel: 0]), problems([parallel: '4']), Settings.from([:]).parallel, Settings.from([parallel: 4]).parallel],
            index: problems([pipIndexCredentialsId: 42]),
            indexId: [Settings.from([:]).pipIndexCredentialsId, Settings.from([pipIndexCredentialsId: ' nexus-pypi ']).pipIndexCredentialsId],
            valid: problems([projectRoot: 'bundles/orders', sonar: true, pipIndexCredentialsId: 'nexus-pypi', targets: [dev: [host: 'https://dev.example.com']]]),
            root: orders.projectRoot,
            credentials: [orders.credentialsId('prod'), orders.credentialsId('staging')],
            submitters: [orders.submitter('prod'), orders.submitter('staging')],
            locks: [orders.lockName('prod', 'data-platform/orders/PR-7', true), orders.lockName('staging', 'data-platform/orders/PR-7', true),
                    orders.lockName('dev', 'orders', false), orders.lockName('staging', 'data-platform/orders/PR-7', true, 'pr-7'),
                    orders.lockName('staging', 'data-platform/orders/PR-8', true, 'pr-8'), orders.lockName('prod', 'data-platform/orders/main', true, '')],
            sweep: [Settings.from([:]).sweepOlderThan, Settings.from([sweepOlderThan: '36h']).sweepOlderThan, problems([sweepOlderThan: ''])],
            environment: Settings.from([:]).environment() + Settings.from([targets: [prod: [host: 'https://prod.example.com']]]).targetEnvironment('prod'),
        ])
        """,
    )
    assert result["typo"].startswith("unknown setting 'projectroot'")
    assert "must stay inside the workspace" in result["parent"] and "relative path" in result["absolute"]
    assert "authType 'azure-cli'" in result["authType"]
    assert "unknown target 'qa'" in result["target"] and "unknown key 'credentialId'" in result["targetKey"]
    assert "approvalTimeoutHours" in result["hours"]
    assert result["parallel"] == ["parallel must be a whole number of bundles >= 1"] * 2 + [10, 4]
    assert result["index"] == "pipIndexCredentialsId must be a string"
    assert result["indexId"] == ["", "nexus-pypi"], "no private index unless configured"
    assert result["valid"] == ""
    assert result["root"] == "bundles/orders"
    assert result["credentials"] == ["orders-prod", "databricks-staging"]
    assert result["submitters"] == ["leads", None]
    assert result["locks"] == [
        "shared-prod",
        "bundleops-data-platform/orders-staging",
        "bundleops-orders-dev",
        "bundleops-data-platform/orders-staging-pr-7",
        "bundleops-data-platform/orders-staging-pr-8",
        "shared-prod",
    ], "each pull request's own deployment has its own lock; the shared targets keep theirs"
    assert result["sweep"] == ["7d", "36h", "sweepOlderThan must be a non-empty string"]
    assert result["environment"] == [
        "BUNDLEOPS_PROJECT_ROOT=.",
        f"BUNDLEOPS_SOURCE=bundleops[local]=={__version__}",
        "BUNDLEOPS_PYTHON=python3",
        "BUNDLEOPS_SONAR=false",
        "BUNDLEOPS_PARALLEL=10",
        "DATABRICKS_AUTH_TYPE=oauth-m2m",
        "BUNDLEOPS_TARGET=prod",
        "DATABRICKS_HOST=https://prod.example.com",
    ]


def test_the_plan_file_is_read_strictly(tmp_path: Path) -> None:
    result = evaluate(
        tmp_path,
        r"""
        def bundle = { Map fields -> [project_root: '.', key: 'root', target: 'prod', steps: ['unit', 'validate', 'deploy', 'publish'], requires_approval: false, deployment: null,
                                      reason: "rule 'main': branch=main", why: 'changed bundles/a/x.py'] + fields }
        def json = { List bundles -> JsonOutput.toJson([target: 'prod', bundles: bundles]) }
        def plan = { Map fields -> String text = json([bundle(fields)]); Plan.problem(text) ?: Plan.selected(text)[0].describe() }
        def full = Plan.selected(json([bundle([:])]))[0]
        def three = Plan.selected(json([bundle(project_root: 'bundles/a', key: 'bundles-a', target: 'staging', deployment: 'pr-7'),
                                        bundle(project_root: 'bundles/b', key: 'bundles-b', target: 'staging', steps: ['unit'], deployment: 'pr-7'),
                                        bundle(project_root: 'bundles/c', key: 'bundles-c', target: 'staging', steps: ['validate', 'preview'], requires_approval: true, deployment: 'pr-7')]))
        def staging = Plan.onTarget(three, 'staging')
        println JsonOutput.toJson([
            prod: plan([:]),
            staging: plan(target: 'staging', steps: ['unit', 'validate', 'deploy', 'test', 'publish']),
            none: plan(target: null, steps: ['unit']),
            missing: plan(requires_approval: null).toString() + ' / ' + Plan.problem(json([[project_root: '.', key: 'root', target: 'dev', steps: ['unit']]])),
            notJson: [Plan.problem('target=dev'), Plan.problem('{"target": "dev"}')],
            newStep: plan(target: 'dev', steps: ['unit', 'lint']),
            badTarget: plan(target: 'qa'),
            targetSteps: [full.hasTargetSteps(), Plan.selected(json([bundle(target: 'dev', steps: ['unit'])]))[0].hasTargetSteps()],
            pullRequest: plan(target: 'staging', steps: ['unit', 'validate', 'preview', 'deploy', 'test', 'publish'], deployment: 'pr-7'),
            onTarget: staging.collect { it.projectRoot },
            approval: [Plan.needApproval(staging), Plan.needApproval(staging.subList(0, 1)), Plan.needApproval([full])],
            deployment: [Plan.sharedDeployment(staging), Plan.sharedDeployment(three.subList(0, 1) + [full])],
            batches: Plan.batches(three, 2).collect { batch -> batch.collect { it.key } },
            names: [full.reportDir(), three[0].reportDir(), full.unitReportDir(), three[0].unitReportDir(), full.own('bundleops'), three[0].own('bundleops'), three[0].title('bundleops coverage')],
            log: [Plan.describeAll([full]), Plan.describeAll(three.subList(0, 1))],
        ])
        """,
    )
    assert result["prod"] == "target prod, steps unit validate deploy publish, approval required", "prod always waits for a person"
    assert result["staging"] == "target staging, steps unit validate deploy test publish, approval not required"
    assert result["none"] == "target none, steps unit, approval not required"
    assert "requires_approval of . is 'null'" in result["missing"] and "has no 'requires_approval'" in result["missing"]
    assert all("has no 'bundles' list" in problem for problem in result["notJson"]), "a dotenv or an old plan is refused by name"
    assert "the step 'lint', which this library cannot run" in result["newStep"]
    assert "target 'qa'" in result["badTarget"]
    assert result["targetSteps"] == [True, False]
    assert result["pullRequest"] == "target staging (deployment pr-7), steps unit validate preview deploy test publish, approval not required"
    assert result["onTarget"] == ["bundles/a", "bundles/c"], "a bundle with only unit tests has nothing to run on its target"
    assert result["approval"] == [True, False, True], "one approval per target, asked when one of its bundles needs it"
    assert result["deployment"] == ["pr-7", ""], "bundles of different deployments take the target's shared lock"
    assert result["batches"] == [["bundles-a", "bundles-b"], ["bundles-c"]]
    assert result["names"] == ["test-results", "test-results/bundles-a", ".bundleops/reports/unit", "bundles/a/.bundleops/reports/unit", "bundleops", "bundleops-bundles-a", "bundleops coverage (bundles/a)"]
    assert result["log"][0] == "target prod, steps unit validate deploy publish, approval required\n  rule 'main': branch=main"
    assert result["log"][1] == "1 bundle(s) selected\n  bundles/a: target staging (deployment pr-7), steps unit validate deploy publish, approval not required\n    changed bundles/a/x.py; rule 'main': branch=main"


def test_docs_show_the_operations_job_the_conformance_suite_runs() -> None:
    shipped = (TEMPLATE_DIR / "template" / "{{.project_name}}" / runner.OPERATIONS_FILE).read_text(encoding="utf-8")
    documented = re.search(r"<!-- operations-file: Jenkinsfile\.operations -->\n```groovy\n(.*?)```", DOCS.read_text(encoding="utf-8"), re.DOTALL)
    assert documented and documented.group(1) == shipped, f"{DOCS} shows Jenkinsfile.operations as shipped"
    assert shipped.rstrip().endswith("bundleopsPipeline.operations(projectRoot: '.')")
