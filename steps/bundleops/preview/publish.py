"""Where a plan is shown: the log, the CI's job summary, and the pull request's comment."""

from __future__ import annotations

from typing import Mapping

from bundleops.preview import comment, limits, render
from bundleops.preview.gate import Verdict
from bundleops.preview.planning import SavedPlan
from bundleops.step import StepRun


def show(run: StepRun, saved: SavedPlan, verdict: Verdict, environ: Mapping[str, str]) -> None:
    """Log lines, the summary within the CI's limit, and the comment within the comment's limit."""
    for line in render.text_lines(saved.plan):
        run.out.info(line)
    title = f"bundleops preview: {run.target_label}"
    vendor = run.out.vendor
    summary = render.markdown(saved.plan, title=title, verdict=verdict.markdown(), limit=limits.SUMMARY_BYTES,
                              plan_path=str(saved.path.name), where=limits.SUMMARY_PLACES.get(vendor, "the summary"))
    run.out.summary(summary.markdown)
    api = comment.comments_for(vendor, environ, run.context.pr_number)
    if isinstance(api, str):
        run.out.info(api)
        return
    body = render.markdown(saved.plan, title=title, verdict=verdict.markdown(), limit=limits.COMMENT_BYTES[vendor] - 200,
                           plan_path=f"{saved.path.name} (job artifacts)", where="a pull-request comment")
    _post(run, api, f"{run.project_root.resolve().name}/{run.bundle_target}", body.markdown)


def _post(run: StepRun, api: comment.Comments, key: str, body: str) -> None:
    import requests

    try:
        run.out.info(comment.publish(api, key, body))
    except requests.HTTPError as error:
        status = error.response.status_code if error.response is not None else "?"
        run.out.warning(f"the pull-request comment was not posted: {api.vendor} answered HTTP {status} "
                        f"({comment.TOKEN_FIX[api.vendor]}); the job summary has the plan", title="pull-request comment")
    except requests.RequestException as error:
        run.out.warning(f"the pull-request comment was not posted: {type(error).__name__} reaching the {api.vendor} API; "
                        "the job summary has the plan", title="pull-request comment")
