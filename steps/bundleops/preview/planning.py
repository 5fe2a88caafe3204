"""Making a plan with the CLI, and reading one a reviewer approved.

A plan file is written through the redaction (no secret lands in an artifact). When that masked
something, the file no longer says what the CLI would apply, so it is never handed to
`deploy --plan`: `applicable` is False and the deploy plans again.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bundleops.bundle_cli import DatabricksCli
from bundleops.errors import BundleopsError, ExitCode
from bundleops.output.redact import redact_for_file, write_redacted
from bundleops.output.writers import CIWriter
from bundleops.preview import plan_json
from bundleops.preview.plan_json import BundlePlan

PLAN_FILE = "bundle-plan.json"


@dataclass(frozen=True)
class SavedPlan:
    plan: BundlePlan
    path: Path
    applicable: bool  # the file is the CLI's plan as printed (nothing masked)


def make(cli: DatabricksCli, project_root: Path, bundle_target: str, flags: list[str], path: Path) -> SavedPlan:
    """`databricks bundle plan -t T -o json` (with the deploy's `--var` flags), saved to path."""
    text = cli.json_output(["plan", "-o", "json", "-t", bundle_target, *flags], project_root, bundle_target)
    plan = plan_json.parse(text, f"the output of `databricks bundle plan -t {bundle_target} -o json`")
    write_redacted(path, text)
    return SavedPlan(plan, path, applicable=redact_for_file(text) == text)


def make_as_deployed(cli: DatabricksCli, project_root: Path, bundle_target: str, out: CIWriter, path: Path) -> tuple[dict[str, Any], SavedPlan]:
    """The plan a deploy of this checkout would apply: with the deploy's own `--var` flags (bundleops.deploy.same_version,
    from `bundle summary`), so what the deploy sets never shows as a change. Returns the summary too."""
    from bundleops.deploy import same_version

    resolved = cli.summary(project_root, bundle_target)
    return resolved, make(cli, project_root, bundle_target, same_version.prepare(resolved, project_root, out), path)


def load(path: Path) -> BundlePlan:
    """A plan file given on the command line (exit 2 when it is missing or not a plan)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise BundleopsError(f"cannot read the plan file {path}: {error}",
                             fix="pass the plan `bundleops preview` wrote (test-results/bundle-plan.json), kept as an artifact of the preview job",
                             code=ExitCode.BAD_INPUT) from error
    return plan_json.parse(text, f"the plan file {path}", code=ExitCode.BAD_INPUT)
