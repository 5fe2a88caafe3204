"""The bundle template (bundleops.shipped) renders for every CI system, and the example project is a fresh render."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

import bundleops
from bundleops.init.command import CONSUMER_FILES
from tests.support.gotemplate import CI_SYSTEMS, EXAMPLE_DIR, EXAMPLE_INPUTS, EXAMPLES, REPO, TEMPLATE_DIR, render_example, render_tree

# The consumer CI file(s) of each CI system: the bundle template's README.md documents these paths.
CI_PATHS = {
    "azure": re.compile(r"^azure-pipelines\.yml$"),
    "github": re.compile(r"^\.github/"),
    "gitlab": re.compile(r"^\.gitlab-ci\.yml$"),
    "jenkins": re.compile(r"^Jenkinsfile$"),
    "bitbucket": re.compile(r"^bitbucket-pipelines\.yml$"),
}


def _files(root: Path, ignored_dirs: set[str]) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in root.rglob("*")
        if p.is_file() and not ignored_dirs & set(p.relative_to(root).parts)
    }


def _generated_dirs(project: Path) -> set[str]:
    """Folders the project's own .gitignore names (outputs of running it), e.g. .bundleops/."""
    lines = (project / ".gitignore").read_text(encoding="utf-8").splitlines()
    return {line.rstrip("/") for line in lines if line.endswith("/")}


def _render(tmp_path: Path, **changes: str) -> Path:
    return render_example(destination=tmp_path, **changes)


@pytest.mark.parametrize("example", EXAMPLES, ids=[folder.name for folder in EXAMPLES])
def test_each_example_equals_a_fresh_render_with_the_documented_inputs(tmp_path, example):
    fresh = _render(tmp_path, **EXAMPLES[example])
    ignored = _generated_dirs(fresh)
    expected, actual = _files(fresh, ignored), _files(example, ignored)
    assert sorted(actual) == sorted(expected), "run: .venv/bin/python -m tests.support.gotemplate --update-example"
    changed = [name for name in expected if expected[name] != actual[name]]
    assert not changed, f"{changed} differ from a fresh render: run .venv/bin/python -m tests.support.gotemplate --update-example"


def test_the_documented_example_inputs_are_the_ones_the_test_uses():
    readme = (TEMPLATE_DIR / "README.md").read_text(encoding="utf-8")
    for name, value in EXAMPLE_INPUTS.items():
        row = next(line for line in readme.splitlines() if line.startswith("|") and f"`{name}`" in line.split("|")[1])
        assert f"`{value}`" in row, f"{TEMPLATE_DIR / 'README.md'} does not document {name}={value}"


@pytest.mark.parametrize("ci_system", CI_SYSTEMS)
def test_the_ci_file_bundleops_init_reports_is_the_one_the_template_writes(tmp_path, ci_system):
    project = _render(tmp_path, ci_system=ci_system)
    assert CI_PATHS[ci_system].search(CONSUMER_FILES[ci_system]) and (project / CONSUMER_FILES[ci_system]).is_file()


@pytest.mark.parametrize("ci_system", CI_SYSTEMS)
def test_each_ci_system_renders_its_own_ci_file_and_no_other(tmp_path, ci_system):
    project = _render(tmp_path, ci_system=ci_system, project_name=f"sales_{ci_system}")
    files = [str(p.relative_to(project)) for p in project.rglob("*") if p.is_file()]
    for other, pattern in CI_PATHS.items():
        matching = [f for f in files if pattern.search(f)]
        if other != ci_system:
            assert not matching, f"{ci_system} project got {other}'s CI file {matching}"
    template_has_own = any(
        CI_PATHS[ci_system].search(str(p.relative_to(TEMPLATE_DIR / "template" / "{{.project_name}}")).removesuffix(".tmpl"))
        for p in (TEMPLATE_DIR / "template" / "{{.project_name}}").rglob("*")
        if p.is_file()
    )
    assert template_has_own == any(CI_PATHS[ci_system].search(f) for f in files)
    assert (project / "databricks.yml").is_file()
    assert (project / f"resources/sales_{ci_system}_test_job.yml").is_file()
    assert (project / f"src/sales_{ci_system}/revenue.py").is_file()
    assert not (project / "__preamble").exists()


