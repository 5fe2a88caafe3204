"""N pull-request pipelines through the local workspace: one after another, then all at once.

Rerun: .venv/bin/python benchmarks/pr_parallel.py [--prs 3] [--job-seconds 0] [--report FILE]

Each pipeline is what a merge request's CI runs on staging: `bundleops validate`, `deploy` and
`test`, each its own process with GitLab's merge-request variables, so each pull request
deploys and tests its own deployment (`pr-<n>`) through the databricks CLI stand-in and the
embedded local workspace (the test job is the step tests' scripted task, which checks it runs its
own branch's code). Serialised is what a per-target concurrency group gives today: pipeline 2
starts when pipeline 1 has ended. Parallel starts all N at once. Both runs use a fresh local
workspace; the figure is wall time, and the ratio serialised / parallel. Every step must pass in
both runs, or the benchmark fails (exit 1) instead of reporting a time.

On this machine every step is CPU work of the runner (the stand-in and the local workspace are
Python processes), so the ratio is bounded by the cores. In a real workspace most of a pipeline
is waiting: the deploy's API calls and the test job on a cluster. `--job-seconds N` makes the
test job's task wait N seconds first, as a cluster run does, without using the runner's CPU.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.deployments.project import merge_request, pr_project  # noqa: E402
from tests.steps.project import bundleops, step_env  # noqa: E402

STEPS = ("validate", "deploy", "test")


def pipeline(project: Path, env: dict[str, str]) -> list[str]:
    """One pull request's staging pipeline; the steps that failed (empty: all passed)."""
    for name in STEPS:
        result = bundleops([name, "--target", "staging"], project, env, timeout=1800)
        if result.returncode != 0:
            return [f"{project.name} {name}: exit {result.returncode}\n{result.stdout[-2000:]}{result.stderr[-2000:]}"]
    return []


def project(folder: Path, number: int, job_seconds: int) -> Path:
    """Pull request `number`'s copy of the bundle; its test task waits `job_seconds` first, as on a cluster."""
    made = pr_project(folder / f"pr{number}", f"feature/{number}")
    task = made / "src" / "fake_tests.py"
    task.write_text(f"import time\ntime.sleep({job_seconds})\n" + task.read_text())
    return made


def measure(prs: int, folder: Path, parallel: bool, job_seconds: int) -> float:
    from bundleops.localcli.shim import write_shim
    from bundleops.localworkspace import LocalWorkspace

    shim = write_shim(folder / "bin").parent
    with LocalWorkspace(folder / "workspace") as workspace:
        env = step_env(workspace.env(), shim)
        runs = [(project(folder, n, job_seconds), {**env, **merge_request(n, f"feature/{n}")}) for n in range(1, prs + 1)]
        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=prs if parallel else 1) as pool:
            failures = [failure for found in pool.map(lambda run: pipeline(*run), runs) for failure in found]
        seconds = time.monotonic() - started
    if failures:
        raise SystemExit("a pipeline failed, no figure:\n" + "\n".join(failures))
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prs", type=int, default=3, help="pull requests (default 3)")
    parser.add_argument("--job-seconds", type=int, default=0, help="the test job waits this long first, as on a cluster (default 0)")
    parser.add_argument("--report", type=Path, default=None, help="also write the table here (markdown)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="pr-parallel-") as scratch:
        serial = measure(args.prs, Path(scratch) / "serial", False, args.job_seconds)
        parallel = measure(args.prs, Path(scratch) / "parallel", True, args.job_seconds)
    table = (
        f"| pull requests | test job waits | serialised | parallel | serialised / parallel |\n|---|---|---|---|---|\n"
        f"| {args.prs} | {args.job_seconds} s | {serial:.1f} s | {parallel:.1f} s | {serial / parallel:.2f} |\n"
    )
    print(table)
    if args.report:
        args.report.write_text(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
