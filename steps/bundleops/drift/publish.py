"""Where the drift report goes: the log, the job summary, the JSON report file, and the issue where the CI has one."""

from __future__ import annotations

from pathlib import Path
from typing import Mapping

from bundleops.drift import issue, report
from bundleops.drift.check import Checked
from bundleops.drift.classify import NO_HISTORY, UNKNOWN
from bundleops.output import markdown as md
from bundleops.preview import limits
from bundleops.preview.publish import attempt
from bundleops.step import StepRun

KEPT = "the report"


def show(run: StepRun, checked: Checked) -> Path:
    """Log lines (a warning per drifted resource), the summary, the report file; returns the file's path."""
    from bundleops.output.writers import report_dir

    drift = checked.drift
    for line in report.text_lines(drift):
        run.out.info(line)
    for resource in drift.drifted_resources():
        run.out.warning(f"drift in {run.target_label}: {resource} was changed or deleted in the workspace outside a deploy", title="drift")
    unknown = drift.of(UNKNOWN)
    if unknown:
        run.out.warning(f"{len(unknown)} resource(s) of {run.target_label} are not in the workspace and {NO_HISTORY} "
                        f"({', '.join(finding.resource for finding in unknown)}); the next deploy of {run.target_label} writes the history",
                        title="drift: no history")
    path = report.write(run.project_root.resolve() / report_dir(), drift, checked.subject)
    run.out.summary(report.markdown(drift, checked.subject, limit=limits.SUMMARY_BYTES, report_path=path.name))
    run.out.set_output("drift_report", str(path))
    run.out.set_output("drifted", "true" if drift.drifted else "false")
    run.out.info(f"drift report: {path}")
    return path


def to_issue(run: StepRun, checked: Checked, environ: Mapping[str, str], *, drifted: bool, closing: str) -> None:
    """Open or update the issue while there is drift; close it, with `closing` as its last comment, once there is none."""
    subject = checked.subject
    api = issue.issues_for(run.out.vendor, environ, f"Drift in {md.visible(subject.bundle)} {md.visible(subject.target)}: changed outside a deploy")
    if isinstance(api, str):
        run.out.info(api)
        return
    body = report.markdown(checked.drift, subject, limit=limits.COMMENT_BYTES[api.thread.vendor] - 200,
                           report_path=f"drift-{subject.target}.json (job artifacts)") if drifted else None
    attempt(run, "the drift issue", api.thread.vendor, issue.TOKEN_FIX[api.thread.vendor],
            lambda: issue.sync(api, f"{subject.bundle}/{subject.target}", body, closing), kept=KEPT)
