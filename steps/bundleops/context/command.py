"""`bundleops context`: show what bundleops reads from the CI environment."""

from __future__ import annotations

import argparse
import json

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
    if args.format == "json":
        print(json.dumps(fields, indent=2))
    else:
        width = max(map(len, fields))
        for name, value in fields.items():
            print(f"{name:<{width}}  {'-' if value is None else value}")
    return 0
