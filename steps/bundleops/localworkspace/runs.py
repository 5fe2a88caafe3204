"""Job runs that execute for real: run-now, runs get / get-output / cancel / list.

Each run gets a thread that walks the job's tasks in `depends_on` order and runs each one as a
local process in its own process group, over the deployed workspace files. States follow the
Jobs service: PENDING -> RUNNING -> TERMINATED with SUCCESS, FAILED, TIMEDOUT or CANCELED;
INTERNAL_ERROR when the run itself breaks (the task process killed by a signal nobody sent, or
a fault in the local workspace). Cancel and timeouts send SIGTERM to the task's process group,
then SIGKILL after a grace period, so nothing is left running.
"""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import threading
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from bundleops.localworkspace import references, tasks
from bundleops.localworkspace.http import ApiError, Request, Response, Route
from bundleops.localworkspace.jobs_api import JobStore, StoredJob, parse_id
from bundleops.localworkspace.paging import page
from bundleops.localworkspace.pipelines_api import Pipelines
from bundleops.localworkspace.workspace_tree import WorkspaceTree

ACTIVE = ("PENDING", "QUEUED", "RUNNING", "TERMINATING", "BLOCKED")
KILL_GRACE_SECONDS = 30.0
LOG_TAIL_BYTES = 64 * 1024
RUNS_PAGE_DEFAULT, RUNS_PAGE_MAX = 20, 25  # runs/list's `limit`, as the Jobs API documents it
# Variables a task process may inherit; credentials and CI variables never reach it.
INHERITED = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "JAVA_HOME", "SPARK_HOME", "PYSPARK_PYTHON", "TZ")


class RunCrashed(Exception):
    """The task process died by a signal nobody sent: the run ends in INTERNAL_ERROR, as a driver crash does."""


def now_ms() -> int:
    return int(time.time() * 1000)


@dataclass
class TaskRun:
    task: dict[str, Any]
    run_id: int
    log: Path
    life_cycle: str = "PENDING"
    result: str | None = None
    message: str = ""
    start_time: int = 0
    end_time: int = 0
    error_trace: str | None = None
    notebook_result: str | None = None

    @property
    def key(self) -> str:
        return str(self.task["task_key"])


@dataclass
class JobRun:
    run_id: int
    job: StoredJob
    settings: dict[str, Any]  # as they were when the run started
    parameters: dict[str, str]
    number_in_job: int
    run_page_url: str
    tasks: list[TaskRun] = field(default_factory=list)
    life_cycle: str = "PENDING"
    result: str | None = None
    message: str = "Waiting for a local worker"
    start_time: int = field(default_factory=now_ms)
    end_time: int = 0
    cancel: threading.Event = field(default_factory=threading.Event)

    def as_dict(self) -> dict[str, Any]:
        from databricks.sdk.service.jobs import JobParameter, Run, RunState, RunTask, TaskDependency

        def state(life_cycle: str, result: str | None, message: str) -> RunState:
            return RunState.from_dict({"life_cycle_state": life_cycle, "result_state": result, "state_message": message,
                                       "user_cancelled_or_timedout": result in ("CANCELED", "TIMEDOUT")})

        run_tasks = [
            RunTask(task_key=t.key, run_id=t.run_id, state=state(t.life_cycle, t.result, t.message),
                    start_time=t.start_time or None, end_time=t.end_time or None,
                    depends_on=[TaskDependency(task_key=d["task_key"]) for d in t.task.get("depends_on") or []] or None,
                    run_page_url=f"{self.run_page_url.rsplit('/run/', 1)[0]}/run/{t.run_id}")
            for t in self.tasks
        ]
        return Run(
            run_id=self.run_id, job_id=self.job.job_id, number_in_job=self.number_in_job, original_attempt_run_id=self.run_id,
            run_name=self.settings.get("name"), creator_user_name=self.job.creator, run_type=None,
            state=state(self.life_cycle, self.result, self.message), tasks=run_tasks,
            start_time=self.start_time, end_time=self.end_time or None, run_page_url=self.run_page_url,
            # A multitask run's duration is `run_duration`; its setup/execution/cleanup durations are 0.
            run_duration=self.end_time - self.start_time if self.end_time else None,
            setup_duration=0, execution_duration=0, cleanup_duration=0,
            job_parameters=[JobParameter(name=name, value=value) for name, value in self.parameters.items()] or None,
        ).as_dict() | {"trigger": "ONE_TIME", "run_type": "JOB_RUN"}


