"""What one bundle's pull-request pipeline costs over the bare commands that do the same work.

Rerun: .venv/bin/python benchmarks/pipeline_overhead.py [--rounds 3] [--latency 0.1] [--report FILE]

Issue 23, benchmark (d). Each round starts a local workspace whose every request takes
`--latency` seconds (a real workspace's round trip) and copies the shipped example into a fresh
git repository, then runs, one after the other on the same project:

- bare: `databricks bundle validate`, `databricks bundle plan`, `databricks bundle deploy` on the
  staging target (the same `databricks` the steps call: the CLI stand-in), then a plain
  run-and-wait of the integration-test job (databricks-sdk `jobs.run_now(...).result()`);
- bundleops: the GitHub pull-request pipeline as `bundleops demo` plays it (each step its own
  process with the variables GitHub sets): `validate`, `preview`, `deploy`, `test` (it
  deploys to the pull request's own root, so it repeats none of the bare deploy's work).

Both deploy the same bundle for the first time and run the same test job to its end. The table
gives each step's median wall time over the rounds, and the ratio of the bundleops pipeline's
four steps to the bare four, with what bundleops does on top. `unit` and `publish`, which the
pipeline also runs, have no bare counterpart and are listed apart.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import bundleops  # noqa: E402
from benchmarks.reporting import publish, rerun_command  # noqa: E402
from bundleops import config  # noqa: E402
from bundleops.demo import pipeline  # noqa: E402
from bundleops.demo.ci_events import SYSTEMS  # noqa: E402
from bundleops.demo.command import _head, _repository  # noqa: E402
from bundleops.deploy import same_version, wheel  # noqa: E402
from bundleops.localcli.shim import write_shim  # noqa: E402
from bundleops.localworkspace import LocalWorkspace  # noqa: E402
from bundleops.shipped import EXAMPLE_PROJECT  # noqa: E402

COMPARED = ("validate", "preview", "deploy", "test")
BARE_NAMES = {"validate": "bundle validate", "preview": "bundle plan", "deploy": "bundle deploy", "test": "run-now + wait (SDK)"}


def _timed(action: Any) -> float:
    started = time.monotonic()
    action()
    return time.monotonic() - started


def _cli(databricks: Path, project: Path, env: dict[str, str], *args: str) -> str:
    pin = ["--var", f"{same_version.VARIABLE}={bundleops.__version__}"]  # as a team pins the test job's bundleops by hand
    done = subprocess.run([str(databricks), "bundle", *args, "-t", "staging", *pin], cwd=project, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"databricks bundle {' '.join(args)} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return done.stdout


def bare_round(databricks: Path, project: Path, workspace: LocalWorkspace) -> dict[str, float]:
    """The four bare commands' wall times; the test job run to its end as the SDK's waiter waits."""
    from databricks.sdk import WorkspaceClient

    env = {**pipeline.clean_environment(os.environ), **workspace.env()}
    wheel.build(project / same_version.WHEEL_FOLDER)  # the bare commands get the wheel ready-made; bundleops deploy builds it
    seconds = {step: _timed(lambda args=args: _cli(databricks, project, env, *args)) for step, args in
               (("validate", ("validate",)), ("preview", ("plan", "-o", "json")), ("deploy", ("deploy",)))}
    summary = json.loads(_cli(databricks, project, env, "summary", "-o", "json"))
    jobs = summary["resources"]["jobs"]
    test_job = config.load(project).test.job or f"{summary['bundle']['name']}_test_job"
    client = WorkspaceClient(host=workspace.host, client_id=workspace.client_id, client_secret=workspace.client_secret, auth_type="oauth-m2m")
    seconds["test"] = _timed(lambda: client.jobs.run_now(job_id=int(jobs[test_job]["id"])).result())
    return seconds


def bundleops_round(project: Path, workspace: LocalWorkspace, databricks: Path) -> dict[str, float]:
    """The GitHub pull-request pipeline's steps and their wall times."""
    event = pipeline.pull_request(SYSTEMS["github"], _head(project), run=1)
    result = pipeline.run(event, project, {**workspace.env(), "DATABRICKS_CLI_PATH": str(databricks)})
    if not result.ok:
        raise SystemExit(f"the pull-request pipeline failed: {[(step.name, step.code) for step in result.steps]}")
    return {step.name: step.seconds for step in result.steps}


def one_round(latency: float) -> tuple[dict[str, float], dict[str, float]]:
    with tempfile.TemporaryDirectory(prefix="pipeline-overhead-") as scratch:
        root = Path(scratch)
        with LocalWorkspace(root / "workspace", latency_seconds=latency) as workspace:
            project = _repository(EXAMPLE_PROJECT, root / "project", workspace.host)
            databricks = write_shim(root / "bin")
            bare = bare_round(databricks, project, workspace)
            return bare, bundleops_round(project, workspace, databricks)


def table(bare: list[dict[str, float]], ours: list[dict[str, float]], latency: float, command: str) -> str:
    def median(rounds: list[dict[str, float]], step: str) -> float:
        return statistics.median(round_[step] for round_ in rounds)

    lines = [f"Pull-request pipeline of the shipped example, {len(bare)} rounds, {latency * 1000:g} ms per request (`{command}`):", "",
             "| step | bare command | bare s | bundleops s | ratio |", "|---|---|---|---|---|"]
    for step in COMPARED:
        lines.append(f"| {step} | {BARE_NAMES[step]} | {median(bare, step):.1f} | {median(ours, step):.1f} | {median(ours, step) / median(bare, step):.2f} |")
    bare_total, our_total = (sum(median(rounds, step) for step in COMPARED) for rounds in (bare, ours))
    lines.append(f"| **the four** | | **{bare_total:.1f}** | **{our_total:.1f}** | **{our_total / bare_total:.2f}** |")
    for step in sorted(set(ours[0]) - set(COMPARED)):
        lines.append(f"| {step} (no bare counterpart) | | | {median(ours, step):.1f} | |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3, help="rounds, each on a fresh local workspace (default 3)")
    parser.add_argument("--latency", type=float, default=0.1, help="seconds every request to the local workspace takes (default 0.1)")
    parser.add_argument("--report", type=Path, help="also write the table as Markdown to FILE")
    args = parser.parse_args(argv)
    bare, ours = [], []
    for number in range(args.rounds):
        round_bare, round_ours = one_round(args.latency)
        bare.append(round_bare)
        ours.append(round_ours)
        print(f"round {number + 1}: bare {round_bare}, bundleops {round_ours}", file=sys.stderr, flush=True)
    publish(table(bare, ours, args.latency, rerun_command("pipeline_overhead.py", argv)), args.report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
