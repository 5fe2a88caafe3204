"""How soon a finished run is noticed, and at what request rate: bundleops' waiter against databricks-sdk's.

Rerun: .venv/bin/python benchmarks/waiting.py [--runs 20] [--seconds 3,10,30,75] [--history 5] [--latency 0.1] [--seed 23] [--report FILE]

Issue 23, benchmark (c). A local workspace whose every request takes `--latency` seconds (a real
workspace's round trip) serves one job per typical duration in `--seconds`; each run's task
sleeps that duration +-10 % (so the runs vary as real ones do). First each job gets `--history`
completed runs, the history bundleops' schedule reads. Then `--runs` runs start, spread over the
jobs, and three waiters watch the same runs at the same time, each with its own client (its own
User-Agent, by which the workspace's request log tells their requests apart):

- bundleops, one loop per run: a `RunWaiter` per run, as `bundleops test` waits for its one run;
- bundleops, shared loop: one `RunWaiter` all runs register with (runs/list per job, then a get
  per ended run);
- databricks-sdk: `jobs.wait_get_run_job_terminated_or_skipped` per run (what
  `jobs.run_now(...).result()` calls), on its 1, 2, ... 10 s schedule.

Detection lag: the wall time a waiter noticed the end minus the run's `end_time` (the local
workspace sets it as the task process ends). Requests per second per run: the waiter's requests
(history reads included) over the seconds it spent waiting, summed over the runs. The table ends
with the SDK's figures over bundleops' and whether bundleops meets issue 23's bar (median lag
under 1 s at no more than 1 request a second per run). Exit 1 if a run does not succeed.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.local_workspace import create_job, upload  # noqa: E402

SLEEP = "import sys, time\ntime.sleep(float(sys.argv[1]))\n"
WAITERS = ("bundleops, one loop per run", "bundleops, shared loop", "databricks-sdk")
AGENT = {"bundleops, one loop per run": "bench-per-run", "bundleops, shared loop": "bench-shared", "databricks-sdk": "bench-sdk"}


@dataclass
class Observed:
    """What one waiter saw: per run, when it started waiting and when it noticed the end (wall clock)."""

    began: dict[int, float] = field(default_factory=dict)
    noticed: dict[int, float] = field(default_factory=dict)


def client_for(workspace: Any, agent: str) -> Any:
    from databricks.sdk import WorkspaceClient

    return WorkspaceClient(host=workspace.host, client_id=workspace.client_id, client_secret=workspace.client_secret,
                           auth_type="oauth-m2m", product=agent, product_version="0.0.0")


def make_jobs(client: Any, seconds: list[float]) -> list[int]:
    upload(client, "/Workspace/Shared/bench/sleep.py", SLEEP)
    task = {"task_key": "sleep", "spark_python_task": {"python_file": "/Workspace/Shared/bench/sleep.py", "parameters": ["{{job.parameters.seconds}}"]}}
    return [create_job(client, [task], name=f"sleeps-{typical:g}s", max_concurrent_runs=1000, parameters=[{"name": "seconds", "default": str(typical)}])
            for typical in seconds]


def start(client: Any, job_id: int, typical: float, rng: random.Random) -> int:
    return int(client.jobs.run_now(job_id, job_parameters={"seconds": f"{typical * rng.uniform(0.9, 1.1):.2f}"}).run_id)


def build_history(client: Any, jobs: list[int], seconds: list[float], runs: int, rng: random.Random) -> None:
    started = [start(client, job_id, typical, rng) for job_id, typical in zip(jobs, seconds, strict=True) for _ in range(runs)]
    with ThreadPoolExecutor(len(started) or 1) as pool:
        list(pool.map(lambda run_id: client.jobs.wait_get_run_job_terminated_or_skipped(run_id), started))


def sdk_wait(client: Any, run_id: int, seen: Observed) -> None:
    seen.began[run_id] = time.time()
    client.jobs.wait_get_run_job_terminated_or_skipped(run_id)
    seen.noticed[run_id] = time.time()


def per_run_wait(client: Any, job_id: int, run_id: int, seen: Observed) -> None:
    from bundleops.cancel_signals import Guard
    from bundleops.testjob.run_waiter import RunWaiter
    from bundleops.workspace_calls import Calls

    seen.began[run_id] = time.time()
    waiter = RunWaiter(client, Calls(Guard(), 60.0))
    watch = waiter.register(job_id, run_id)
    while not watch.finished:
        waiter.poll(until=waiter.clock() + 60)
    seen.noticed[run_id] = time.time()


def shared_loop(waiter: Any, watches: list[Any], expected: int, seen: Observed) -> None:
    """Drive the shared waiter's rounds until the `expected` runs have registered (into `watches`) and ended."""
    while len(seen.noticed) < expected:
        waiter.poll(until=waiter.clock() + 60)
        now = time.time()
        for watch in list(watches):
            if watch.finished and watch.run_id not in seen.noticed:
                seen.noticed[watch.run_id] = now