@pytest.mark.parametrize("ci_system", CI_SYSTEMS)
def test_every_rendered_yaml_and_template_file_parses(tmp_path, ci_system):
    project = _render(tmp_path, ci_system=ci_system)
    for path in project.rglob("*.yml"):
        yaml.safe_load(path.read_text(encoding="utf-8"))
    leftovers = [str(p) for p in project.rglob("*") if p.is_file() and p.suffix == ".tmpl"]
    assert not leftovers


def test_bundle_targets_and_identities(tmp_path):
    project = _render(tmp_path, catalog_staging="stg_cat", sp_prod="0a1b2c3d-0000-4000-8000-00000000beef")
    bundle = yaml.safe_load((project / "databricks.yml").read_text(encoding="utf-8"))
    assert bundle["bundle"]["name"] == "orders_pipeline"
    targets = bundle["targets"]
    assert list(targets) == ["dev", "staging", "prod"]
    assert targets["dev"] == targets["dev"] | {"mode": "development", "default": True}
    assert targets["staging"]["variables"]["catalog"] == "stg_cat"
    assert targets["prod"]["run_as"] == {"service_principal_name": "0a1b2c3d-0000-4000-8000-00000000beef"}
    assert targets["prod"]["workspace"]["root_path"].startswith("/Workspace/Users/0a1b2c3d-0000-4000-8000-00000000beef/")
    for name in ("staging", "prod"):
        assert targets[name]["mode"] == "production"
        assert targets[name]["run_as"]["service_principal_name"] in {p.get("service_principal_name") for p in targets[name]["permissions"]}


def test_test_job_runs_the_testrunner_pinned_to_this_release(tmp_path):
    project = _render(tmp_path)
    job = yaml.safe_load((project / "resources/orders_pipeline_test_job.yml").read_text(encoding="utf-8"))
    settings = job["resources"]["jobs"]["orders_pipeline_test_job"]
    parameters = {p["name"]: p["default"] for p in settings["parameters"]}
    assert parameters["report_folder"].startswith("/Volumes/${var.catalog}/${var.schema}/")
    assert set(parameters) == {"report_folder", "commit"}
    (task,) = settings["tasks"]
    assert task["python_wheel_task"]["package_name"] == "bundleops"
    assert task["python_wheel_task"]["entry_point"] == "testrunner"
    args = task["python_wheel_task"]["parameters"]
    assert args[args.index("--report-folder") + 1] == "{{job.parameters.report_folder}}"
    assert args[args.index("--run-id") + 1] == "{{job.run_id}}"
    assert args[args.index("--tests") + 1] == "${workspace.file_path}/tests/integration"
    (environment,) = settings["environments"]
    assert environment["environment_key"] == task["environment_key"]
    shipped, pytest_pin = environment["spec"]["dependencies"]
    # the wheel `bundleops deploy` ships, of the version it sets with --var; the one pin is the variable's default
    assert shipped == "../.bundleops/wheels/bundleops-${var.bundleops_version}-py3-none-any.whl"
    variables = yaml.safe_load((project / "databricks.yml").read_text(encoding="utf-8"))["variables"]
    assert variables["bundleops_version"]["default"] == bundleops.__version__
    assert ".bundleops/" in (project / ".gitignore").read_text(encoding="utf-8").splitlines()  # built, never committed or synced
    constraints = dict(
        line.split("==") for line in (REPO / "constraints.txt").read_text(encoding="utf-8").splitlines() if "==" in line
    )
    assert pytest_pin == f"pytest=={constraints['pytest']}"


def test_bad_inputs_are_refused(tmp_path):
    from tests.support.gotemplate import TemplateError

    with pytest.raises(TemplateError, match="ci_system='circleci'"):
        render_tree(TEMPLATE_DIR, {**EXAMPLE_INPUTS, "ci_system": "circleci"}, tmp_path)
    with pytest.raises(TemplateError, match="project_name='Orders-Pipeline'"):
        render_tree(TEMPLATE_DIR, {**EXAMPLE_INPUTS, "project_name": "Orders-Pipeline"}, tmp_path)
    missing = {k: v for k, v in EXAMPLE_INPUTS.items() if k != "sp_prod"}
    with pytest.raises(TemplateError, match="'sp_prod' is required"):
        render_tree(TEMPLATE_DIR, missing, tmp_path)
    assert not any(tmp_path.iterdir())


def test_bundleops_yml_is_valid_configuration(tmp_path):
    from bundleops import config

    loaded = config.load(_render(tmp_path))
    assert loaded.test.job == "orders_pipeline_test_job"
    assert loaded.sonar.project_key == "orders_pipeline"
