"""How far a run, or one of its task runs, got: read in one place from the SDK's state objects.

A run (and a task run) has a life-cycle state while it goes, and a result state once it ended
with a result; INTERNAL_ERROR and SKIPPED end with a life-cycle state only."""

from __future__ import annotations

from typing import Any


def state_of(run: Any) -> str:
    """The life-cycle state; PENDING before the workspace reported one."""
    return run.state.life_cycle_state.value if run and run.state and run.state.life_cycle_state else "PENDING"


def result_state(run: Any) -> str | None:
    """The result state (SUCCESS, FAILED, UPSTREAM_FAILED, ...); None while there is none."""
    state = getattr(run, "state", None)
    return state.result_state.value if state is not None and state.result_state is not None else None


def result_of(run: Any) -> str:
    """The result state of a finished run; its life-cycle state when it has none (SKIPPED, INTERNAL_ERROR)."""
    return result_state(run) or state_of(run)
