"""Where a plan is shown: the log, the CI's job summary (on Bitbucket a Code Insights report), and the pull request's comment."""

from __future__ import annotations

from typing import Callable, Mapping

from bundleops.output import markdown as md
from bundleops.preview import bitbucket_report, comment, limits, render
from bundleops.preview.gate import Verdict
from bundleops.preview.planning import SavedPlan
from bundleops.step import StepRun

REPORT_FIX = "the step must run in Bitbucket Pipelines, whose proxy (localhost:29418) authenticates the reports API"


def show(run: StepRun, saved: SavedPlan, verdict: Verdict, environ: Mapping[str, str]) -> None:
    """Log lines, the summary within the CI's limit, the Bitbucket report, and the comment within the comment's limit."""
    for line in render.text_lines(saved.plan):
        run.out.info(line)
    title = f"bundleops preview: {run.target_label}"  # plain text (the Bitbucket report)
    heading = f"bundleops preview: {md.code(run.target_label)}"
    vendor = run.out.vendor
    summary = render.markdown(saved.plan, title=heading, verdict=verdict.markdown(), limit=limits.SUMMARY_BYTES,
                              plan_path=str(saved.path.name), where=limits.SUMMARY_PLACES.get(vendor, "the summary"))
    run.out.summary(summary.markdown)
    if vendor == "bitbucket" and all(environ.get(name) for name in bitbucket_report.NEEDED):
        body = bitbucket_report.report(saved.plan, verdict, title)
        attempt(run, "the Bitbucket report", "Bitbucket", REPORT_FIX, lambda: bitbucket_report.publish(environ, str(run.bundle_target), body))
    api = comment.comments_for(vendor, environ, run.context.pr_number)
    if isinstance(api, str):
        run.out.info(api)
        return
    text = render.markdown(saved.plan, title=heading, verdict=verdict.markdown(), limit=limits.COMMENT_BYTES[vendor] - 200,
                           plan_path=f"{saved.path.name} (job artifacts)", where="a pull-request comment").markdown
    key = f"{run.project_root.resolve().name}/{run.bundle_target}"
    attempt(run, "the pull-request comment", api.vendor, comment.TOKEN_FIX[api.vendor], lambda: comment.publish(api, key, text))


def attempt(run: StepRun, what: str, service: str, fix: str, action: Callable[[], str], *, kept: str = "the plan") -> None:
    """A courtesy next to the summary: a failure is a warning naming the answer, never the step's exit code
    (`kept`: what the job summary still has)."""
    import requests

    try:
        run.out.info(action())
    except requests.HTTPError as error:
        status = error.response.status_code if error.response is not None else "?"
        run.out.warning(f"{what} was not posted: {service} answered HTTP {status} ({fix}); the job summary has {kept}", title=what)
    except requests.RequestException as error:
        run.out.warning(f"{what} was not posted: {type(error).__name__} reaching {service}; the job summary has {kept}", title=what)
