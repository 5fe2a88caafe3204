"""`bundleops context`: show what bundleops reads from the CI environment."""

from __future__ import annotations

import argparse

from bundleops.output import current
from bundleops.output.writers import inert_json
from bundleops.step import add_project_argument, load_project

NAME = "context"
HELP = "show the CI system, event, branch, pull request and commit bundleops detected"
DESCRIPTION = (
    "Detect the CI system (GitHub Actions, Azure Pipelines, GitLab CI, Jenkins, Bitbucket Pipelines, "
    "or a local shell) and the event from the environment. Values the CI does not give are null."
)
EXAMPLE = "bundleops context --format json"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_project_argument(parser)
    parser.add_argument("--format", choices=("text", "json"), default="text", help="output format (default: text)")


def run(args: argparse.Namespace) -> int:
    _, context = load_project(args.project_root)
    fields = context.to_dict()
    # Values come from the CI's event (a branch name may hold a newline and a workflow command):
    # printed so that no CI runs them.
    if args.format == "json":
        print(inert_json(fields))
    else:
        width = max(map(len, fields))
        current().info("\n".join(f"{name:<{width}}  {'-' if value is None else value}" for name, value in fields.items()))
    return 0
