"""A small bundle whose staging target takes pull-request deployments, and the CI variables of a merge request.

The test job's task checks the code deployed with it: `src/shop.py` says which branch it is,
and the task fails unless that is the branch the test expects, so a test job that ran another
pull request's code fails.
"""

from __future__ import annotations

from pathlib import Path

from tests.steps.project import FAKE_TESTS, JOBS, ROOT, shop_project

PR_ROOT = ROOT.replace(
    "include:",
    """variables:
  bundleops_root_suffix: {default: ""}
  bundleops_name_prefix: {default: ""}
  bundleops_trigger_pause_status: {default: ""}
include:""",
).replace(
    "      root_path: /Workspace/Shared/.bundle/${bundle.name}/${bundle.target}\n",
    "      root_path: /Workspace/Shared/.bundle/${bundle.name}/${bundle.target}${var.bundleops_root_suffix}\n"
    "    presets:\n      name_prefix: ${var.bundleops_name_prefix}\n      trigger_pause_status: ${var.bundleops_trigger_pause_status}\n",
)
SHARED_ROOT = "/Workspace/Shared/.bundle/shop/staging"
PR_FOLDER = SHARED_ROOT + "-pull-requests"
# A nightly schedule: a pull request's deployment must have it paused.
SCHEDULED = JOBS + """    shop_nightly:
      name: shop_nightly
      schedule: {quartz_cron_expression: "0 0 2 * * ?", timezone_id: UTC}
      tasks:
        - task_key: main
          spark_python_task: {python_file: ../src/fake_tests.py}
"""
# The fake task, which first checks that the code deployed beside it is the branch's own.
BRANCH_CHECK = '''
import pathlib, sys
expected = sys.argv[4] if len(sys.argv) > 4 else None
deployed = (pathlib.Path(__file__).parent / "shop.py").read_text().strip()
if expected and deployed != f"BRANCH = {expected!r}":
    print(f"test ran code {deployed!r}, expected branch {expected!r}")
    sys.exit(1)
sys.argv = sys.argv[:4]
''' + FAKE_TESTS


def pr_project(folder: Path, branch: str = "main") -> Path:
    """The shop bundle on `branch`: its test job passes only when it runs that branch's code."""
    jobs = SCHEDULED.replace('"BEHAVIOUR"]', f'"pass", "{branch}"]').replace("BEHAVIOUR", "pass")
    return shop_project(folder, changes={
        "databricks.yml": PR_ROOT, "resources/jobs.yml": jobs, "src/fake_tests.py": BRANCH_CHECK, "src/shop.py": f"BRANCH = {branch!r}\n",
    })


def merge_request(number: int, branch: str, *, closed: bool = False) -> dict[str, str]:
    """GitLab's predefined variables of a merge-request pipeline (the stop job's when `closed`)."""
    variables = {
        "GITLAB_CI": "true", "CI_PIPELINE_SOURCE": "merge_request_event", "CI_DEFAULT_BRANCH": "main", "CI_PROJECT_ID": "7",
        "CI_MERGE_REQUEST_IID": str(number), "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME": branch, "CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "main",
        "CI_MERGE_REQUEST_PROJECT_ID": "7", "CI_MERGE_REQUEST_SOURCE_PROJECT_ID": "7", "CI_COMMIT_SHA": f"{number:040d}",
        "CI_PIPELINE_URL": f"http://gitlab.local/shop/-/pipelines/{number}", "GITLAB_USER_LOGIN": "dana",
    }
    if closed:
        variables["CI_ENVIRONMENT_ACTION"] = "stop"
    return variables


def default_branch_push() -> dict[str, str]:
    return {"GITLAB_CI": "true", "CI_PIPELINE_SOURCE": "push", "CI_DEFAULT_BRANCH": "main", "CI_COMMIT_BRANCH": "main",
            "CI_COMMIT_SHA": "9" * 40, "CI_PIPELINE_URL": "http://gitlab.local/shop/-/pipelines/99", "GITLAB_USER_LOGIN": "dana"}
