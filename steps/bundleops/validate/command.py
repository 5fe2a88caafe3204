"""`bundleops validate --target T`: `databricks bundle validate -o json` plus the promotion policy."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from bundleops import step
from bundleops.errors import ExitCode
from bundleops.output import markdown as md

NAME = "validate"
HELP = "databricks bundle validate + policy checks (mode, run_as, personal paths, test job, permissions)"
DESCRIPTION = (
    "Runs `databricks bundle validate -t T -o json` (the CLI from PATH or DATABRICKS_CLI_PATH, >= 1.0.0)\n"
    "and checks the resolved configuration: staging and prod use `mode: production` and run as a service\n"
    "principal, no path points into a person's folder, the integration-test job exists where the plan runs\n"
    "tests, the jobs carry permissions, and on dev and staging each deployment writes its own schema\n"
    "(${resources.schemas.<key>.name}, never a literal schema). One finding per key written, at its file and line.\n"
    "The CLI is stopped after auth.retry_timeout_seconds + 30 s, and when the step is cancelled.\n"
    "Exit codes: 0 valid, 1 a policy check found a problem, 2 the CLI rejected the configuration (its\n"
    "message is quoted), no usable CLI, a bad host or wrong credentials, 3 the workspace stayed\n"
    "unavailable, or the CLI was stopped (time limit, cancel)."
)
EXAMPLE = "bundleops validate --target staging --project-root steps/bundleops/shipped/examples/orders_pipeline"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    step.add_target_argument(parser)


def run(args: argparse.Namespace) -> int:
    from bundleops import bundle_cli
    from bundleops.auth.policy import Identity, check_identity
    from bundleops.validate import policy

    with step.begin(NAME, args) as run:
        cli = bundle_cli.for_step(run)
        root = run.project_root.resolve()
        result = cli.bundle(["validate", "-o", "json", "-t", run.bundle_target], root)
        result.raise_if_stopped()
        try:
            resolved = json.loads(result.stdout)
        except ValueError:
            run.out.error(f"`databricks bundle validate -t {run.bundle_target}` could not resolve the bundle (its diagnostics are above)", title="bundle validate")
            return int(ExitCode.CHECK_FAILED)
        check_identity(Identity.of_bundle(resolved), run.target, run.config)
        findings = policy.check(resolved, run.target_ref, root, run.config)
        for finding in findings:
            run.out.error(f"{finding.key}: {finding.message}", file=_in_repository(root, finding.file), line=finding.line, title="bundle policy")
        run.out.summary(summary_markdown(run.target_label, resolved, result.returncode, len(findings)))
        if result.returncode != 0:
            raise bundle_cli.configuration_error(f"bundle validate -t {run.bundle_target}", result.stderr)
        if not findings:
            run.out.info(f"bundle {resolved['bundle']['name']} is valid for {run.target_label} (databricks CLI {cli.version_text})")
        return int(ExitCode.CHECK_FAILED if findings else ExitCode.OK)


def _in_repository(root: Path, file: str) -> str:
    """Annotations are placed by repository path; the project may sit in a sub-folder."""
    try:
        return (root / file).relative_to(Path.cwd()).as_posix()
    except ValueError:
        return file


def summary_markdown(target: str, resolved: dict, cli_code: int, findings: int) -> str:
    jobs = ", ".join(md.code(key) for key in sorted((resolved.get("resources") or {}).get("jobs") or {})) or "none"
    verdict = "valid" if cli_code == 0 and not findings else f"**invalid** (CLI exit {cli_code}, {findings} policy finding(s))"
    return f"### bundleops validate: {md.code(target)}\n\nBundle {md.code(str(resolved.get('bundle', {}).get('name')))} is {verdict}. Jobs: {jobs}.\n"
