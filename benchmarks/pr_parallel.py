"""N pull-request pipelines through the local workspace: one after another, then all at once.

Rerun: .venv/bin/python benchmarks/pr_parallel.py [--prs 3] [--report FILE]

Each pipeline is what a merge request's CI runs on staging: `bundleops validate`, `deploy` and
`test`, each its own process with GitLab's merge-request variables, so each pull request
deploys and tests its own deployment (`pr-<n>`) through the databricks CLI stand-in and the
embedded local workspace (the test job is the step tests' scripted task, which checks it runs its
own branch's code). Serialised is what a per-target concurrency group gives today: pipeline 2
starts when pipeline 1 has ended. Parallel starts all N at once. Both runs use a fresh local
workspace; the figure is wall time, and the ratio serialised / parallel. Every step must pass in
both runs, or the benchmark fails (exit 1) instead of reporting a time.
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


def measure(prs: int, folder: Path, parallel: bool) -> float:
    from bundleops.localcli.shim import write_shim
    from bundleops.localworkspace import LocalWorkspace

    shim = write_shim(folder / "bin").parent
    with LocalWorkspace(folder / "workspace") as workspace:
        env = step_env(workspace.env(), shim)
        runs = [(pr_project(folder / f"pr{n}", f"feature/{n}"), {**env, **merge_request(n, f"feature/{n}")}) for n in range(1, prs + 1)]
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
    parser.add_argument("--report", type=Path, default=None, help="also write the table here (markdown)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="pr-parallel-") as scratch:
        serial = measure(args.prs, Path(scratch) / "serial", parallel=False)
        parallel = measure(args.prs, Path(scratch) / "parallel", parallel=True)
    table = (
        f"| pull requests | serialised | parallel | serialised / parallel |\n|---|---|---|---|\n"
        f"| {args.prs} | {serial:.1f} s | {parallel:.1f} s | {serial / parallel:.2f} |\n"
    )
    print(table)
    if args.report:
        args.report.write_text(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
