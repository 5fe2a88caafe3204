"""`bundleops destroy --target staging`: `databricks bundle destroy` of the pull request's own deployment, never a shared one."""

from __future__ import annotations

import argparse

from bundleops import step
from bundleops.deployments import naming
from bundleops.deployments.naming import Deployment
from bundleops.errors import BundleopsError, ExitCode

NAME = "destroy"
HELP = "destroy a pull request's own staging deployment (jobs, files, state); never the shared staging or prod"
DESCRIPTION = (
    "Runs `databricks bundle destroy -t T --auto-approve` with the variables of the pull request's own\n"
    "deployment (pr-<number>, bundleops.yml pull_requests.deployment), after checking that they resolve to\n"
    "its own folder <shared root>-pull-requests/<id>. The deployment comes from the CI context (a pull\n"
    "request, e.g. GitHub's `closed` event or GitLab's environment stop job) or, in a job that is not a\n"
    "pull request's (a scheduled clean-up), from --deployment. It refuses (exit 2) the shared staging, prod\n"
    "and dev, and a pull request naming another pull request's deployment. A deployment that does not\n"
    "exist is not an error: destroying twice is exit 0.\n"
    "Exit codes: 0 destroyed or nothing to destroy, 2 refused or bad configuration, 3 the destroy failed."
)
EXAMPLE = "bundleops destroy --target staging   # in the pull request's closed/stop job"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    step.add_target_argument(parser)
    parser.add_argument(
        "--deployment",
        metavar="ID",
        default=None,
        help="the pull-request deployment to destroy (e.g. pr-42) when the CI context is not that pull request's",
    )


def run(args: argparse.Namespace) -> int:
    from bundleops import bundle_cli
    from bundleops.deployments.teardown import destroy

    with step.begin(NAME, args) as run:
        deployment = chosen_deployment(run, args.deployment)
        naming.require_declared(run.project_root, deployment.id)
        cli = bundle_cli.for_step(run)
        destroy(cli, run.project_root.resolve(), str(run.bundle_target), deployment, run.config.deploy.timeout_minutes * 60, run.out)
    return int(ExitCode.OK)


def chosen_deployment(run: step.StepRun, requested: str | None) -> Deployment:
    """The deployment the guard allows: a pull-request deployment of staging, the context's own when the run is a pull request's."""
    naming.require_role(run.target, run.target_label, NAME)
    own = naming.for_context(run.context, run.target, run.config)
    if requested is None:
        if own is None:
            raise BundleopsError(
                f"this run is not a pull request's ({run.context.describe()}): refusing to destroy the shared {run.target_label}",
                fix="run destroy in the pull request's own pipeline (its closed or stop job), or name the deployment: --deployment pr-<number>",
            )
        return Deployment(own)
    if naming.number_of(run.config, requested) is None:
        example = naming.deployment_id(run.config, 42)
        raise BundleopsError(
            f"--deployment {requested!r} is not a pull-request deployment id (pattern {run.config.pull_requests.deployment!r})",
            fix=f"name a pull request's deployment, for example --deployment {example}",
        )
    if own is not None and requested != own:
        raise BundleopsError(
            f"pull request #{run.context.pr_number} may destroy its own deployment {own!r} only, not {requested!r}",
            fix="run destroy without --deployment in the pull request's pipeline; other pull requests' deployments are removed by `bundleops sweep`",
        )
    return Deployment(requested)
