"""The `databricks` CLI, as the validate, deploy and test steps call it.

The CLI is found on PATH, or at DATABRICKS_CLI_PATH, and must be at least MIN_VERSION. Its
stderr (progress and diagnostics) is streamed to the log line by line through the redaction
filter and kept for the caller to read; stdout (JSON with `-o json`) is captured. The CLI
exits 0 or 1 for every outcome, so the caller reads stderr to tell a held lock from a bad
configuration. Every call is supervised (bundleops.supervise): bounded by a time limit, and
stopped with SIGTERM when the step is cancelled; the result says which of the two ended it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import threading
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Mapping, Sequence

from bundleops.auth.policy import check_auth_type
from bundleops.deployments import naming
from bundleops.deployments.naming import Deployment
from bundleops.errors import BundleopsError, ExitCode
from bundleops.output import redact
from bundleops.step import StepRun, check_bundle_target
from bundleops.supervise import STOP_GRACE_SECONDS, supervise

CLI_PATH_ENV = "DATABRICKS_CLI_PATH"
MIN_VERSION = (1, 0, 0)
# What a `validate` or `summary` child gets beyond auth.retry_timeout_seconds: start-up and loading the bundle.
STARTUP_SECONDS = 30
READ_LIMIT_FIX = (
    "the workspace may be unavailable (check its status page and the CLI's output above), or databricks.yml may be too "
    "large to resolve (YAML aliases nested into millions of nodes); the limit is auth.retry_timeout_seconds + "
    f"{STARTUP_SECONDS} s in bundleops.yml"
)
INSTALL_HINT = (
    "install the Databricks CLI >= {minimum}: `curl -fsSL https://raw.githubusercontent.com/databricks/setup-cli/main/install.sh | sh` "
    "(GitHub Actions: `uses: databricks/setup-cli@main`), or set DATABRICKS_CLI_PATH to its executable"
)


@dataclass(frozen=True)
class CliResult:
    returncode: int
    stdout: str
    stderr: str
    command: str = "databricks bundle"
    # Set when the time limit (seconds) or a signal to bundleops stopped the CLI.
    timed_out_after: float | None = None
    signal_name: str | None = None

    @property
    def stopped(self) -> bool:
        """bundleops ended the CLI: a signal to the step, or the time limit."""
        return self.signal_name is not None or self.timed_out_after is not None

    def stop_error(self, limit_fix: str) -> BundleopsError | None:
        """The named error when the CLI did not end by itself: cancelled, or stopped at its time limit."""
        if self.signal_name:
            return BundleopsError(
                f"cancelled by {self.signal_name}: `{self.command}` was stopped (SIGTERM) and has ended",
                fix="nothing to fix if the CI job was cancelled on purpose; otherwise re-run it", code=ExitCode.EXTERNAL_FAILURE,
            )
        if self.timed_out_after is not None:
            return BundleopsError(
                f"`{self.command}` did not finish within {self.timed_out_after:.0f} s and was stopped", fix=limit_fix, code=ExitCode.EXTERNAL_FAILURE,
            )
        return None

    def raise_if_stopped(self) -> None:
        """For `validate` and `summary`, whose time limit comes from auth.retry_timeout_seconds."""
        error = self.stop_error(READ_LIMIT_FIX)
        if error:
            raise error


@dataclass(frozen=True)
class DatabricksCli:
    path: str
    version: tuple[int, ...]
    # Seconds a `validate` or `summary` may take (for_step sets it from auth.retry_timeout_seconds).
    time_limit: float = 300 + STARTUP_SECONDS
    # `NAME=VALUE` given as `--var` to every bundle command: a pull request's own deployment (deployments.naming).
    variables: tuple[str, ...] = ()

    @property
    def version_text(self) -> str:
        return ".".join(map(str, self.version))

    def bundle(self, args: Sequence[str], project_root: Path, *, time_limit: float | None = None) -> CliResult:
        """`databricks bundle <args>` in the project folder, supervised; stderr streamed to our log."""
        limit = self.time_limit if time_limit is None else time_limit
        stdout: list[str] = []
        stderr: list[str] = []
        readers: list[threading.Thread] = []

        def start() -> subprocess.Popen[str]:
            process = subprocess.Popen(
                [self.path, "bundle", *args, *self.variable_flags()], cwd=project_root,
                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, errors="replace",
            )
            readers.extend((threading.Thread(target=_stream, args=(process.stderr, stderr), daemon=True),
                            threading.Thread(target=_collect, args=(process.stdout, stdout), daemon=True)))
            for reader in readers:
                reader.start()
            return process

        ending = supervise(start, limit)
        for reader in readers:  # bounded: a grandchild the CLI started may still hold the pipes open
            reader.join(timeout=STOP_GRACE_SECONDS)
        return CliResult(ending.returncode, "".join(stdout), "".join(stderr), command=f"databricks bundle {' '.join(args)}",
                         timed_out_after=limit if ending.timed_out else None, signal_name=ending.signal_name)

    def variable_flags(self) -> list[str]:
        return [flag for assignment in self.variables for flag in ("--var", assignment)]

    def summary(self, project_root: Path, target: str) -> dict[str, Any]:
        """`bundle summary -o json`: the resolved bundle with the ids of deployed resources."""
        return json.loads(self.json_output(["summary", "-o", "json", "-t", target], project_root, target))

    def json_output(self, args: Sequence[str], project_root: Path, target: str) -> str:
        """The JSON a read-only `bundle <args> -o json` prints (summary, plan): exit 2 when the bundle is at fault, 3 otherwise."""
        result = self.bundle(args, project_root)
        result.raise_if_stopped()
        command = f"bundle {args[0]} -t {target}"
        if result.returncode != 0:
            if self.rejects_configuration(project_root, target):
                raise configuration_error(command, result.stderr)
            raise BundleopsError(f"`databricks {command}` failed (exit {result.returncode}; its diagnostics are above)", fix="fix what the CLI reported", code=ExitCode.EXTERNAL_FAILURE)
        try:
            json.loads(result.stdout)
        except ValueError as error:
            raise BundleopsError(f"`databricks bundle {args[0]} -o json` printed no JSON: {error}", fix="check the CLI version", code=ExitCode.EXTERNAL_FAILURE) from error
        return result.stdout

    def rejects_configuration(self, project_root: Path, target: str) -> bool:
        """Whether the bundle, not the workspace, is at fault: the CLI exits 1 for every failure, but
        `validate -o json` still prints the configuration when only the configuration is wrong."""
        result = subprocess.run([self.path, "bundle", "validate", "-o", "json", "-t", target, *self.variable_flags()], cwd=project_root, stdin=subprocess.DEVNULL,
                                capture_output=True, text=True, errors="replace", check=False)
        return result.returncode != 0 and result.stdout.lstrip().startswith("{")


def cli_errors(stderr: str) -> list[str]:
    """The summaries of the CLI's `Error:` diagnostics, each with the first place it names
    (`  in databricks.yml:6:3` below it) in brackets, so the message says where to look."""
    errors: list[str] = []
    located = True
    for line in stderr.splitlines():
        if line.startswith("Error: "):
            errors.append(line.removeprefix("Error: ").strip())
            located = False
        elif line.startswith(("Warning: ", "Recommendation: ")) or not line.strip():
            located = True
        elif not located and line.startswith("  in "):
            errors[-1] += f" ({line.removeprefix('  in ').strip()})"
            located = True
    return errors


def configuration_error(command: str, stderr: str) -> BundleopsError:
    """Exit 2 quoting the CLI's own `Error:` lines (e.g. `cycle detected in field resolution: ...`)."""
    errors = cli_errors(stderr)
    return BundleopsError(
        f"`databricks {command}` rejected the bundle configuration: " + ("; ".join(errors) or "see its diagnostics above"),
        fix="correct databricks.yml (or the file the CLI names) as the CLI says, then run `bundleops validate` again",
    )


