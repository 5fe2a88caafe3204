"""A pull request's pipeline cancelled while its integration tests run in the workspace, on the
five CI systems.

Each CI system cancels a job by signalling the step's processes and killing them after a grace
period (docs/reliability.md, "Signals: a CI cancel"). None of the vendor runners plays that:
act kills the step at once (SIGKILL), gitlab-ci-local and bb-run leave it running. So this test
is the CI's agent: once `bundleops test` is waiting on the run, it sends that CI's signals to the
step's process, with that CI's delays, and kills it at the CI's deadline if it is still there.
What every CI must then show: the step ended within the grace period, the run it started was
cancelled in the workspace (none is left running), its log says so with the run's URL, and the
pipeline is red. The runners see a step that failed (exit 3), not a cancelled job, so the steps
after it are those of the red path (publish), the same trace on all five.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conformance import deployments, harness
from tests.faults.bench import RUNS_GET, requests_seen
from tests.faults.stepfaults import alive, wait_for
from tests.support.faultproxy import FaultProxy

pytestmark = pytest.mark.vendor_runner


@dataclass(frozen=True)
class Cancel:
    """What a CI system's agent does to a step it cancels: signals at seconds after the cancel, then SIGKILL."""

    signals: tuple[tuple[float, signal.Signals], ...]
    kill_after: float


# docs/reliability.md: GitHub's and Azure's agents (ProcessInvoker) send SIGINT, SIGTERM 7.5 s
# later and kill 2.5 s after that; Jenkins sends SIGTERM and kills 5 s later; GitLab's current
# executors and Bitbucket (docker stop) send SIGTERM, with a grace period that is the runner's or
# not documented: the shortest one bundleops plans for, Jenkins' 5 s.
CANCELS = {
    "github": Cancel(((0.0, signal.SIGINT), (7.5, signal.SIGTERM)), 10.0),
    "azure": Cancel(((0.0, signal.SIGINT), (7.5, signal.SIGTERM)), 10.0),
    "gitlab": Cancel(((0.0, signal.SIGTERM),), 5.0),
    "jenkins": Cancel(((0.0, signal.SIGTERM),), 5.0),
    "bitbucket": Cancel(((0.0, signal.SIGTERM),), 5.0),
}


def step_process(trace_file: Path) -> int | None:
    """The `bundleops test` process of this pipeline run (its environment names this run's trace file)."""
    marker = f"BUNDLEOPS_TRACE_FILE={trace_file}".encode()
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            argv = (proc / "cmdline").read_bytes().split(b"\0")
            if not any(arg.endswith(b"bundleops") and following == b"test" for arg, following in zip(argv, argv[1:])):
                continue
            if marker in (proc / "environ").read_bytes().split(b"\0"):
                return int(proc.name)
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
    return None


def ended_by(pid: int, moment: float) -> bool:
    """Whether the process has ended by `moment` (monotonic seconds), returning as soon as it ends."""
    while alive(pid) and time.monotonic() < moment:
        time.sleep(0.05)
    return not alive(pid)


class Agent(threading.Thread):
    """The CI's agent cancelling the job once the test step waits on its run."""

    def __init__(self, proxy: FaultProxy, trace_file: Path, cancel: Cancel) -> None:
        super().__init__(name="ci-agent", daemon=True)
        self.proxy, self.trace_file, self.cancel = proxy, trace_file, cancel
        self.cancelled_at: float | None = None
        self.killed = False
        self.problem = ""

    def run(self) -> None:
        try:
            wait_for(lambda: requests_seen(RUNS_GET, 1)(self.proxy), 600, "the test step to wait on its run")
            pid = step_process(self.trace_file)
            if pid is None:
                self.problem = "no `bundleops test` process of this run while it waited on its run"
                return
            self._cancel(pid)
        except AssertionError as error:
            self.problem = str(error)

    def _cancel(self, pid: int) -> None:
        self.cancelled_at = time.monotonic()
        for at, signum in self.cancel.signals:
            if ended_by(pid, self.cancelled_at + at):
                break
            os.kill(pid, signum)
        if not ended_by(pid, self.cancelled_at + self.cancel.kill_after):
            os.kill(pid, signal.SIGKILL)
            self.killed = True


@pytest.mark.parametrize("vendor", harness.VENDORS)
def test_a_cancelled_job_leaves_no_run_running(vendor: str, fresh_local_workspace, tmp_path: Path) -> None:  # noqa: ANN001 - LocalWorkspace
    workdir = tmp_path / "run"
    with harness.behind_proxy(fresh_local_workspace, tmp_path / "bin", []) as (workspace, proxy):
        agent = Agent(proxy, workdir / "trace.jsonl", CANCELS[vendor])
        agent.start()
        run = harness.run_vendor(vendor, "pull_request", workspace, workdir)
        agent.join(timeout=60)
        active = [found.run_id for found in deployments.client(workspace).jobs.list_runs(active_only=True)]
    assert not agent.problem, f"{vendor}: {agent.problem}\n{run.log[-4000:]}"
    assert agent.cancelled_at is not None, f"{vendor}: the pipeline ended before the test step waited on its run\n{run.log[-4000:]}"
    assert not agent.killed, f"{vendor}: the test step outlived the CI's grace period ({CANCELS[vendor].kill_after:g} s) and was killed\n{run.log[-4000:]}"
    assert run.returncode != 0, f"{vendor}: a cancelled job must not pass\n{run.log[-4000:]}"
    assert active == [], f"{vendor}: runs left running after the cancel: {active}\n{run.log[-4000:]}"
    first_signal = CANCELS[vendor].signals[0][1].name
    assert f"cancelled by {first_signal}; the test run" in run.log and "was cancelled" in run.log, f"{vendor}: the log does not say the run was cancelled\n{run.log[-4000:]}"
    planned = harness.planned_trace(vendor, "pull_request", run.project)
    assert harness.comparable(run.steps) == planned, f"{vendor} ran {run.steps}; a failed test step is followed by publish: {planned}\n{run.log[-4000:]}"
