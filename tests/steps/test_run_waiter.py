"""bundleops.testjob.run_waiter: one poll loop for several runs, against real local-workspace runs.

Each job's task sleeps a moment; the waiter is driven as `bundleops test` drives it. What is
checked is what it asks (the request log) and what it reads, never how long anything took.
"""

from __future__ import annotations

from typing import Any

import pytest

from bundleops.cancel_signals import Guard
from bundleops.testjob.run_waiter import RunWaiter, Watch
from bundleops.workspace_calls import Calls
from tests.support.local_workspace import create_job, upload

pytestmark = pytest.mark.integration

SLEEP = "import sys, time\ntime.sleep(float(sys.argv[1]))\nsys.exit(int(sys.argv[2]))\n"


@pytest.fixture
def local_workspace(fresh_local_workspace):  # noqa: ANN001,ANN201 - each test counts its own requests
    return fresh_local_workspace


def _job(client: Any, name: str, seconds: float, code: int = 0) -> int:
    upload(client, f"/Workspace/Shared/{name}.py", SLEEP)
    task = {"task_key": "sleep", "spark_python_task": {"python_file": f"/Workspace/Shared/{name}.py", "parameters": [str(seconds), str(code)]}}
    return create_job(client, [task], name=name, max_concurrent_runs=10)


def _until_finished(waiter: RunWaiter, watches: list[Watch]) -> None:
    while not all(watch.finished for watch in watches):
        waiter.poll(until=waiter.clock() + 60)


def test_runs_of_one_job_share_a_list_and_each_is_read_once_when_it_ends(local_workspace: Any, client: Any) -> None:
    shared, alone = _job(client, "shared", 1.5), _job(client, "alone", 0.5, code=1)
    waiter = RunWaiter(client, Calls(Guard(), 10.0))
    log = local_workspace.dispatcher.record()
    watches = [waiter.register(shared, client.jobs.run_now(shared).run_id) for _ in range(3)]
    watches.append(waiter.register(alone, client.jobs.run_now(alone).run_id))
    _until_finished(waiter, watches)
    local_workspace.dispatcher.stop_recording()

    assert [watch.run.state.result_state.value for watch in watches] == ["SUCCESS"] * 3 + ["FAILED"]
    assert all(watch.run.tasks and watch.run.tasks[0].task_key == "sleep" for watch in watches), "each end is read with its tasks"
    gets = {exchange.request.query["run_id"] for exchange in log if exchange.request.path.endswith("/jobs/runs/get")}
    assert gets == {str(watches[3].run_id)}, "a job with one watched run is read with runs/get; the shared job's runs never"
    lists = [exchange.request.query for exchange in log if exchange.request.path.endswith("/jobs/runs/list")]
    history = [query["job_id"] for query in lists if query.get("completed_only") == "true" and "expand_tasks" not in query]
    assert sorted(history) == sorted([str(shared), str(alone)]), "each job's history is read once"
    assert {query["job_id"] for query in lists if query.get("active_only") == "true"} == {str(shared)}
    ends = [query for query in lists if query.get("expand_tasks") == "true"]
    assert ends and {query["job_id"] for query in ends} == {str(shared)} and len(ends) <= 3, "the ends are read from the completed runs' list"


def test_the_history_of_completed_runs_sets_the_window(local_workspace: Any, client: Any) -> None:
    job = _job(client, "history", 1.0)
    cancelled = client.jobs.run_now(job).run_id
    client.jobs.cancel_run(cancelled).result()
    first = RunWaiter(client, Calls(Guard(), 10.0))
    assert first.register(job, cancelled).window is None, "a cancelled run predicts nothing"
    for _ in range(2):
        client.jobs.run_now(job).result()
    durations = [run.run_duration / 1000 for run in client.jobs.list_runs(job_id=job, completed_only=True) if run.run_id != cancelled]
    watch = RunWaiter(client, Calls(Guard(), 10.0)).register(job, client.jobs.run_now(job).run_id)
    assert watch.window is not None and watch.window.opens < min(durations) <= max(durations) < watch.window.closes
    assert watch.due - watch.registered == pytest.approx(watch.window.opens), "nothing is asked before the window opens"
