"""`bundleops plan`: which bundles this CI run plans, and for each the target and steps it gets, and why."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys

from bundleops import config as project_config
from bundleops.config import ROLES
from bundleops.context.detect import observe
from bundleops.output import CIWriter, current
from bundleops.output.redact import register_environment
from bundleops.output.writers import inert_json
from bundleops.plan.planner import Plan
from bundleops.plan.repository import RepositoryPlan, matrix_leg, plan_repository
from bundleops.plan.rules import STEP_NAMES
from bundleops.step import add_project_argument

NAME = "plan"
HELP = "show the bundles this CI run plans, and the target, the steps and the approval each gets from the promotion rules"
DESCRIPTION = (
    "Find the bundles under the project root (or its bundleops.yml `bundles:`), select the ones this pull request "
    "or push changed (docs/monorepo.md), and apply the promotion table (defaults, or `rules:` in bundleops.yml) "
    "to the detected CI context. Vendor templates run exactly the steps listed here."
)
EXAMPLE = "bundleops plan --format json"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_project_argument(parser)
    parser.add_argument("--format", choices=("text", "json"), default="text", help="output format (default: text)")
    parser.add_argument("--all", action="store_true", help="select every bundle of the repository, changed or not")
    parser.add_argument(
        "--outputs",
        action="store_true",
        help="also publish the plan as step outputs for the template (target, steps, requires_approval, deployment, run_<step>)",
    )


def run(args: argparse.Namespace) -> int:
    config = project_config.load(args.project_root)
    register_environment(extra=tuple(config.secret_variables))
    repository = plan_repository(args.project_root, config, observe(cwd=args.project_root), select_all=args.all)
    for bundle in repository.bundles:
        register_environment(extra=tuple(bundle.config.secret_variables))
    out = current()
    if repository.changes is not None and repository.changes.warning:
        # JSON owns stdout; the warning (which GitHub and Azure print there) goes to stderr, and is in the JSON too.
        with contextlib.redirect_stdout(sys.stderr) if args.format == "json" else contextlib.nullcontext():
            out.warning(repository.changes.warning, title="bundleops plan: every bundle")
    if args.outputs:
        publish_outputs(repository.plan, out)
        publish_fan_out(repository, out)
    if args.format == "json":
        print(inert_json(repository.to_dict()))
    else:
        out.info(describe(repository))
    return 0


def describe(repository: RepositoryPlan) -> str:
    plan = repository.plan
    lines = [
        f"target            {plan.target or '-'}",
        f"steps             {' '.join(plan.steps) or '-'}",
        f"requires_approval {str(plan.requires_approval).lower()}",
        f"deployment        {plan.deployment or '-'}",
        f"reason            {plan.reason}",
    ]
    if repository.changes is None:
        return "\n".join(lines)
    lines.append(f"bundles           {len(repository.bundles)} selected, {len(repository.not_selected)} not ({repository.changes.since})")
    lines += [f"  + {b.project_root}: {b.plan.target or '-'} [{' '.join(b.plan.steps) or '-'}]: {b.why}" for b in repository.bundles]
    lines += [f"  - {c.project_root}: {c.why}" for c in repository.not_selected]
    return "\n".join(lines)


def publish_outputs(plan: Plan, out: CIWriter) -> None:
    """The plan as flat strings: every CI's expression language can compare a string to 'true'."""
    out.set_output("target", plan.target or "")
    out.set_output("steps", " ".join(plan.steps))
    out.set_output("requires_approval", str(plan.requires_approval).lower())
    out.set_output("deployment", plan.deployment or "")
    for name in STEP_NAMES:
        out.set_output(f"run_{name}", str(name in plan.steps).lower())


def publish_fan_out(repository: RepositoryPlan, out: CIWriter) -> None:
    """The selected bundles, for the templates that run one job per bundle (docs/monorepo.md):
    `roles` the roles any selected bundle's plan targets (space-separated) and `bundle_count`;
    where outputs have room for lists (not a GitLab dotenv report), `bundles` all of them and
    `<role>_bundles` those whose plan targets the role (a JSON list of {project_root, key, target},
    what a GitHub matrix `include:` takes) and `<role>_matrix` the same as a map from the key made
    a valid Azure leg name (`bundles_orders`) to its fields (what an Azure Pipelines matrix takes)."""
    entries = [{"project_root": b.project_root, "key": b.key, "target": b.plan.target or ""} for b in repository.bundles]
    out.set_output("roles", " ".join(role for role in ROLES if any(entry["target"] == role for entry in entries)))
    out.set_output("bundle_count", str(len(entries)))
    if out.bounded_outputs:
        return
    out.set_output("bundles", json.dumps(entries, separators=(",", ":")))
    for role in ROLES:
        chosen = [entry for entry in entries if entry["target"] == role]
        out.set_output(f"{role}_bundles", json.dumps(chosen, separators=(",", ":")))
        out.set_output(f"{role}_matrix", json.dumps({matrix_leg(entry["key"]): entry for entry in chosen}, separators=(",", ":")))
