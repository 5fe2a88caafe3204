"""The CLI stand-in against the real CLI's recorded behaviour (see runner.py; report: `python -m tests.fidelity`).

Every case must end as it is declared: a `match` that starts to differ is a regression of the
stand-in, and a `differs` that starts to match is a difference fixed (update its status).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fidelity.runner import STATUSES, Case, Identity, load_cases, run_case

pytestmark = pytest.mark.integration

CASES = load_cases()


@pytest.fixture(scope="module")
def identity(local_workspace) -> Identity:  # noqa: ANN001 - LocalWorkspace
    from bundleops.localcli.user import short_name
    from bundleops.localworkspace import DEV_USER

    return Identity(local_workspace.host, local_workspace.user_token, DEV_USER, short_name(DEV_USER))


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_case_ends_as_declared(case: Case, identity: Identity, tmp_path: Path) -> None:
    assert case.status in STATUSES, f"{case.id}: status must be one of {STATUSES}"
    assert case.status == "match" or case.reason, f"{case.id}: a {case.status} case says why"
    outcome = run_case(case, identity, tmp_path / "project")
    assert not any(line.startswith("crashed") for line in outcome.differences), outcome.differences
    assert outcome.status == case.status, "\n".join(outcome.differences) or f"now {outcome.status}"


def test_every_rule_of_the_issue_has_cases() -> None:
    rules = {case.rule for case in CASES}
    assert rules >= {"artifacts", "defaults", "presets", "normalisation", "merge", "paths", "variables", "run_as", "validation", "git", "plan", "data_resources", "resource_deps", "yaml"}
