"""DORA's figures on histories written by hand: failed tests, failed deploys, rollbacks, and empty windows."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from bundleops.history.dora import compute, describe
from bundleops.history.entry import Change, HistoryEntry, PostDeployTest, utc_text

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=timezone.utc)


def deploy(hours: float, outcome: str = "deployed", commit: str = "c", committed_hours_before: float | None = None,
           test: str | None = None, changes: list[Change] | None = None) -> HistoryEntry:
    finished = T0 + timedelta(hours=hours)
    own = [Change(commit, utc_text(finished - timedelta(hours=committed_hours_before)))] if committed_hours_before is not None else []
    return HistoryEntry(bundle="shop", target="prod", role="prod", outcome=outcome, started_at=utc_text(finished - timedelta(minutes=3)),
                        finished_at=utc_text(finished), commit=commit, changes=changes if changes is not None else own,
                        test=PostDeployTest(test) if test else None)


def figures(entries: list[HistoryEntry], days: int = 7) -> dict[str, tuple[str, str]]:
    result = compute(entries, T0, T0 + timedelta(days=days))
    return {figure.name: (figure.value, figure.basis) for figure in result.figures}


def test_a_failed_post_deploy_test_is_a_failure_restored_by_the_next_passing_deploy() -> None:
    entries = [deploy(0, commit="a", committed_hours_before=1, test="passed"),
               deploy(10, commit="b", committed_hours_before=2, test="failed"),
               deploy(13, commit="c", committed_hours_before=1, test="passed")]
    found = figures(entries)
    assert found["change failure rate"][0] == "33%"
    assert found["time to restore"] == ("3.0 h", "1 failures, each from the failed deploy's finish to the finish of the deploy that restored the target")
    assert found["lead time for changes"][0] == "60.0 min"  # median of 1 h, 2 h, 1 h


def test_a_failed_deploy_counts_in_no_figure_and_is_said() -> None:
    entries = [deploy(0, commit="a", committed_hours_before=4), deploy(1, outcome="failed", commit="b"), deploy(2, commit="b", committed_hours_before=3)]
    result = compute(entries, T0, T0 + timedelta(days=7))
    assert result.failed_deploys == 1
    assert {f.name: f.value for f in result.figures}["deployment frequency"] == f"{2 / 7:.2f} per day ({2:.1f} per week)"


def test_a_commit_two_deploys_carry_counts_once_and_one_without_a_time_is_named() -> None:
    shared = Change("x", utc_text(T0 - timedelta(hours=5)))
    entries = [deploy(0, commit="x", changes=[shared]), deploy(1, commit="y", changes=[shared, Change("y", None)])]
    value, basis = figures(entries)["lead time for changes"]
    assert (value, basis) == ("5.0 h", "1 commits, each from its commit time to the finish of the deploy that brought it (1 without a commit time left out)")


def test_a_failure_not_yet_restored_and_an_empty_window() -> None:
    found = figures([deploy(0, commit="a", committed_hours_before=1, test="failed")])
    assert found["time to restore"] == ("n/a", "0 failures, each from the failed deploy's finish to the finish of the deploy that restored the target (1 not restored yet)")
    empty = figures([])
    assert [empty[name][0] for name in ("lead time for changes", "change failure rate", "time to restore")] == ["n/a", "n/a", "n/a"]
    assert empty["deployment frequency"][0] == "0.00 per day (0.0 per week)"


def test_entries_outside_the_window_are_left_out() -> None:
    found = figures([deploy(-48, commit="old", committed_hours_before=1), deploy(1, commit="new", committed_hours_before=2)], days=1)
    assert found["deployment frequency"][1] == "1 deploys that succeeded (0 of them rollbacks) in 1.0 days"


def test_durations_read_as_a_person_reads_them() -> None:
    assert [describe(timedelta(seconds=s)) for s in (42, 750, 3 * 3600 + 720, 5 * 86400)] == ["42 s", "12.5 min", "3.2 h", "5.0 d"]
