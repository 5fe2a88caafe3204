"""Bitbucket's native summary of a plan: a Code Insights report on the commit, shown in the pull request.

Bitbucket Pipelines has no job summary; a step reaches the reports API through the pipeline's own
authenticating proxy (`http://localhost:29418`, plain `http://api.bitbucket.org`), so no token is
needed. `PUT /2.0/repositories/{repo}/commit/{commit}/reports/{id}` creates or replaces the report
with a fixed id per bundle target, so a re-run replaces it. The report holds the counts as data
(at most 10 items), the CLI's `Plan:` line and the destructive resources as details (at most
2,000 characters), and FAILED when the deploy is held back. The reports API has no deployment
type: `TEST` is the closest of its four (SECURITY, COVERAGE, TEST, BUG).
"""

from __future__ import annotations

import re
from typing import Any, Mapping

from bundleops.output import markdown as md
from bundleops.output.redact import redact_for_file
from bundleops.preview import render
from bundleops.preview.gate import Verdict
from bundleops.preview.plan_json import BundlePlan

PROXY = "http://localhost:29418"
PROXY_ENV = "BUNDLEOPS_BITBUCKET_REPORTS_PROXY"  # tests point it at a loopback stand-in
DETAILS_CHARS = 2000
NEEDED = ("BITBUCKET_REPO_FULL_NAME", "BITBUCKET_COMMIT")  # Bitbucket Pipelines sets both in every step


def report(plan: BundlePlan, verdict: Verdict, title: str) -> dict[str, Any]:
    counts = plan.counts()
    details = render.heading(plan) + (f". Deletes or recreates: {verdict.listing()}." if verdict.destructive else ". Nothing is deleted or recreated.")
    details += " Held back: deploy.auto_approve is not set." if verdict.held else ""
    details = md.visible(details)  # text, on one line: pull-request names cannot reorder or hide it
    return {
        "title": md.visible(title),
        "details": redact_for_file(details if len(details) <= DETAILS_CHARS else details[: DETAILS_CHARS - 1] + "…"),
        "report_type": "TEST",
        "reporter": "bundleops",
        "result": "FAILED" if verdict.held else "PASSED",
        "data": [{"title": name, "type": "NUMBER", "value": counts[key]}
                 for name, key in (("To add", "add"), ("To change", "change"), ("To delete", "delete"), ("Unchanged", "unchanged"))],
    }


def publish(environ: Mapping[str, str], bundle_target: str, body: dict[str, Any]) -> str:
    """PUT the report; returns what was done, for the log. Raises requests' errors."""
    import requests

    report_id = "bundleops-preview-" + re.sub(r"[^A-Za-z0-9-]", "-", bundle_target)
    url = f"http://api.bitbucket.org/2.0/repositories/{environ['BITBUCKET_REPO_FULL_NAME']}/commit/{environ['BITBUCKET_COMMIT']}/reports/{report_id}"
    proxy = environ.get(PROXY_ENV) or PROXY
    requests.put(url, json=body, proxies={"http": proxy}, timeout=(10, 30)).raise_for_status()
    return f"Bitbucket Code Insights report {report_id} written on commit {environ['BITBUCKET_COMMIT'][:12]}"
