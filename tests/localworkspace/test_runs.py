"""Runs execute for real: task types, dependency order, parameters, states and cancellation."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.support.local_workspace import create_job, upload


@pytest.fixture
def local_workspace(fresh_local_workspace):  # noqa: ANN001,ANN201 - each test counts its own runs
    return fresh_local_workspace


def _output(client: Any, run: Any, key: str) -> Any:
    task = next(task for task in run.tasks if task.task_key == key)
    return task, client.jobs.get_run_output(task.run_id)


def test_three_task_types_in_dependency_order_with_references(client: Any) -> None:
    upload(client, "/Workspace/Shared/runs/first.py", "import sys\nprint('first', sys.argv[1:])\n")
    upload(client, "/Workspace/Shared/runs/nb.py", "# Databricks notebook source\ndbutils.widgets.text('who', 'nobody')\ndbutils.notebook.exit('hello ' + dbutils.widgets.get('who'))\n")
    job_id = create_job(client, [
        {"task_key": "first", "spark_python_task": {"python_file": "/Workspace/Shared/runs/first.py", "parameters": ["{{job.parameters.day}}", "{{job.run_id}}", "{{task.name}}"]}},
        {"task_key": "notebook", "depends_on": [{"task_key": "first"}], "notebook_task": {"notebook_path": "/Workspace/Shared/runs/nb", "base_parameters": {"who": "{{job.parameters.day}}"}}},
        {"task_key": "wheel", "depends_on": [{"task_key": "notebook"}], "python_wheel_task": {"package_name": "bundleops", "entry_point": "testrunner", "parameters": ["--help"]}},
    ], parameters=[{"name": "day", "default": "monday"}])
    run = client.jobs.run_now(job_id, job_parameters={"day": "friday"}).result()
    assert (run.state.life_cycle_state.value, run.state.result_state.value) == ("TERMINATED", "SUCCESS")
    first, first_output = _output(client, run, "first")
    assert first_output.logs.strip() == f"first ['friday', '{run.run_id}', 'first']"
    notebook, notebook_output = _output(client, run, "notebook")
    assert notebook_output.notebook_output.result == "hello friday"
    wheel, wheel_output = _output(client, run, "wheel")
    assert "usage:" in wheel_output.logs
    assert "Warning" not in wheel_output.logs, "the launcher's own start leaves no stray warning in a task's log"
    assert first.end_time <= notebook.start_time and notebook.end_time <= wheel.start_time


def test_a_failed_task_fails_the_run_and_skips_its_dependants(client: Any) -> None:
    upload(client, "/Workspace/Shared/runs/bad.py", "raise SystemExit('no data for today')\n")
    job_id = create_job(client, [
        {"task_key": "bad", "spark_python_task": {"python_file": "/Workspace/Shared/runs/bad.py"}},
        {"task_key": "after", "depends_on": [{"task_key": "bad"}], "spark_python_task": {"python_file": "/Workspace/Shared/runs/bad.py"}},
    ])
    run = client.jobs.run_now(job_id).result()
    assert run.state.result_state.value == "FAILED"
    assert run.state.state_message == "Task bad failed with message: Task bad exited with code 1: no data for today"
    assert {task.task_key: task.state.result_state.value for task in run.tasks} == {"bad": "FAILED", "after": "UPSTREAM_FAILED"}
    from databricks.sdk.errors import BadRequest

    with pytest.raises(BadRequest, match="multiple tasks is not supported"):
        client.jobs.get_run_output(run.run_id)


def test_a_task_killed_by_a_signal_is_an_internal_error(client: Any) -> None:
    from databricks.sdk.errors import OperationFailed

    upload(client, "/Workspace/Shared/runs/crash.py", "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n")
    job_id = create_job(client, [{"task_key": "crash", "spark_python_task": {"python_file": "/Workspace/Shared/runs/crash.py"}}])
    with pytest.raises(OperationFailed, match="killed by signal 9"):
        client.jobs.run_now(job_id).result()


def test_job_timeout_ends_timedout(client: Any) -> None:
    upload(client, "/Workspace/Shared/runs/slow.py", "import time\ntime.sleep(60)\n")
    job_id = create_job(client, [{"task_key": "slow", "spark_python_task": {"python_file": "/Workspace/Shared/runs/slow.py"}}], timeout_seconds=1)
    run = client.jobs.run_now(job_id).result()
    assert (run.state.result_state.value, run.state.user_cancelled_or_timedout) == ("TIMEDOUT", True)


def test_cancel_and_active_only_listing(client: Any) -> None:
    upload(client, "/Workspace/Shared/runs/slow.py", "import time\ntime.sleep(60)\n")
    job_id = create_job(client, [{"task_key": "slow", "spark_python_task": {"python_file": "/Workspace/Shared/runs/slow.py"}}])
    run_id = client.jobs.run_now(job_id).run_id
    assert [run.run_id for run in client.jobs.list_runs(job_id=job_id, active_only=True)] == [run_id]
    client.jobs.cancel_run(run_id).result()
    assert client.jobs.get_run(run_id).state.result_state.value == "CANCELED"
    assert list(client.jobs.list_runs(job_id=job_id, active_only=True)) == []


def test_concurrent_runs_beyond_the_limit_are_skipped(client: Any) -> None:
    upload(client, "/Workspace/Shared/runs/slow.py", "import time\ntime.sleep(60)\n")
    job_id = create_job(client, [{"task_key": "slow", "spark_python_task": {"python_file": "/Workspace/Shared/runs/slow.py"}}])
    first = client.jobs.run_now(job_id).run_id
    second = client.jobs.run_now(job_id).result()
    assert second.state.life_cycle_state.value == "SKIPPED" and "maximum concurrent runs" in second.state.state_message
    client.jobs.cancel_run(first)


def test_refusals_name_what_is_missing(client: Any) -> None:
    from databricks.sdk.errors import InvalidParameterValue, NotImplemented as SdkNotImplemented

    sql = create_job(client, [{"task_key": "q", "sql_task": {"query": {"query_id": "x"}, "warehouse_id": "w"}}])
    with pytest.raises(SdkNotImplemented, match="runs spark_python_task, python_wheel_task, notebook_task, pipeline_task, not sql_task"):
        client.jobs.run_now(sql)
    missing = client.jobs.run_now_and_wait(create_job(client, [{"task_key": "p", "pipeline_task": {"pipeline_id": "nope"}}]))
    assert (missing.state.result_state.value, missing.tasks[0].state.state_message) == ("FAILED", "Task p: The specified pipeline nope was not found.")
    upload(client, "/Workspace/Shared/runs/ok.py", "print('ok')\n")
    job_id = create_job(client, [{"task_key": "t", "spark_python_task": {"python_file": "/Workspace/Shared/runs/ok.py", "parameters": ["{{job.start_time.iso_date}}"]}}])
    with pytest.raises(InvalidParameterValue, match=r"Invalid dynamic value reference \{\{job.start_time.iso_date\}\}"):
        client.jobs.run_now(job_id)
    with pytest.raises(InvalidParameterValue, match="does not define the parameters day"):
        client.jobs.run_now(job_id, job_parameters={"day": "x"})


def test_environment_dependencies_must_already_be_installed(client: Any) -> None:
    upload(client, "/Workspace/Shared/runs/ok.py", "print('ok')\n")
    job_id = create_job(client, [{"task_key": "t", "environment_key": "e", "spark_python_task": {"python_file": "/Workspace/Shared/runs/ok.py"}}],
                  environments=[{"environment_key": "e", "spec": {"environment_version": "2", "dependencies": ["bundleops==99.0.0"]}}])
    run = client.jobs.run_now(job_id).result()
    assert run.state.result_state.value == "FAILED"
    assert "environment e: bundleops==99.0.0 is wanted, the local workspace's Python has bundleops" in run.state.state_message


def _wheel_job(client: Any, wheel: str) -> int:
    upload(client, "/Workspace/Shared/runs/ok.py", "print('ok')\n")
    return create_job(client, [{"task_key": "t", "environment_key": "e", "spark_python_task": {"python_file": "/Workspace/Shared/runs/ok.py"}}],
                environments=[{"environment_key": "e", "spec": {"environment_version": "2", "dependencies": [wheel]}}])


def test_a_wheel_path_dependency_must_be_the_installed_version(client: Any) -> None:
    """A deploy leaves wheel paths in the environment: the file is checked, and the version in its name."""
    import io

    import bundleops

    ours = f"/Volumes/main/tools/wheels/bundleops-{bundleops.__version__}-py3-none-any.whl"
    client.files.upload(ours, io.BytesIO(b"a wheel"), overwrite=True)
    run = client.jobs.run_now(_wheel_job(client, ours)).result()
    assert run.state.result_state.value == "SUCCESS"
    logs = client.jobs.get_run_output(run.tasks[0].run_id).logs
    assert logs.splitlines()[0] == f"environment e: {ours} is bundleops {bundleops.__version__}, the version the local workspace's Python has"

    other = "/Workspace/Shared/wheels/bundleops-9.9.9-py3-none-any.whl"
    client.workspace.mkdirs("/Workspace/Shared/wheels")
    client.api_client.do("POST", "/api/2.0/workspace-files/import-file" + other, query={"overwrite": "true"}, data=b"a wheel")
    run = client.jobs.run_now(_wheel_job(client, other)).result()
    assert run.state.result_state.value == "FAILED"
    assert f"the wheel {other} is bundleops 9.9.9, the local workspace's Python has bundleops {bundleops.__version__}" in run.state.state_message

    run = client.jobs.run_now(_wheel_job(client, "/Workspace/Shared/wheels/bundleops-1.0.0-py3-none-any.whl")).result()
    assert "environment e: wheel /Workspace/Shared/wheels/bundleops-1.0.0-py3-none-any.whl does not exist in the workspace" in run.state.state_message


def test_task_processes_get_no_credentials(client: Any, local_workspace, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    monkeypatch.setenv("DATABRICKS_CLIENT_SECRET", local_workspace.client_secret)  # as in a CI job that started the workspace
    upload(client, "/Workspace/Shared/runs/env.py", "import os\nprint(sorted(k for k in os.environ if 'DATABRICKS' in k or 'SECRET' in k))\nprint(os.environ['BUNDLEOPS_LOCAL_VOLUMES_ROOT'])\n")
    job_id = create_job(client, [{"task_key": "t", "spark_python_task": {"python_file": "/Workspace/Shared/runs/env.py"}}])
    run = client.jobs.run_now(job_id).result()
    logs = client.jobs.get_run_output(run.tasks[0].run_id).logs
    assert logs.splitlines()[0] == "[]"
    assert logs.splitlines()[1] == str(local_workspace.layout.volumes_dir.resolve())
    started = time.monotonic()
    assert time.monotonic() - started < 60


def test_runs_list_pages_and_filters_completed_runs(client: Any) -> None:
    upload(client, "/Workspace/Shared/runs/slow.py", "import time\ntime.sleep(60)\n")
    job_id = create_job(client, [{"task_key": "slow", "spark_python_task": {"python_file": "/Workspace/Shared/runs/slow.py"}}])
    running = client.jobs.run_now(job_id).run_id
    skipped = [client.jobs.run_now(job_id).run_id for _ in range(22)]  # beyond max_concurrent_runs: SKIPPED at once
    page = client.api_client.do("GET", "/api/2.2/jobs/runs/list", query={"job_id": job_id, "completed_only": "true"})
    assert (len(page["runs"]), page["has_more"], bool(page.get("next_page_token"))) == (20, True, True), "20 a page by default"
    assert [run.run_id for run in client.jobs.list_runs(job_id=job_id, completed_only=True, limit=25)] == skipped[::-1]
    assert [run.run_id for run in client.jobs.list_runs(job_id=job_id, active_only=True)] == [running]
    finished = next(iter(client.jobs.list_runs(job_id=job_id, completed_only=True)))
    assert finished.run_duration is not None and finished.run_duration >= 0 and finished.execution_duration == 0
    assert not finished.tasks, "a listed run has its tasks only with expand_tasks"
    assert next(iter(client.jobs.list_runs(job_id=job_id, completed_only=True, expand_tasks=True))).tasks[0].task_key == "slow"
    from databricks.sdk.errors import InvalidParameterValue

    with pytest.raises(InvalidParameterValue, match="limit must be between 0 and 25, not 26"):
        client.api_client.do("GET", "/api/2.2/jobs/runs/list", query={"job_id": job_id, "limit": 26})
    with pytest.raises(InvalidParameterValue, match="active_only and completed_only cannot both be true"):
        list(client.jobs.list_runs(job_id=job_id, active_only=True, completed_only=True))
    client.jobs.cancel_run(running)
