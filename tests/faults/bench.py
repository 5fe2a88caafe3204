"""The test step under faults: a deployed bundle, the fault proxy in front of the local workspace,
`bundleops test` run as a CI job would run it, and the checks every case ends with.

Used by tests/faults and by benchmarks/faults.py (the seeded random-fault run). The bundle's test
task reads what to do from a control file (pass, fail, break, hang, `sleep N`), so one deploy
serves every case.
"""

from __future__ import annotations

import random
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from tests.steps.project import FAKE_TESTS, shop_project, step_env
from tests.support.faultproxy import BrokenBody, FaultProxy, Injected, Reset, Rule, Stall, Status

RUNS_GET = r"/api/2\.\d/jobs/runs/get"
RUNS_LIST = r"/api/2\.\d/jobs/runs/list"
JOBS_GET = r"/api/2\.\d/jobs/get"
RUN_NOW = r"/api/2\.\d/jobs/run-now"
CANCEL = r"/api/2\.\d/jobs/runs/cancel"
REPORT = r"/api/2\.0/fs/files/Volumes/.*/junit\.xml"
ENDPOINTS = {"runs/get": RUNS_GET, "jobs/get": JOBS_GET, "run-now": RUN_NOW, "runs/cancel": CANCEL, "report": REPORT}
RETRY_WINDOW_SECONDS = 3
REPORTS = ".bundleops/reports/integration"

CONTROLLED_TESTS = FAKE_TESTS.replace(
    "folder, commit, behaviour = sys.argv[1:4]\n",
    "folder, commit, control = sys.argv[1:4]\n"
    "behaviour = Path(control).read_text().strip()\n"
    "if behaviour.startswith('sleep '):\n"
    "    time.sleep(float(behaviour.split()[1]))\n"
    "    behaviour = 'pass'\n",
)
BUNDLEOPS_YML = f"auth:\n  retry_timeout_seconds: {RETRY_WINDOW_SECONDS}\n"


@dataclass
class Outcome:
    code: int
    stdout: str
    stderr: str
    injected: list[Injected]
    seconds_after_signal: float | None = None

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def faults(self) -> str:
        return "; ".join(fault.describe() for fault in self.injected) or "none"