class RunManager:
    def __init__(self, jobs: JobStore, tree: WorkspaceTree, runs_dir: Path, host: Callable[[], str], task_env: dict[str, str],
                 pipelines: Pipelines) -> None:
        self.jobs = jobs
        self.pipelines = pipelines
        self.tree = tree
        self.runs_dir = runs_dir
        self.host = host
        self.task_env = task_env
        self._runs: dict[int, JobRun] = {}
        self._task_runs: dict[int, tuple[JobRun, TaskRun]] = {}
        self._tokens: dict[str, int] = {}
        self._ids = itertools.count(5001)
        self._lock = threading.Lock()

    def routes(self) -> list[Route]:
        return [
            Route("POST", r"/api/2\.[12]/jobs/run-now", self.run_now),
            Route("GET", r"/api/2\.[12]/jobs/runs/get", self.get),
            Route("GET", r"/api/2\.[12]/jobs/runs/get-output", self.get_output),
            Route("POST", r"/api/2\.[12]/jobs/runs/cancel", self.cancel_run),
            Route("GET", r"/api/2\.[12]/jobs/runs/list", self.list_runs),
        ]

    # --- API -------------------------------------------------------------------------------

    def run_now(self, request: Request) -> Response:
        from databricks.sdk.service.jobs import RunNowResponse

        document = request.json()
        job = self.jobs.get(parse_id(document.get("job_id"), "job_id"))
        token = document.get("idempotency_token")
        with self._lock:
            if token and token in self._tokens:
                run = self._runs[self._tokens[token]]
                return Response(body=RunNowResponse(run_id=run.run_id, number_in_job=run.number_in_job).as_dict())
            run = self._new_run(job, document.get("job_parameters") or {})
            if token:
                self._tokens[token] = run.run_id
            active = [other for other in self._runs.values() if other.job.job_id == job.job_id and other.life_cycle in ACTIVE and other is not run]
        if len(active) >= int(job.settings.get("max_concurrent_runs") or 1):
            self._finish(run, "SKIPPED", None, f"Skipping this run because the limit of {len(active)} maximum concurrent runs has been reached.")
        else:
            threading.Thread(target=self._execute, args=(run,), name=f"run-{run.run_id}", daemon=True).start()
        return Response(body=RunNowResponse(run_id=run.run_id, number_in_job=run.number_in_job).as_dict())

    def get(self, request: Request) -> Response:
        return Response(body=self._find(request.query.get("run_id")).as_dict())

    def get_output(self, request: Request) -> Response:
        from databricks.sdk.service.jobs import NotebookOutput, Run, RunOutput

        run_id = parse_id(request.query.get("run_id"), "run_id")
        with self._lock:
            found = self._task_runs.get(run_id)
            parent = self._runs.get(run_id)
        if found is None and parent is not None:
            if len(parent.tasks) != 1:
                raise ApiError(400, "INVALID_PARAMETER_VALUE", "Retrieving the output of runs with multiple tasks is not supported. Please retrieve the output of each individual task run instead.")
            found = (parent, parent.tasks[0])
        if found is None:
            raise ApiError(400, "INVALID_PARAMETER_VALUE", f"Run {run_id} does not exist.")
        run, task = found
        logs, truncated = _tail(task.log)
        output = RunOutput(
            metadata=Run.from_dict(run.as_dict()),
            logs=logs if "notebook_task" not in task.task else None,
            logs_truncated=truncated if "notebook_task" not in task.task else None,
            error=task.message if task.result not in (None, "SUCCESS") else None,
            error_trace=task.error_trace,
            notebook_output=NotebookOutput(result=task.notebook_result) if task.notebook_result is not None else None,
        )
        return Response(body=output.as_dict())

    def cancel_run(self, request: Request) -> Response:
        self._find(request.json().get("run_id")).cancel.set()
        return Response(body={})

    def list_runs(self, request: Request) -> Response:
        """Newest first, `limit` (1 to 25, 0: 25; default 20) a page, `next_page_token` while more remain;
        each run's tasks only with `expand_tasks`."""
        query = request.query
        job_id = parse_id(query["job_id"], "job_id") if "job_id" in query else None
        active_only, completed_only = (query.get(name, "false").lower() == "true" for name in ("active_only", "completed_only"))
        if active_only and completed_only:
            raise ApiError(400, "INVALID_PARAMETER_VALUE", "active_only and completed_only cannot both be true")
        with self._lock:
            runs = [run for run in self._runs.values() if (job_id is None or run.job.job_id == job_id)
                    and (not active_only or run.life_cycle in ACTIVE) and (not completed_only or run.life_cycle not in ACTIVE)]
        runs.sort(key=lambda run: run.run_id, reverse=True)
        limit = query.get("limit", str(RUNS_PAGE_DEFAULT))
        listed, next_token = page(runs, {"max_results": limit, "page_token": query.get("page_token", "")},
                                  default_size=RUNS_PAGE_MAX, max_size=RUNS_PAGE_MAX, size_name="limit")
        expand_tasks = query.get("expand_tasks", "false").lower() == "true"  # without it a listed run has no tasks
        shown = [{key: value for key, value in run.as_dict().items() if expand_tasks or key != "tasks"} for run in listed]
        body: dict[str, Any] = {"runs": shown} if shown else {}
        return Response(body=body | {"has_more": next_token is not None} | ({"next_page_token": next_token} if next_token else {}))

    def cancel_all(self, timeout: float = KILL_GRACE_SECONDS + 10) -> None:
        """Cancel every active run and wait for it to end: a stopping server leaves no process behind."""
        with self._lock:
            active = [run for run in self._runs.values() if run.life_cycle in ACTIVE]
        for run in active:
            run.cancel.set()
        deadline = time.monotonic() + timeout
        while any(run.life_cycle in ACTIVE for run in active) and time.monotonic() < deadline:
            time.sleep(0.05)

    # --- execution -------------------------------------------------------------------------

    def _find(self, value: Any) -> JobRun:
        run_id = parse_id(value, "run_id")
        with self._lock:
            run = self._runs.get(run_id)
        if run is None:
            raise ApiError(400, "INVALID_PARAMETER_VALUE", f"Run {run_id} does not exist.")
        return run

    def _new_run(self, job: StoredJob, overrides: dict[str, Any]) -> JobRun:
        settings = job.settings
        declared = {parameter["name"]: str(parameter.get("default", "")) for parameter in settings.get("parameters") or []}
        unknown = sorted(set(overrides) - set(declared))
        if unknown:
            raise ApiError(400, "INVALID_PARAMETER_VALUE", f"Job {job.job_id} does not define the parameters {', '.join(unknown)}")
        parameters = {**declared, **{name: str(value) for name, value in overrides.items()}}
        run_id = next(self._ids)
        number = sum(1 for run in self._runs.values() if run.job.job_id == job.job_id) + 1
        run = JobRun(run_id, job, settings, parameters, number, f"{self.host()}/?o=0#job/{job.job_id}/run/{run_id}")
        folder = self.runs_dir / str(run_id)
        folder.mkdir(parents=True, exist_ok=True)
        for task in settings.get("tasks") or []:
            tasks.task_type(task)
            values = references.run_values(job.job_id, run_id, parameters, task["task_key"])
            task_run = TaskRun(references.resolve(task, values), next(self._ids), folder / f"{task['task_key']}.log")
            run.tasks.append(task_run)
            self._task_runs[task_run.run_id] = (run, task_run)
        self._runs[run_id] = run
        return run

    def _execute(self, run: JobRun) -> None:
        try:
            run.life_cycle, run.message = "RUNNING", ""
            deadline = _deadline(run.settings.get("timeout_seconds"))
            for task in _in_dependency_order(run.tasks):
                self._run_task(run, task, deadline)
            self._finish(run, "TERMINATED", *_outcome(run))
        except RunCrashed as crash:
            self._finish(run, "INTERNAL_ERROR", None, str(crash))
        except Exception:  # noqa: BLE001 - a fault of the local workspace is the run's INTERNAL_ERROR
            self._finish(run, "INTERNAL_ERROR", None, f"The local workspace failed to run this job:\n{traceback.format_exc()}")

    def _finish(self, run: JobRun, life_cycle: str, result: str | None, message: str) -> None:
        for task in run.tasks:
            if task.life_cycle in ACTIVE:  # tasks that never finished share the run's fate
                task.life_cycle, task.result, task.message = life_cycle, None, message
        run.result, run.message, run.end_time = result, message, now_ms()
        run.life_cycle = life_cycle

    def _run_task(self, run: JobRun, task: TaskRun, job_deadline: float | None) -> None:
        upstream = {other.key: other for other in run.tasks}
        failed = [d["task_key"] for d in task.task.get("depends_on") or [] if upstream[d["task_key"]].result != "SUCCESS"]
        if run.cancel.is_set() or failed:
            task.life_cycle = "TERMINATED"
            task.result = "CANCELED" if run.cancel.is_set() else "UPSTREAM_FAILED"
            task.message = "Run was cancelled" if run.cancel.is_set() else f"Upstream task(s) {', '.join(failed)} did not succeed"
            return
        task.start_time, task.life_cycle = now_ms(), "RUNNING"
        deadline = min(filter(None, [job_deadline, _deadline(task.task.get("timeout_seconds"))]), default=None)
        if "pipeline_task" in task.task:
            self._run_pipeline(run, task, deadline)
            return
        try:
            environment = tasks.check_environment(run.settings, task.task, self.tree, self.task_env)
            command = tasks.command(task.task, self.tree)
        except tasks.TaskSetupError as error:
            task.log.write_text(f"{error}\n")
            self._end_task(task, "FAILED", str(error))
            return
        with open(task.log, "wb") as log:
            log.write("".join(f"{line}\n" for line in environment).encode())
            log.flush()
            process = subprocess.Popen(command.argv, cwd=command.cwd, env=self._env(), stdout=log, stderr=subprocess.STDOUT,
                                       stdin=subprocess.DEVNULL, start_new_session=True)
            stopped = wait_process(process, run.cancel, deadline)
        self._record_exit(task, process.returncode, stopped)

    def _run_pipeline(self, run: JobRun, task: TaskRun, deadline: float | None) -> None:
        """A pipeline_task: start an update of the pipeline and wait for it; the task ends as the update does."""
        spec = task.task["pipeline_task"]
        try:
            update = self.pipelines.start(str(spec.get("pipeline_id")), {"cause": "JOB_TASK", **({"full_refresh": True} if spec.get("full_refresh") else {})})
        except ApiError as error:
            task.log.write_text(f"{error.message}\n")
            self._end_task(task, "FAILED", f"Task {task.key}: {error.message}")
            return
        with open(task.log, "w") as log:
            log.write(f"Started update {update.update_id} of pipeline {update.pipeline_id}\n")
            stopped = None
            while not update.ended.wait(0.1):
                stopped = "cancel" if run.cancel.is_set() else "timeout" if deadline and time.monotonic() > deadline else None
                if stopped:
                    self.pipelines.runner.stop(update)
                    update.ended.wait()
            log.write(f"Update {update.update_id} is {update.state}{f': {update.error}' if update.error else ''}\n")
        if stopped:
            self._end_task(task, "CANCELED" if stopped == "cancel" else "TIMEDOUT", "Run was cancelled" if stopped == "cancel" else "Run timed out")
        elif update.state == "COMPLETED":
            self._end_task(task, "SUCCESS", "")
        else:
            self._end_task(task, "FAILED", f"Pipeline update {update.update_id} of pipeline {update.pipeline_id} is {update.state}: {update.error or 'it was stopped'}")

    def _record_exit(self, task: TaskRun, code: int, stopped: str | None) -> None:
        tail, _ = _tail(task.log)
        exit_values = [line[len(tasks.NOTEBOOK_EXIT_MARKER):] for line in tail.splitlines() if line.startswith(tasks.NOTEBOOK_EXIT_MARKER)]
        task.notebook_result = exit_values[-1] if exit_values else None
        if stopped == "cancel":
            self._end_task(task, "CANCELED", "Run was cancelled")
        elif stopped == "timeout":
            self._end_task(task, "TIMEDOUT", "Run timed out")
        elif code == 0:
            self._end_task(task, "SUCCESS", "")
        elif code < 0:
            raise RunCrashed(f"Task {task.key}: the task process was killed by signal {-code}")
        else:
            last = next((line for line in reversed(tail.splitlines()) if line.strip()), "")
            task.error_trace = tail[-8000:]
            self._end_task(task, "FAILED", f"Task {task.key} exited with code {code}: {last}".rstrip(": "))

    def _end_task(self, task: TaskRun, result: str, message: str) -> None:
        task.result, task.message, task.end_time, task.life_cycle = result, message, now_ms(), "TERMINATED"

    def _env(self) -> dict[str, str]:
        return process_env(self.task_env)


