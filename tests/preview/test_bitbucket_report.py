"""The Bitbucket Code Insights report, through a loopback stand-in of the Pipelines reports proxy."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from bundleops.preview import bitbucket_report, gate, plan_json
from tests.support.pr_comments_standin import PullRequestComments

RECORDED = Path(__file__).resolve().parents[1] / "fidelity" / "recorded" / "plan"
COMMIT = "1" * 40


def test_the_report_holds_counts_and_the_held_back_deletion() -> None:
    plan = plan_json.parse((RECORDED / "mixed.json").read_text(encoding="utf-8"), "mixed")
    body = bitbucket_report.report(plan, gate.judge(plan, auto_approve=False), "bundleops preview: staging")
    assert body["result"] == "FAILED" and body["report_type"] == "TEST"
    assert body["details"] == ("Plan: 0 to add, 2 to change, 1 to delete, 1 unchanged. Deletes or recreates: delete jobs.legacy_export "
                               "(removed from the bundle configuration). Held back: deploy.auto_approve is not set.")
    assert [(item["title"], item["value"]) for item in body["data"]] == [("To add", 0), ("To change", 2), ("To delete", 1), ("Unchanged", 1)]
    assert bitbucket_report.report(plan, gate.judge(plan, auto_approve=True), "t")["result"] == "PASSED"


def test_the_report_goes_through_the_pipelines_proxy_and_is_replaced_on_rerun() -> None:
    standin = PullRequestComments().start()
    try:
        env = {"BITBUCKET_REPO_FULL_NAME": "acme/orders", "BITBUCKET_COMMIT": COMMIT, bitbucket_report.PROXY_ENV: standin.url}
        plan = plan_json.parse((RECORDED / "update.json").read_text(encoding="utf-8"), "update")
        body = bitbucket_report.report(plan, gate.judge(plan, False), "bundleops preview: staging")
        said = bitbucket_report.publish(env, "staging", body)
        assert said == f"Bitbucket Code Insights report bundleops-preview-staging written on commit {COMMIT[:12]}"
        bitbucket_report.publish(env, "staging", {**body, "details": "again"})
        assert standin.reports == {(COMMIT, "bundleops-preview-staging"): {**body, "details": "again"}}
        with pytest.raises(requests.HTTPError):  # straight to the stand-in, not through a proxy: refused like the real proxy would
            requests.put(f"{standin.url}/2.0/repositories/acme/orders/commit/{COMMIT}/reports/x", json=body, timeout=10).raise_for_status()
    finally:
        standin.stop()