@dataclass
class Bench:
    """One deployed bundle in one local workspace; `run` starts `bundleops test` through a fault proxy."""

    workspace: Any  # LocalWorkspace
    project: Path
    env: dict[str, str]
    control: Path
    client: Any  # WorkspaceClient straight to the workspace, never through the proxy
    job_id: int = field(init=False)

    def __post_init__(self) -> None:
        self.job_id = next(iter(self.client.jobs.list(name="shop_test_job"))).job_id

    def run(self, rules: list[Rule], behaviour: str = "pass", *, seed: int | None = None,
            signals: Callable[[subprocess.Popen[str], FaultProxy], float | None] | None = None) -> Outcome:
        """`bundleops test --target staging` through a proxy with `rules`; `signals` may signal the process
        and returns the time of its first signal."""
        self.control.write_text(behaviour)
        with FaultProxy(self.workspace.host, rules, seed=seed) as proxy:
            process = subprocess.Popen([sys.executable, "-m", "bundleops", "test", "--target", "staging", "--project-root", str(self.project)],
                                       cwd=self.project, env={**self.env, "DATABRICKS_HOST": proxy.host},
                                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            signalled = signals(process, proxy) if signals else None
            stdout, stderr = process.communicate(timeout=300)
            ended = time.monotonic()
            return Outcome(process.returncode, stdout, stderr, list(proxy.injected), None if signalled is None else ended - signalled)

    def active_runs(self, settle_seconds: float = 10.0) -> list[int]:
        """Runs of the test job still active, once a cancel the workspace accepted had time to end them."""
        deadline = time.monotonic() + settle_seconds
        while True:
            active = [run.run_id for run in self.client.jobs.list_runs(job_id=self.job_id, active_only=True)]
            if not active or time.monotonic() > deadline:
                return active
            time.sleep(0.2)

    def runs(self) -> int:
        return len(list(self.client.jobs.list_runs(job_id=self.job_id)))

    def secrets(self) -> list[str]:
        return [self.workspace.client_secret, self.workspace.user_token]

    def leaks(self, outcome: Outcome) -> list[str]:
        """Where a secret appears: the step's output or any file it wrote under the project."""
        places = ["output"] if any(secret in outcome.output for secret in self.secrets()) else []
        for path in self.project.rglob("*"):
            if path.is_file() and any(secret.encode() in path.read_bytes() for secret in self.secrets()):
                places.append(str(path.relative_to(self.project)))
        return places

    def problems(self, outcome: Outcome) -> list[str]:
        """What every case must never show: a traceback, a run left active, a secret written anywhere."""
        found = []
        if "Traceback" in outcome.output:
            found.append("traceback")
        active = self.active_runs()
        if active:
            found.append(f"runs left active: {active}")
            for run_id in active:  # leave the workspace clean for the next case
                self.client.jobs.cancel_run(run_id)
        found += [f"secret in {place}" for place in self.leaks(outcome)]
        return found


def deploy_bench(folder: Path, workspace: Any, shim_dir: Path) -> Bench:
    from databricks.sdk import WorkspaceClient

    control = folder / "behaviour"
    project = shop_project(folder / "shop", str(control), changes={"src/fake_tests.py": CONTROLLED_TESTS, "bundleops.yml": BUNDLEOPS_YML})
    env = step_env(workspace.env(), shim_dir)
    deployed = subprocess.run([sys.executable, "-m", "bundleops", "deploy", "--target", "staging", "--project-root", str(project)],
                              cwd=project, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert deployed.returncode == 0, deployed.stdout + deployed.stderr
    client = WorkspaceClient(host=workspace.host, client_id=workspace.client_id, client_secret=workspace.client_secret, auth_type="oauth-m2m")
    return Bench(workspace, project, env, control, client)


def signal_when(condition: Callable[[FaultProxy], bool], *sequence: tuple[float, signal.Signals], timeout: float = 60.0) -> Callable[[subprocess.Popen[str], FaultProxy], float | None]:
    """Once `condition(proxy)` holds, send each signal after its delay (seconds after the previous one)."""

    def send(process: subprocess.Popen[str], proxy: FaultProxy) -> float | None:
        deadline = time.monotonic() + timeout
        while not condition(proxy) and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        first = None
        for delay, sig in sequence:
            time.sleep(delay)
            if process.poll() is not None:
                break
            process.send_signal(sig)
            first = first or time.monotonic()
        return first

    return send


def injected_on(pattern: str, fault: str = "") -> Callable[[FaultProxy], bool]:
    """The proxy has injected a fault (whose description starts with `fault`) on the endpoint `pattern`."""
    return lambda proxy: any(re.fullmatch(pattern, item.path) and item.fault.startswith(fault) for item in proxy.injected)


def requests_seen(pattern: str, count: int) -> Callable[[FaultProxy], bool]:
    """The proxy has passed on `count` requests to the endpoint `pattern`."""
    return lambda proxy: sum(1 for _, path in proxy.seen if re.fullmatch(pattern, path)) >= count


# ---------------------------------------------------------------- random faults

FAULTS: tuple[Callable[[random.Random], Any], ...] = (
    lambda rng: Status(rng.choice([500, 502, 503, 504]), html=rng.random() < 0.3),
    lambda rng: Status(rng.choice([401, 403])),
    lambda rng: Reset(),
    lambda rng: BrokenBody(),
    lambda rng: Stall(rng.choice([1.0, 3.0, 8.0])),
)
BEHAVIOURS = ("pass", "pass", "pass", "fail", "break", "sleep 3")


@dataclass(frozen=True)
class Scenario:
    behaviour: str
    rules: list[Rule]
    sigterm_after: float | None  # seconds after start, or None

    def describe(self) -> str:
        signalled = f", SIGTERM at {self.sigterm_after:.1f}s" if self.sigterm_after is not None else ""
        return f"{self.behaviour}: {', '.join(rule.describe() for rule in self.rules) or 'no rules'}{signalled}"


def random_scenario(rng: random.Random) -> Scenario:
    """1-3 fault rules on random endpoints, each on a random range or a random share of requests; sometimes a SIGTERM."""
    rules = []
    for _ in range(rng.randint(1, 3)):
        first = rng.randint(1, 3)
        rules.append(Rule("*", rng.choice(list(ENDPOINTS.values())), rng.choice(FAULTS)(rng), first=first,
                          last=rng.choice([first, first + 1, None]), probability=rng.choice([1.0, 0.5]),
                          after_upstream=rng.random() < 0.3))
    return Scenario(rng.choice(BEHAVIOURS), rules, rng.uniform(4.0, 9.0) if rng.random() < 0.15 else None)


def run_scenario(bench: Bench, scenario: Scenario, seed: int) -> tuple[Outcome, list[str]]:
    """Run it; the problems found (the invariants of problems(), and an exit code that contradicts the tests' result)."""
    sigterm = scenario.sigterm_after
    signals = signal_when(lambda proxy: True, (sigterm, signal.SIGTERM)) if sigterm is not None else None
    before = bench.runs()
    outcome = bench.run([Rule(r.method, r.path, r.fault, r.first, r.last, r.probability, r.after_upstream) for r in scenario.rules],
                        scenario.behaviour, seed=seed, signals=signals)
    found = bench.problems(outcome)
    # Killed by the signal before bundleops handled signals: acceptable only while nothing was started.
    if outcome.code not in (0, 1, 2, 3) and not (outcome.code == -signal.SIGTERM and bench.runs() == before):
        found.append(f"exit code {outcome.code}")
    if outcome.code == 0 and scenario.behaviour not in ("pass", "sleep 3"):
        found.append(f"exit 0 for tests that {scenario.behaviour}")
    if outcome.code == 1 and scenario.behaviour != "fail":
        found.append(f"exit 1 for tests that {scenario.behaviour}")
    return outcome, found
