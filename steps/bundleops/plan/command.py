"""`bundleops plan`: which target and steps this CI run gets, and why."""

from __future__ import annotations

import argparse

from bundleops.output import CIWriter, current
from bundleops.output.writers import inert_json
from bundleops.plan.planner import Plan, make_plan
from bundleops.plan.rules import STEP_NAMES
from bundleops.step import add_project_argument, load_project

NAME = "plan"
HELP = "show the target, the steps and the approval this CI run gets from the promotion rules"
DESCRIPTION = (
    "Apply the promotion table (defaults, or `rules:` in bundleops.yml) to the detected CI context. "
    "Vendor templates run exactly the steps listed here."
)
EXAMPLE = "bundleops plan --format json"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_project_argument(parser)
    parser.add_argument("--format", choices=("text", "json"), default="text", help="output format (default: text)")
    parser.add_argument(
        "--outputs",
        action="store_true",
        help="also publish the plan as step outputs for the template (target, steps, requires_approval, deployment, run_<step>)",
    )


def run(args: argparse.Namespace) -> int:
    config, context = load_project(args.project_root)
    plan = make_plan(context, config)
    if args.outputs:
        publish_outputs(plan, current())
    if args.format == "json":
        print(inert_json(plan.to_dict()))
    else:
        current().info(
            f"target            {plan.target or '-'}\n"
            f"steps             {' '.join(plan.steps) or '-'}\n"
            f"requires_approval {str(plan.requires_approval).lower()}\n"
            f"deployment        {plan.deployment or '-'}\n"
            f"reason            {plan.reason}"
        )
    return 0


def publish_outputs(plan: Plan, out: CIWriter) -> None:
    """The plan as flat strings: every CI's expression language can compare a string to 'true'."""
    out.set_output("target", plan.target or "")
    out.set_output("steps", " ".join(plan.steps))
    out.set_output("requires_approval", str(plan.requires_approval).lower())
    out.set_output("deployment", plan.deployment or "")
    for name in STEP_NAMES:
        out.set_output(f"run_{name}", str(name in plan.steps).lower())
