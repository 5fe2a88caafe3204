"""`bundleops test` under seeded random faults: N runs, then the runs left active in the workspace.

Each run deploys nothing new: one bundle is deployed to each of `--workers` fresh local
workspaces (runs of one job never overlap), then every run starts `bundleops test` through the fault proxy with 1-3 random fault rules (status, HTML page,
reset, stall, broken body, 401/403; on runs/get, jobs/get, run-now, runs/cancel or the report
download; on a range or a seeded share of requests) and sometimes a SIGTERM, with a random test
outcome. It prints one line per run (the faults the proxy injected, the exit code, any problem)
and a table of exit codes, and ends with the number of runs left active: the figure that must be 0.

Rerun: .venv/bin/python benchmarks/faults.py --runs 200 --seed 11 [--workers 3] [--report faults.md]
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import queue
import random
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.faults.bench import Bench, Outcome, Scenario, deploy_bench, random_scenario, run_scenario  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--seed", type=int, default=None, help="default: a random one (printed)")
    parser.add_argument("--workers", type=int, default=3, help="local workspaces side by side, one deployed bundle each (default 3)")
    parser.add_argument("--report", type=Path, default=None, help="also write the lines and the table here (markdown)")
    args = parser.parse_args()
    seed = random.SystemRandom().randrange(1 << 30) if args.seed is None else args.seed
    rng = random.Random(seed)
    scenarios = [random_scenario(rng) for _ in range(args.runs)]
    lines = [f"# bundleops test under random faults: {args.runs} runs, seed {seed}", "", "| run | scenario | injected | exit | s | problems |", "| --- | --- | --- | --- | --- | --- |"]
    print(lines[0], flush=True)
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as work, contextlib.ExitStack() as stack:
        benches = [_bench(Path(work) / f"w{index}", stack) for index in range(args.workers)]
        results: list[Result] = []
        pending = queue.Queue()
        for index, scenario in enumerate(scenarios):
            pending.put((index, scenario))
        threads = [threading.Thread(target=_work, args=(bench, pending, seed, results)) for bench in benches]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        left_active = sum(len(bench.active_runs(settle_seconds=0)) for bench in benches)
        total_runs = sum(bench.runs() for bench in benches)
    results.sort(key=lambda result: result.index)
    lines += [result.row() for result in results]
    codes = collections.Counter(result.outcome.code for result in results)
    summary = [
        "", "| exit code | runs |", "| --- | --- |", *(f"| {code} | {count} |" for code, count in sorted(codes.items())), "",
        f"seed {seed}: {args.runs} step runs ({total_runs} workspace runs started), {sum(len(r.outcome.injected) for r in results)} faults injected, "
        f"{sum(bool(r.problems) for r in results)} runs with a problem, "
        f"{sum(p.startswith('runs left active') for r in results for p in r.problems)} left a run active (the benchmark cancels it after counting), "
        f"{left_active} runs active at the end, {time.monotonic() - started:.0f} s with {args.workers} workers",
    ]
    lines += summary
    print("\n".join(summary))
    if args.report:
        args.report.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return 0 if not any(r.problems for r in results) and not left_active else 1


@dataclass
class Result:
    index: int
    scenario: Scenario
    outcome: Outcome
    problems: list[str]
    seconds: float

    def row(self) -> str:
        return (f"| {self.index} | {self.scenario.describe()} | {self.outcome.faults()} | {self.outcome.code} | {self.seconds:.1f} | "
                f"{'; '.join(self.problems) or '-'} |")


def _bench(folder: Path, stack: contextlib.ExitStack) -> Bench:
    from bundleops.localcli.shim import write_shim
    from bundleops.localworkspace import LocalWorkspace

    workspace = stack.enter_context(LocalWorkspace(folder / "local-workspace"))
    write_shim(folder / "bin")
    return deploy_bench(folder, workspace, folder / "bin")


def _work(bench: Bench, pending: queue.Queue, seed: int, results: list[Result]) -> None:
    """Take scenarios until none is left; each on this worker's own workspace, one at a time."""
    while True:
        try:
            index, scenario = pending.get_nowait()
        except queue.Empty:
            return
        began = time.monotonic()
        outcome, problems = run_scenario(bench, scenario, seed + index)
        results.append(Result(index, scenario, outcome, problems, time.monotonic() - began))
        print(results[-1].row(), flush=True)


if __name__ == "__main__":
    raise SystemExit(main())
