"""CPU seconds the CLI stand-in and the bundleops steps spend on a fixed sequence of calls, for a
baseline and a change side by side.

Rerun: .venv/bin/python benchmarks/standin_cpu.py [--refs b808506 HEAD] [--rounds 3] [--compile-change] [--report FILE]

The test suite calls `databricks` (the stand-in, served by bundleops.localcli.forkserver) and the
`bundleops` steps thousands of times; their CPU, not their wall time, is what a 2-core CI machine
runs out of. For each git ref, the ref's `steps/` is taken out of git into a scratch folder and
put first on PYTHONPATH, so this interpreter and its packages run that ref's bundleops. Each round
starts a local workspace (no added latency) and copies both shipped examples into git
repositories, then runs, each section in a process of its own whose CPU is counted when it ends
(user + system of it and everything it started, forked stand-in calls included):

- server: a shim's first call (`databricks --version`), which starts its fork server: paid once
  per process that writes a served shim (a pytest worker, `bundleops demo`);
- stand-in: on each example, as the steps call it: `bundle validate -o json`, `summary -o json`,
  `plan -o json`, `deploy`, `summary -o json`, `plan -o json`, `destroy --auto-approve` (staging),
  less the server section (the same fork server start is in it);
- steps: `bundleops <command> --help` for the steps the CI templates run, then `bundleops context`, `plan`,
  `validate --target staging` and `preview --target staging` on the orders_pipeline example in a
  GitHub pull request's environment (each step its own process, calling the served stand-in);
- workspace: the local workspace's own CPU while it answered the stand-in and steps sections.

The table gives each section's median over the rounds per ref and its ratio to the first ref.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from io import BytesIO
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.reporting import publish, rerun_command  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
BUNDLEOPS = Path(sys.executable).parent / "bundleops"  # the console script, as CI and the suite run the steps
SECTIONS = ("server", "stand-in", "steps", "workspace")
CALLS = (("validate", "-o", "json"), ("summary", "-o", "json"), ("plan", "-o", "json"), ("deploy",), ("summary", "-o", "json"),
         ("plan", "-o", "json"), ("destroy", "--auto-approve"))
HELP = ("context", "plan", "validate", "preview", "deploy", "test", "publish", "destroy")  # the steps the CI templates run
STEPS = (("context",), ("plan", "--format", "json", "--project-root", "."), ("validate", "--target", "staging", "--project-root", "."),
         ("preview", "--target", "staging", "--project-root", "."))


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _run(command: list[str], cwd: Path, env: dict[str, str]) -> None:
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False, timeout=600)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({done.returncode}):\n{done.stderr[-3000:]}")


def _section(kind: str, projects: list[Path], env: dict[str, str]) -> float:
    """CPU of one section, run in a process of its own (its fork server ends, and is counted, with it)."""
    started = _children_cpu()
    _run([sys.executable, __file__, "--section", kind, *map(str, projects)], REPO, env)
    return _children_cpu() - started


def play_round() -> dict[str, float]:
    """One round on the ref whose bundleops is imported here; prints nothing but its figures (JSON)."""
    from bundleops.demo.ci_events import SYSTEMS
    from bundleops.demo.command import _head, _repository
    from bundleops.demo.pipeline import clean_environment, pull_request
    from bundleops.deploy import same_version, wheel
    from bundleops.localworkspace import LocalWorkspace
    from bundleops.shipped import EXAMPLE_PROJECT

    import bundleops

    tried = Path(os.environ["PYTHONPATH"].split(os.pathsep)[0])
    if not Path(bundleops.__file__).is_relative_to(tried):
        raise SystemExit(f"this round imported bundleops from {bundleops.__file__}, not from the ref's {tried}")
    with tempfile.TemporaryDirectory(prefix="standin-cpu-") as scratch, LocalWorkspace(Path(scratch) / "workspace") as workspace:
        projects = [_repository(source, Path(scratch) / source.name, workspace.host) for source in (EXAMPLE_PROJECT, EXAMPLE_PROJECT.parent / "orders_lakeflow")]
        for project in projects:
            wheel.build(project / same_version.WHEEL_FOLDER)  # as the steps' deploy does before calling `bundle deploy`
        env = {**clean_environment(os.environ), **workspace.env()}
        event = pull_request(SYSTEMS["github"], _head(projects[0]), run=1)
        step_env = {**env, **event.variables}
        seconds = {"server": _section("server", [], env)}
        served = time.process_time()
        seconds["stand-in"] = _section("stand-in", projects, env) - seconds["server"]
        seconds["steps"] = _section("steps", projects[:1], step_env)
        seconds["workspace"] = time.process_time() - served
    return seconds


def run_section(kind: str, projects: list[Path]) -> None:
    """In the section's own process: a served shim, and the section's calls through it."""
    import bundleops
    from bundleops.deploy import same_version
    from bundleops.localcli.shim import write_shim

    with tempfile.TemporaryDirectory(prefix="standin-cpu-bin-") as folder:
        databricks = write_shim(Path(folder))
        _wait_for_server(databricks)
        env = dict(os.environ)
        _run([str(databricks), "--version"], REPO, env)
        pin = ["-t", "staging", "--var", f"{same_version.VARIABLE}={bundleops.__version__}"]
        if kind == "stand-in":
            for project in projects:
                for call in CALLS:
                    _run([str(databricks), "bundle", *call, *pin], project, env)
        elif kind == "steps":
            env["DATABRICKS_CLI_PATH"] = str(databricks)
            for name in HELP:
                _run([str(BUNDLEOPS), name, "--help"], REPO, env)
            for step in STEPS:
                _run([str(BUNDLEOPS), *step], projects[0], env)


def _wait_for_server(shim: Path) -> None:
    """Until the shim's fork server listens: a call before that runs the stand-in directly (slower)."""
    from bundleops.localcli.forkclient import SOCKET_VARIABLE

    socket_path = Path(shim.read_text(encoding="utf-8").split(f"{SOCKET_VARIABLE}=", 1)[1].split()[0])
    deadline = time.monotonic() + 120
    while not socket_path.exists():
        if time.monotonic() > deadline:
            raise SystemExit(f"the fork server of {shim} did not listen within 120 s")
        time.sleep(0.05)