def _stream(pipe: object, lines: list[str]) -> None:
    for line in pipe:  # type: ignore[attr-defined]
        lines.append(line)
        sys.stdout.write(redact(line))
        sys.stdout.flush()


def _collect(pipe: object, chunks: list[str]) -> None:
    chunks.append(pipe.read())  # type: ignore[attr-defined]


def locate(environ: Mapping[str, str] | None = None) -> DatabricksCli:
    """The CLI to use, with its version checked; a clear error with the install command otherwise."""
    environ = os.environ if environ is None else environ
    minimum = ".".join(map(str, MIN_VERSION))
    configured = environ.get(CLI_PATH_ENV)
    path = configured or shutil.which("databricks", path=environ.get("PATH"))
    if not path or not os.access(path, os.X_OK):
        where = f"{CLI_PATH_ENV}={configured} is not an executable" if configured else "no `databricks` on PATH"
        raise BundleopsError(f"the Databricks CLI was not found ({where})", fix=INSTALL_HINT.format(minimum=minimum))
    try:
        output = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=60, check=False).stdout
    except OSError as error:
        raise BundleopsError(f"cannot run the Databricks CLI at {path}: {error}", fix=INSTALL_HINT.format(minimum=minimum)) from error
    match = re.search(r"v?(\d+)\.(\d+)\.(\d+)", output)
    if not match:
        raise BundleopsError(f"{path} --version printed no version ({output.strip()!r}); is it the legacy PyPI databricks-cli?", fix=INSTALL_HINT.format(minimum=minimum))
    version = tuple(int(part) for part in match.groups())
    if version < MIN_VERSION:
        raise BundleopsError(f"the Databricks CLI at {path} is {'.'.join(map(str, version))}; bundleops needs >= {minimum}", fix=INSTALL_HINT.format(minimum=minimum))
    return DatabricksCli(path, version)


def for_step(run: StepRun) -> DatabricksCli:
    """The CLI for a step that acts on a workspace, once its target is in the bundle and the credentials it would use are allowed and work.

    With DATABRICKS_HOST set (every bundleops template sets it), the credentials are tried with
    databricks-sdk first: a wrong secret is then exit 2 and an unavailable workspace exit 3, where
    the CLI would fail both with exit 1 and text to guess from. Without it, the host is the
    bundle's own and only the CLI can resolve it.
    """
    from bundleops.auth.client import verify_environment

    check_bundle_target(run)
    deployment = run_deployment(run)
    check_auth_type(run.context, run.target, run.config, os.environ)
    verify_environment(retry_timeout_seconds=run.config.auth.retry_timeout_seconds)
    variables = deployment.cli_variables() if deployment else ()
    return replace(locate(), time_limit=run.config.auth.retry_timeout_seconds + STARTUP_SECONDS, variables=variables)


def run_deployment(run: StepRun) -> Deployment | None:
    """The pull request's own deployment this step acts on (None: the target's shared one), its variables declared."""
    deployment = naming.for_context(run.context, run.target, run.config)
    if deployment is None:
        return None
    naming.require_declared(run.project_root, deployment)
    return Deployment(deployment)

