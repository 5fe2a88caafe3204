"""bundleops.yml: overrides work, and every mistake is a clear exit-2 error naming file and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from bundleops.config import load
from bundleops.context import detect
from bundleops.errors import BundleopsError, ExitCode
from bundleops.plan import make_plan
from tests.context import snapshots
from tests.support.console import run_bundleops


def write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "bundleops.yml").write_text(text, encoding="utf-8")
    return tmp_path


def test_no_file_means_defaults(tmp_path: Path) -> None:
    config = load(tmp_path)
    assert config.default_branch == "main" and config.rules is None and config.source is None


def test_overrides_are_read(tmp_path: Path) -> None:
    config = load(write(tmp_path, "default_branch: trunk\ndeploy:\n  lock_takeover_minutes: 15\nsecret_variables: [MY_API_KEY]\n"))
    assert config.default_branch == "trunk"
    assert config.deploy.lock_takeover_minutes == 15 and config.deploy.auto_approve is False
    assert config.secret_variables == ["MY_API_KEY"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("default_brnach: main\n", "unknown key 'default_brnach'"),
        ("deploy:\n  autoapprove: true\n", "unknown key 'deploy.autoapprove'"),
        ("deploy:\n  auto_approve: 'yes'\n", "deploy.auto_approve must be true or false"),
        ("deploy:\n  lock_takeover_minutes: 1.5\n", "deploy.lock_takeover_minutes must be a whole number"),
        ("rules: {}\n", "rules must be a list"),
        ("rules:\n  - name: x\n    when: {event: [push]}\n    target: production\n", "names an unknown target 'production'"),
        ("rules:\n  - name: x\n    steps: [unit, deploy]\n", "deploys or tests but has no target"),
        ("rules:\n  - name: x\n    when: {evnt: push}\n", "unknown key 'rules[0].when.evnt'"),
        ("- just\n- a list\n", "(top level) must be a mapping"),
        ("targets: [staging, test]\n", "targets must be a mapping, got list"),
        ("targets:\n  staging: 3\n", "targets.staging must be a string, got int 3"),
        ("targets:\n  qa: test\n", "unknown key 'targets.qa'"),
        ("default_branch: [unclosed\n", "not valid YAML"),
    ],
)
def test_mistakes_name_the_key(tmp_path: Path, text: str, message: str) -> None:
    write(tmp_path, text)
    with pytest.raises(BundleopsError) as error:
        make_plan(detect(load(tmp_path), environ={}, cwd=tmp_path), load(tmp_path))
    assert message in error.value.message
    assert str(tmp_path / "bundleops.yml") in error.value.message
    assert error.value.code == ExitCode.BAD_INPUT and error.value.fix


def test_targets_map_roles_to_the_bundles_names(tmp_path: Path) -> None:
    targets = load(write(tmp_path, "targets:\n  staging: test\n  prod: production\n")).targets
    assert [targets.bundle_target(role) for role in ("dev", "staging", "prod")] == ["dev", "test", "production"]


def test_an_unknown_role_names_the_roles(tmp_path: Path) -> None:
    write(tmp_path, "targets:\n  qa: test\n")
    with pytest.raises(BundleopsError) as error:
        load(tmp_path)
    assert error.value.fix.startswith("use one of: dev, prod, staging")


def test_project_rules_replace_the_table(tmp_path: Path) -> None:
    write(
        tmp_path,
        "rules:\n"
        "  - name: release-branches\n"
        "    when: {event: push, branch: 'release/*'}\n"
        "    target: prod\n"
        "    steps: [unit, validate, deploy]\n"
        "    requires_approval: true\n"
        "  - name: everything-else\n"
        "    steps: [unit]\n",
    )
    env = snapshots.environment("bitbucket", "push_default", tmp_path) | {"BITBUCKET_BRANCH": "release/2026.11"}
    config = load(tmp_path)
    plan = make_plan(detect(config, environ=env), config)
    assert (plan.target, plan.steps, plan.requires_approval) == ("prod", ["unit", "validate", "deploy"], True)
    assert "release-branches" in plan.reason


def test_bad_config_exits_2_from_the_console_script(tmp_path: Path) -> None:
    write(tmp_path, "sonar:\n  fail_on: ERROR\n  projectkey: x\n")
    result = run_bundleops(["plan"], cwd=tmp_path)
    assert result.returncode == 2
    assert "unknown key 'sonar.projectkey'" in result.stderr and "fix:" in result.stderr
    assert "Traceback" not in result.stderr
