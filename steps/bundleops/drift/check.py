"""Making the drift check: plan this checkout against the deployed state, read the target's history, classify.

The plan is `databricks bundle plan -t T -o json` with the deploy's own `--var` flags (so values
the deploy sets, like bundleops_version, do not show as changes), saved next to the report. Only
the direct engine's plan says, per field, what the workspace holds now; the terraform engine's
names actions alone, so a terraform-engine bundle is refused with the fix.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bundleops.drift.classify import Drift, classify
from bundleops.drift.report import Subject
from bundleops.errors import BundleopsError, ExitCode
from bundleops.step import StepRun


@dataclass(frozen=True)
class Checked:
    drift: Drift
    subject: Subject
    plan_path: Path


def plan_path(root: Path, bundle_target: str) -> Path:
    from bundleops.output.writers import report_dir

    return root / report_dir() / f"drift-plan-{bundle_target}.json"


def check(run: StepRun, root: Path) -> Checked:
    """Plan (reads only), then compare with the last successful deploy in the target's history."""
    from bundleops import bundle_cli
    from bundleops.auth.client import for_bundle
    from bundleops.history import store
    from bundleops.preview import planning

    bundle_target = str(run.bundle_target)
    cli = bundle_cli.for_step(run)
    resolved, saved = planning.make_as_deployed(cli, root, bundle_target, run.out, plan_path(root, bundle_target))
    if saved.plan.engine != "direct":
        raise BundleopsError(
            f"the plan of {run.target_label} comes from the terraform engine, whose plan does not say what the workspace holds now: drift cannot be read from it",
            fix="deploy the bundle with the direct engine (`bundle: {engine: direct}` in databricks.yml, or DATABRICKS_BUNDLE_ENGINE=direct; "
            "`databricks bundle deployment migrate` moves an existing deployment)",
            code=ExitCode.BAD_INPUT,
        )
    client = for_bundle(resolved, retry_timeout_seconds=run.config.auth.retry_timeout_seconds)
    current = store.current(client, str((resolved.get("workspace") or {}).get("root_path")), out=run.out)
    subject = Subject(
        bundle=str((resolved.get("bundle") or {}).get("name")), target=bundle_target, label=run.target_label, commit=run.context.sha,
        deployed_commit=current.commit if current else None, deployed_at=current.finished_at if current else None, run_url=run.context.run_url,
    )
    return Checked(classify(saved.plan, current.resources if current else None), subject, saved.path)