def measure(workspace: Any, jobs: list[int], seconds: list[float], count: int, rng: random.Random) -> tuple[dict[str, Observed], dict[int, float], dict[str, int]]:
    from bundleops.cancel_signals import Guard
    from bundleops.testjob.run_waiter import RunWaiter
    from bundleops.workspace_calls import Calls

    clients = {name: client_for(workspace, AGENT[name]) for name in WAITERS}
    starter = client_for(workspace, "bench-starter")
    seen = {name: Observed() for name in WAITERS}
    shared = RunWaiter(clients["bundleops, shared loop"], Calls(Guard(), 60.0))
    log = workspace.dispatcher.record()
    watches: list[Any] = []
    threads: list[threading.Thread] = [threading.Thread(target=shared_loop, args=(shared, watches, count, seen["bundleops, shared loop"]))]
    threads[0].start()
    plan = [(jobs[index % len(jobs)], seconds[index % len(jobs)]) for index in range(count)]
    run_ids: list[int] = []
    for job_id, typical in plan:  # each run is watched from the moment run-now answers, as `bundleops test` does
        run_id = start(starter, job_id, typical, rng)
        run_ids.append(run_id)
        seen["bundleops, shared loop"].began[run_id] = time.time()
        watches.append(shared.register(job_id, run_id))
        for target, arguments in ((per_run_wait, (clients["bundleops, one loop per run"], job_id, run_id, seen["bundleops, one loop per run"])),
                                  (sdk_wait, (clients["databricks-sdk"], run_id, seen["databricks-sdk"]))):
            thread = threading.Thread(target=target, args=arguments)
            thread.start()
            threads.append(thread)
    for thread in threads:
        thread.join()
    workspace.dispatcher.stop_recording()
    runs = {run_id: starter.jobs.get_run(run_id) for run_id in run_ids}
    failed = [run_id for run_id, run in runs.items() if not run.state.result_state or run.state.result_state.value != "SUCCESS"]
    if failed:
        raise SystemExit(f"runs {failed} did not succeed: the benchmark measures nothing")
    requests = {name: sum(1 for exchange in log if AGENT[name] in (exchange.request.header("User-Agent") or "")) for name in WAITERS}
    return seen, {run_id: run.end_time / 1000 for run_id, run in runs.items()}, requests


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def table(seen: dict[str, Observed], ends: dict[int, float], requests: dict[str, int], latency: float) -> tuple[str, bool]:
    rows, figures = [], {}
    for name in WAITERS:
        lags = [seen[name].noticed[run_id] - ends[run_id] for run_id in ends]
        waited = sum(seen[name].noticed[run_id] - seen[name].began[run_id] for run_id in ends)
        figures[name] = (statistics.median(lags), percentile(lags, 0.9), requests[name] / waited)
        rows.append(f"| {name} | {len(lags)} | {figures[name][0]:.2f} s | {figures[name][1]:.2f} s | {requests[name]} | {figures[name][2]:.2f} |")
    sdk = figures["databricks-sdk"]
    ratios = [f"| databricks-sdk / {name} | | {sdk[0] / ours[0]:.1f}x | {sdk[1] / ours[1]:.1f}x | | {sdk[2] / ours[2]:.2f}x |"
              for name, ours in figures.items() if name != "databricks-sdk"]
    met = all(figures[name][0] < 1.0 and figures[name][2] <= 1.0 for name in WAITERS[:2])
    text = "\n".join([
        f"Request latency {latency:g} s. Lag: the end noticed minus the run's end_time.",
        "",
        "| waiter | runs | lag median | lag p90 | requests | requests/s per waiting run |",
        "|---|---|---|---|---|---|",
        *rows, *ratios,
        "",
        f"bundleops meets issue 23's bar (median lag < 1 s, <= 1 request/s per run): {'yes' if met else 'NO'}",
    ])
    return text, met


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="runs measured, spread over the jobs (default 20)")
    parser.add_argument("--seconds", default="3,10,30,75", help="each job's typical run time, comma-separated (default 3,10,30,75)")
    parser.add_argument("--history", type=int, default=5, help="completed runs per job before measuring (default 5)")
    parser.add_argument("--latency", type=float, default=0.1, help="seconds every request takes (default 0.1)")
    parser.add_argument("--seed", type=int, default=23)
    parser.add_argument("--report", type=Path, default=None, help="also write the table here")
    args = parser.parse_args()
    from bundleops.localworkspace import LocalWorkspace

    seconds = [float(value) for value in args.seconds.split(",")]
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as folder, LocalWorkspace(Path(folder) / "workspace", latency_seconds=args.latency) as workspace:
        setup = client_for(workspace, "bench-setup")
        jobs = make_jobs(setup, seconds)
        began = time.monotonic()
        build_history(setup, jobs, seconds, args.history, rng)
        print(f"history: {args.history} runs of each of {len(jobs)} jobs in {time.monotonic() - began:.0f} s", flush=True)
        seen, ends, requests = measure(workspace, jobs, seconds, args.runs, rng)
    text, _ = table(seen, ends, requests, args.latency)
    print(text)
    if args.report:
        args.report.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