def process_env(mounts: dict[str, str]) -> dict[str, str]:
    """The environment of a process the local workspace starts: no credentials, the mounts' variables."""
    inherited = {name: os.environ[name] for name in INHERITED if name in os.environ}
    return {**inherited, **mounts, "PYTHONUNBUFFERED": "1", "PYTHONDONTWRITEBYTECODE": "1"}


def _deadline(seconds: Any) -> float | None:
    return time.monotonic() + float(seconds) if seconds else None


def wait_process(process: subprocess.Popen[bytes], cancel: threading.Event, deadline: float | None) -> str | None:
    """Wait for a task (or pipeline update) process; on cancel or timeout stop its whole process group. Returns why it was stopped."""
    while process.poll() is None:
        reason = "cancel" if cancel.is_set() else "timeout" if deadline and time.monotonic() > deadline else None
        if reason:
            _stop_group(process)
            return reason
        cancel.wait(0.1)
    return None


def _stop_group(process: subprocess.Popen[bytes]) -> None:
    for sig, grace in ((signal.SIGTERM, KILL_GRACE_SECONDS), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(grace)
            os.killpg(process.pid, signal.SIGKILL)  # whatever the task started and left behind
            return
        except subprocess.TimeoutExpired:
            continue
        except ProcessLookupError:
            return


def _in_dependency_order(task_runs: list[TaskRun]) -> list[TaskRun]:
    ordered: list[TaskRun] = []
    pending = list(task_runs)
    while pending:
        done = {task.key for task in ordered}
        ready = [task for task in pending if all(d["task_key"] in done for d in task.task.get("depends_on") or [])]
        if not ready:
            raise RuntimeError(f"cycle in depends_on between {', '.join(task.key for task in pending)}")
        ordered.extend(ready)
        pending = [task for task in pending if task not in ready]
    return ordered


def _outcome(run: JobRun) -> tuple[str, str]:
    results = [task.result for task in run.tasks]
    for result, message in (("CANCELED", "Run was cancelled"), ("TIMEDOUT", "Run timed out")):
        if result in results:
            return result, message
    failed = [task for task in run.tasks if task.result != "SUCCESS"]
    if failed:
        return "FAILED", f"Task {failed[0].key} failed with message: {failed[0].message}"
    return "SUCCESS", ""


def _tail(log: Path) -> tuple[str, bool]:
    if not log.exists():
        return "", False
    size = log.stat().st_size
    with open(log, "rb") as handle:
        handle.seek(max(0, size - LOG_TAIL_BYTES))
        return handle.read().decode("utf-8", "replace"), size > LOG_TAIL_BYTES
