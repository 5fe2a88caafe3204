"""What the test run is started with: the job's id, its parameters and an idempotency token.

The token makes a re-sent `run-now` (the SDK retries POSTs on 429/503) return the run already
started instead of starting a second one. It is derived from the CI run, its attempt and the
target, so a retried CI job starts a fresh run, and the report folder is derived from the
token, so the run and the folder always belong together.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from typing import Any, Mapping

from bundleops.context import CIContext
from bundleops.errors import BundleopsError

REPORT_FOLDER = "report_folder"
COMMIT = "commit"
# Variables that change when a CI job is retried (GitHub, Azure, GitLab, Jenkins, Bitbucket).
ATTEMPT_VARIABLES = ("GITHUB_RUN_ATTEMPT", "SYSTEM_JOBATTEMPT", "CI_JOB_ID", "BUILD_NUMBER", "BITBUCKET_STEP_UUID")


def idempotency_token(context: CIContext, target: str, job_id: int, environ: Mapping[str, str] | None = None) -> str:
    environ = os.environ if environ is None else environ
    if not context.run_url:
        return f"bundleops-{uuid.uuid4().hex}"  # a developer's shell: every invocation is a new run
    attempt = "|".join(environ.get(name, "") for name in ATTEMPT_VARIABLES)
    digest = hashlib.sha256(f"{context.vendor}|{context.run_url}|{attempt}|{target}|{job_id}".encode()).hexdigest()
    return f"bundleops-{digest[:40]}"


def job_parameters(settings: Any, context: CIContext, token: str, job_key: str) -> dict[str, str]:
    """`report_folder` (a run-specific folder under the job's default) and `commit`, where the job declares them."""
    declared = {parameter.name: parameter.default or "" for parameter in settings.parameters or []}
    if REPORT_FOLDER not in declared or not declared[REPORT_FOLDER]:
        raise BundleopsError(
            f"job {job_key} declares no `{REPORT_FOLDER}` parameter with a default, so bundleops cannot tell where its reports go",
            fix=f"declare `parameters: [{{name: {REPORT_FOLDER}, default: /Volumes/<catalog>/<schema>/<volume>/{job_key}}}]` (see the bundle template's test job)",
        )
    parameters = {REPORT_FOLDER: f"{declared[REPORT_FOLDER].rstrip('/')}/{token}"}
    if COMMIT in declared:
        parameters[COMMIT] = context.sha or "unknown"
    return parameters
