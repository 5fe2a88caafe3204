"""What bundleops reads from the databricks CLI, read from text the real CLI printed (issue 12, part 4).

The other tests feed bundleops the stand-in's output; these feed it the real CLI's, so a parser
that only understands the stand-in fails here. The fixtures in `recorded/` are ours, written by
hand from databricks/cli's recorded acceptance outputs (whose placeholders such as [USERNAME],
[NUMID], [TIMESTAMP] are replaced by concrete values of the same shape):

- `version.txt`: `acceptance/bundle/invariant/continue_293/output.txt` (`--version`).
- `lock_held.stderr.txt`: `acceptance/pipelines/deploy/force-lock/output.txt` (the `Error: deploy
  lock acquired by ...` lines), the time being that test's `deploy.lock` AcquisitionTime printed
  as Go's `time.Time.String()`, which the recording masks as `[TIMESTAMP] +0000 UTC`.
- `validate.dev.json`: `acceptance/bundle/templates/default-python/integration_classic/
  out.validate.dev.json` (a development target; its pipeline and artifacts left out), with
  `workspace.current_user` as `acceptance/bundle/deployment/bind/pipelines/update/out.summary.json`
  prints it (that test's jq deletes it from the former).
- `summary.dev.json`: the same with what `bundle summary -o json` adds per deployed job (the
  diff in integration_classic/output.txt): `id` (a string) and `url` (`<host>/jobs/<id>`).
- `validate_error.stderr.txt`: `acceptance/bundle/run_as/invalid_both_sp_and_user/output.txt`
  and an `unknown field` warning as `acceptance/bundle/...` outputs print it (`at` + `in`).

Plan JSON and the destructive-change message are tested on the standin-plan branch.
"""

from __future__ import annotations

import json
import os
import stat
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from bundleops import bundle_cli
from bundleops.auth.policy import Identity
from bundleops.context.detect import detect
from bundleops.deploy.lock import held_lock, is_stale
from bundleops.deploy.record import DeploymentRecord
from bundleops.errors import BundleopsError
from bundleops.plan.roles import TargetRef

RECORDED = Path(__file__).parent / "recorded"


def _recorded(name: str) -> str:
    return (RECORDED / name).read_text(encoding="utf-8")


def _json(name: str) -> dict[str, Any]:
    return json.loads(_recorded(name))


def _fake_cli(folder: Path, output: str) -> Path:
    """An executable that prints `output` as the real CLI printed it (a real process, run by bundleops' own code)."""
    (folder / "version.txt").write_text(output, encoding="utf-8")
    path = folder / "databricks"
    path.write_text(f"#!/bin/sh\ncat '{folder / 'version.txt'}'\n", encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def test_the_real_version_text_is_read_and_checked_against_the_minimum(tmp_path: Path) -> None:
    path = _fake_cli(tmp_path, _recorded("version.txt"))
    with pytest.raises(BundleopsError) as refused:
        bundle_cli.locate({"DATABRICKS_CLI_PATH": str(path), "PATH": os.environ.get("PATH", "")})
    assert refused.value.message == f"the Databricks CLI at {path} is 0.293.0; bundleops needs >= 1.0.0"
    newer = _fake_cli(tmp_path, _recorded("version.txt").replace("v0.293.0", "v1.13.2"))
    assert bundle_cli.locate({"DATABRICKS_CLI_PATH": str(newer)}).version == (1, 13, 2)


def test_the_real_lock_message_gives_holder_and_time() -> None:
    lock = held_lock(_recorded("lock_held.stderr.txt"))
    assert lock is not None
    assert lock.holder == "user-with-lock@databricks.com"
    assert lock.acquired == datetime(2024, 1, 15, 15, 40, tzinfo=timezone.utc)
    assert is_stale(lock, 30, now=lock.acquired + timedelta(minutes=31))
    assert not is_stale(lock, 30, now=lock.acquired + timedelta(minutes=29))


def test_the_real_summary_gives_the_deployment_record() -> None:
    summary = _json("summary.dev.json")
    record = DeploymentRecord.build(summary, TargetRef("dev", "dev"), detect(environ={}, cwd=Path.cwd()), "0.293.0")
    assert record.bundle == "orders"
    assert record.workspace_host == "https://adb-1234567890123456.7.azuredatabricks.net"
    assert record.root_path == "/Workspace/Users/tester@example.com/.bundle/orders/dev"
    assert record.deployed_by == "tester@example.com"
    assert record.jobs == {"orders_job": {
        "id": "1061245689402385",
        "name": "[dev tester] orders_job",
        "url": "https://adb-1234567890123456.7.azuredatabricks.net/jobs/1061245689402385",
    }}
    assert "| `jobs.orders_job` | `1061245689402385` | `[dev tester] orders_job` |" in record.markdown()


def test_the_real_summary_of_a_pipeline_and_a_schema_gives_their_ids_in_the_record() -> None:
    """acceptance/bundle/summary/modified_status (output.txt, the summary after the deploy): a
    pipeline's id is its UUID, a schema's its full name."""
    record = DeploymentRecord.build(_json("summary.pipeline_schema.json"), TargetRef("dev", "default"), detect(environ={}, cwd=Path.cwd()), "0.293.0")
    assert record.jobs == {}
    assert {kind: {key: value["id"] for key, value in resources.items()} for kind, resources in record.resources.items()} == {
        "pipelines": {"my_pipeline": "4d3c5b2a-1e0f-4a9b-8c7d-6e5f4a3b2c1d"}, "schemas": {"my_schema": "main.test-schema"}}
    assert "| `schemas.my_schema` | `main.test-schema` | `test-schema` |" in record.markdown()


def test_the_real_validate_and_summary_name_the_deploying_identity() -> None:
    for name in ("validate.dev.json", "summary.dev.json"):
        identity = Identity.of_bundle(_json(name))
        assert identity.user_name == "tester@example.com", name


def test_the_real_error_diagnostics_are_quoted_with_their_location() -> None:
    error = bundle_cli.configuration_error("bundle validate -t dev", _recorded("validate_error.stderr.txt"))
    assert error.message == (
        "`databricks bundle validate -t dev` rejected the bundle configuration: "
        "run_as section cannot specify both user_name and service_principal_name (databricks.yml:6:3)"
    )
    assert error.code == 2


def test_the_test_job_is_found_in_the_real_summary_by_key_and_id() -> None:
    from bundleops.testjob.command import _test_job

    summary = _json("summary.dev.json")
    assert _test_job(summary, "orders_job", TargetRef("dev", "dev")) == ("orders_job", 1061245689402385)