def _extract(ref: str, into: Path) -> Path:
    """The ref's steps/ folder, out of git (no checkout of this working tree is touched)."""
    archive = subprocess.run(["git", "-C", str(REPO), "archive", "--format=tar", ref, "steps"], capture_output=True, check=True).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into / "steps"


def measure(ref: str, rounds: int, compiled: bool) -> dict[str, float]:
    """Median CPU seconds per section of `rounds` rounds, each a fresh process running the ref's
    bundleops; `compiled`: its bytecode compiled first, as scripts/setup --test compiles it."""
    with tempfile.TemporaryDirectory(prefix="standin-cpu-ref-") as scratch:
        steps = _extract(ref, Path(scratch))
        if compiled:
            subprocess.run([sys.executable, "-m", "compileall", "-q", "-x", "/shipped/", str(steps / "bundleops")], check=True)
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(steps), os.environ.get("PYTHONPATH")]))}
        results = []
        for number in range(rounds):
            done = subprocess.run([sys.executable, __file__, "--round"], cwd=REPO, env=env, capture_output=True, text=True, check=False, timeout=1800)
            if done.returncode != 0:
                raise SystemExit(f"round {number + 1} on {ref} failed ({done.returncode}):\n{done.stderr[-3000:]}")
            results.append(json.loads(done.stdout.strip().splitlines()[-1]))
            print(f"{ref} round {number + 1}: {results[-1]}", file=sys.stderr, flush=True)
    return {section: statistics.median(result[section] for result in results) for section in SECTIONS}


def table(figures: dict[str, dict[str, float]], rounds: int, command: str) -> str:
    refs = list(figures)
    first = refs[0]
    lines = [f"CPU seconds (user + system), median of {rounds} rounds, PYTHONDONTWRITEBYTECODE={os.environ.get('PYTHONDONTWRITEBYTECODE', '')} "
             f"(`{command}`):", "",
             "| " + " | ".join(["section", *(f"{ref} ({_short(ref)}) s" for ref in refs), *(f"ratio {ref}/{first}" for ref in refs[1:])]) + " |",
             "|---|" + "---|" * (2 * len(refs) - 1)]
    for section in (*SECTIONS, "total"):
        values = [sum(figures[ref].values()) if section == "total" else figures[ref][section] for ref in refs]
        cells = [section, *(f"{value:.2f}" for value in values), *(f"{value / values[0]:.2f}" for value in values[1:])]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _short(ref: str) -> str:
    return subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", ref], capture_output=True, text=True, check=True).stdout.strip()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--refs", nargs="+", default=["b808506", "HEAD"], help="git refs to compare, the first being the baseline (default: b808506 HEAD)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per ref, each on a fresh local workspace (default 3)")
    parser.add_argument("--report", type=Path, help="also write the table as Markdown to FILE")
    parser.add_argument("--compile-change", action="store_true",
                        help="compile the bytecode of every ref but the first, as scripts/setup --test does since this benchmark (matters under PYTHONDONTWRITEBYTECODE=1)")
    parser.add_argument("--round", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--section", help=argparse.SUPPRESS)
    parser.add_argument("projects", nargs="*", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.round:
        print(json.dumps(play_round()))
        return 0
    if args.section:
        run_section(args.section, args.projects)
        return 0
    figures = {ref: measure(ref, args.rounds, args.compile_change and number > 0) for number, ref in enumerate(args.refs)}
    publish(table(figures, args.rounds, rerun_command("standin_cpu.py", argv)), args.report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
