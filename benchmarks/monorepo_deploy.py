"""Validating and deploying the bundles of a repository of many: ten at a time against one after another.

Rerun: .venv/bin/python benchmarks/monorepo_deploy.py [--bundles 100] [--concurrency 10] [--latency 0.1] [--report FILE]

Issue 23, benchmark (b). The repository of benchmarks/monorepo_selection.py (N small bundles, each
a job and a source file), on `main`. Each bundle's deployment is what one fanned-out CI job does
after a merge: `bundleops validate --target staging` then `bundleops deploy --target staging`
with `--project-root bundles/bundle_NNN`, as processes in a GitLab push pipeline's environment
(the CI service principal, the CLI stand-in as `databricks`). Twice, each against a fresh local
workspace whose every request takes `--latency` seconds (a real workspace's round trip):

- one after another (a pipeline that loops over the bundles);
- `--concurrency` at a time (the fan-out's limit), a bundle starting as soon as one finishes.

The table gives both walls, their ratio, and the processes' CPU seconds (user + system): on a
CI system each fanned-out job has a runner of its own, while here every process shares this
machine's cores, so the CPU seconds over the cores are a floor no concurrency can go under.
Exit 1 if a bundle's validate or deploy fails.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.monorepo_selection import git, make_repository  # noqa: E402
from benchmarks.reporting import publish, rerun_command  # noqa: E402
from bundleops.demo import pipeline  # noqa: E402
from bundleops.demo.ci_events import SYSTEMS  # noqa: E402
from bundleops.demo.command import _head  # noqa: E402
from bundleops.localcli.shim import write_shim  # noqa: E402
from bundleops.localworkspace import LocalWorkspace  # noqa: E402

BUNDLEOPS = Path(sys.executable).parent / "bundleops"
# What bundleops' policy asks of a bundle deployed to a shared target (docs/policy.md): jobs run as
# the CI service principal, permissions set, an integration-test job. The principal is the
# workspace's, given per run as BUNDLE_VAR_deployer.
DEPLOYABLE = """bundle:
  name: {name}
include: [resources/*.yml]
variables:
  deployer: {{description: the CI service principal's application id}}
targets:
  dev: {{mode: development, default: true}}
  staging:
    mode: production
    run_as:
      service_principal_name: ${{var.deployer}}
    permissions:
      - level: CAN_MANAGE
        service_principal_name: ${{var.deployer}}
      - level: CAN_VIEW
        group_name: users
  prod: {{mode: production}}
"""
TEST_JOB = """resources:
  jobs:
    {name}_test_job:
      name: {name} integration tests
      tasks:
        - task_key: main
          spark_python_task: {{python_file: ../src/{name}.py}}
"""


def make_deployable(repository: Path, count: int) -> list[str]:
    """The selection benchmark's repository, each bundle made to pass the policy of a shared target; on `main`."""
    make_repository(repository, count)
    git(repository, "checkout", "--quiet", "main")
    bundles = sorted(path for path in (repository / "bundles").iterdir())
    for folder in bundles:
        (folder / "databricks.yml").write_text(DEPLOYABLE.format(name=folder.name), encoding="utf-8")
        (folder / "resources" / f"{folder.name}_test_job.yml").write_text(TEST_JOB.format(name=folder.name), encoding="utf-8")
    git(repository, "add", "--all")
    git(repository, "commit", "--quiet", "--message", "deployable bundles")
    return [f"bundles/{folder.name}" for folder in bundles]


def deploy_one(repository: Path, bundle: str, env: dict[str, str]) -> str | None:
    """validate then deploy one bundle; the failure's last lines, or None."""
    for step in ("validate", "deploy"):
        done = subprocess.run([str(BUNDLEOPS), step, "--target", "staging", "--project-root", bundle], cwd=repository, env=env,
                              capture_output=True, text=True, check=False)
        if done.returncode != 0:
            return f"{bundle}: {step} exited {done.returncode}: {(done.stdout + done.stderr)[-800:]}"
    return None


def deploy_all(repository: Path, bundles: list[str], concurrency: int, latency: float, scratch: Path) -> tuple[float, float, list[str]]:
    """Wall seconds, CPU seconds of the processes, failures; against a fresh local workspace."""
    with LocalWorkspace(scratch / "workspace", latency_seconds=latency) as workspace:
        event = pipeline.default_branch_push(SYSTEMS["gitlab"], _head(repository), run=1)
        env = {**pipeline.clean_environment(os.environ), **workspace.env(), **event.variables,
               "DATABRICKS_CLI_PATH": str(write_shim(scratch / "bin")), "BUNDLE_VAR_deployer": workspace.client_id}
        cpu_before = _children_cpu()
        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=concurrency) as pool:
            failures = [failure for failure in pool.map(lambda bundle: deploy_one(repository, bundle, env), bundles) if failure]
        return time.monotonic() - started, _children_cpu() - cpu_before, failures


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bundles", type=int, default=100, help="bundles in the repository (default 100)")
    parser.add_argument("--concurrency", type=int, default=10, help="bundles deployed at a time in the concurrent run (default 10)")
    parser.add_argument("--latency", type=float, default=0.1, help="seconds every request to the local workspace takes (default 0.1)")
    parser.add_argument("--report", type=Path, help="also write the table as Markdown to FILE")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="monorepo-deploy-") as scratch:
        repository = Path(scratch) / "repository"
        bundles = make_deployable(repository, args.bundles)
        rows = []
        for label, concurrency in (("one after another", 1), (f"{args.concurrency} at a time", args.concurrency)):
            wall, cpu, failures = deploy_all(repository, bundles, concurrency, args.latency, Path(scratch) / label.replace(" ", "-"))
            if failures:
                print("\n".join(failures[:3]), file=sys.stderr)
                return 1
            rows.append((label, wall, cpu))
            print(f"{label}: {wall:.1f} s wall, {cpu:.1f} s CPU", file=sys.stderr, flush=True)
    cores = os.cpu_count() or 1
    command = rerun_command("monorepo_deploy.py", argv)
    lines = [f"{args.bundles} bundles validated and deployed to staging, {args.latency * 1000:g} ms per request, {cores} cores (`{command}`):", "",
             "| run | wall (s) | CPU of the processes (s) | CPU / cores: floor (s) | speed-up |", "|---|---|---|---|---|"]
    sequential = rows[0][1]
    lines += [f"| {label} | {wall:.1f} | {cpu:.1f} | {cpu / cores:.1f} | {sequential / wall:.2f}x |" for label, wall, cpu in rows]
    publish("\n".join(lines) + "\n", args.report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
