"""`bundleops test` under seeded random faults: N runs, then the runs left active in the workspace.

Each run deploys nothing new: one bundle is deployed to a fresh local workspace, then every run
starts `bundleops test` through the fault proxy with 1-3 random fault rules (status, HTML page,
reset, stall, broken body, 401/403; on runs/get, jobs/get, run-now, runs/cancel or the report
download; on a range or a seeded share of requests) and sometimes a SIGTERM, with a random test
outcome. It prints one line per run (the faults the proxy injected, the exit code, any problem)
and a table of exit codes, and ends with the number of runs left active: the figure that must be 0.

Rerun: .venv/bin/python benchmarks/faults.py --runs 200 --seed 11 [--report faults.md]
"""

from __future__ import annotations

import argparse
import collections
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.faults.bench import deploy_bench, random_scenario, run_scenario  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--seed", type=int, default=None, help="default: a random one (printed)")
    parser.add_argument("--report", type=Path, default=None, help="also write the lines and the table here (markdown)")
    args = parser.parse_args()
    seed = random.SystemRandom().randrange(1 << 30) if args.seed is None else args.seed
    lines = [f"# bundleops test under random faults: {args.runs} runs, seed {seed}", "", "| run | scenario | injected | exit | s | problems |", "| --- | --- | --- | --- | --- | --- |"]
    print(lines[0], flush=True)

    from bundleops.localcli.shim import write_shim
    from bundleops.localworkspace import LocalWorkspace

    rng = random.Random(seed)
    codes: collections.Counter[int] = collections.Counter()
    failed, injected, left_by_steps, started = 0, 0, 0, time.monotonic()
    with tempfile.TemporaryDirectory() as work, LocalWorkspace(Path(work) / "local-workspace") as workspace:
        write_shim(Path(work) / "bin")
        bench = deploy_bench(Path(work), workspace, Path(work) / "bin")
        for index in range(args.runs):
            scenario = random_scenario(rng)
            began = time.monotonic()
            outcome, problems = run_scenario(bench, scenario, seed + index)
            codes[outcome.code] += 1
            failed += bool(problems)
            injected += len(outcome.injected)
            left_by_steps += sum(problem.startswith("runs left active") for problem in problems)
            row = f"| {index} | {scenario.describe()} | {outcome.faults()} | {outcome.code} | {time.monotonic() - began:.1f} | {'; '.join(problems) or '-'} |"
            lines.append(row)
            print(row, flush=True)
        left_active = bench.active_runs(settle_seconds=0)
        total_runs = bench.runs()
    summary = [
        "", "| exit code | runs |", "| --- | --- |", *(f"| {code} | {count} |" for code, count in sorted(codes.items())), "",
        f"seed {seed}: {args.runs} step runs ({total_runs} workspace runs started), {injected} faults injected, "
        f"{failed} runs with a problem, {left_by_steps} left a run active (the benchmark cancels it after counting), "
        f"{len(left_active)} runs active at the end, {time.monotonic() - started:.0f} s",
    ]
    lines += summary
    print("\n".join(summary))
    if args.report:
        args.report.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return 0 if not failed and not left_active else 1


if __name__ == "__main__":
    raise SystemExit(main())
