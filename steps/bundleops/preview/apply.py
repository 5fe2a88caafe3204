"""The deploy's plan: made before the deploy, checked against the reviewed plan when there is one,
gated on destructive changes, and handed to `databricks bundle deploy --plan` where it can be.

`--plan FILE` exists since CLI v0.281.0, older than bundleops' minimum (1.0.0), so every CLI
bundleops accepts has it; it needs the direct engine. With the terraform engine (a plan without
`plan_version`) the CLI cannot apply a saved plan: bundleops says so, checks and prints a fresh
plan, and the CLI plans once more inside its deploy.
"""

from __future__ import annotations

from pathlib import Path

from bundleops.bundle_cli import DatabricksCli
from bundleops.output.writers import report_dir
from bundleops.preview import gate, planning, render, staleness
from bundleops.step import StepRun


def deploy_plan_path(root: Path, bundle_target: str) -> Path:
    return root / report_dir() / f"deploy-plan-{bundle_target}.json"


def plan_for_deploy(run: StepRun, cli: DatabricksCli, root: Path, flags: list[str], reviewed_file: Path | None) -> list[str]:
    """The CLI arguments that apply the checked plan (`--plan FILE`), or none when the CLI must plan itself.

    Raises PlanOutOfDate when the workspace moved on since the reviewed plan, and the gate's error
    (exit 1) when the plan deletes or recreates resources without deploy.auto_approve.
    """
    reviewed = planning.load(reviewed_file) if reviewed_file is not None else None
    fresh = planning.make(cli, root, run.bundle_target, flags, deploy_plan_path(run.project_root.resolve(), run.bundle_target))
    run.out.info(f"the plan of this deploy ({fresh.path}):")
    for line in render.text_lines(fresh.plan):
        run.out.info(f"  {line}")
    if reviewed is not None:
        staleness.check(reviewed, fresh.plan, str(reviewed_file))
        run.out.info(f"the reviewed plan {reviewed_file} still holds: the workspace has not changed since it was made")
    verdict = gate.judge(fresh.plan, run.config.deploy.auto_approve)
    if verdict.held:
        raise verdict.error(run.target_label)
    if verdict.destructive:
        run.out.warning(f"deleting or recreating, as deploy.auto_approve allows: {verdict.listing()}", title="destructive changes")
    if fresh.plan.engine != "direct":
        message = ("`databricks bundle deploy --plan` is not available: it needs the direct engine, and this bundle deploys with "
                   "the terraform engine; the fresh plan above was checked instead and the CLI plans again as it deploys")
        (run.out.warning if reviewed_file else run.out.info)(message)
        return []
    if not fresh.applicable:
        run.out.info("the plan holds a secret value (masked in its file), so the deploy plans again instead of applying the file")
        return []
    return ["--plan", str((reviewed_file or fresh.path).resolve())]
