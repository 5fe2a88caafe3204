"""The `databricks` CLI, as the validate, deploy and test steps call it.

The CLI is found on PATH, or at DATABRICKS_CLI_PATH, and must be at least MIN_VERSION. Its
stderr (progress and diagnostics) is streamed to the log line by line through the redaction
filter and kept for the caller to read; stdout (JSON with `-o json`) is captured. The CLI
exits 0 or 1 for every outcome, so the caller reads stderr to tell a held lock from a bad
configuration.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

from bundleops.auth.policy import check_auth_type
from bundleops.errors import BundleopsError, ExitCode
from bundleops.output import redact
from bundleops.step import StepRun, check_bundle_target

CLI_PATH_ENV = "DATABRICKS_CLI_PATH"
MIN_VERSION = (1, 0, 0)
INSTALL_HINT = (
    "install the Databricks CLI >= {minimum}: `curl -fsSL https://raw.githubusercontent.com/databricks/setup-cli/main/install.sh | sh` "
    "(GitHub Actions: `uses: databricks/setup-cli@main`), or set DATABRICKS_CLI_PATH to its executable"
)


@dataclass(frozen=True)
class CliResult:
    returncode: int
    stdout: str
    stderr: str


@dataclass(frozen=True)
class DatabricksCli:
    path: str
    version: tuple[int, ...]

    @property
    def version_text(self) -> str:
        return ".".join(map(str, self.version))

    def bundle(self, args: Sequence[str], project_root: Path) -> CliResult:
        """`databricks bundle <args>` in the project folder; stderr streamed to our log."""
        process = subprocess.Popen(
            [self.path, "bundle", *args], cwd=project_root,
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, errors="replace",
        )
        stderr_lines: list[str] = []
        streamer = threading.Thread(target=_stream, args=(process.stderr, stderr_lines), daemon=True)
        streamer.start()
        assert process.stdout is not None
        stdout = process.stdout.read()
        process.wait()
        streamer.join()
        return CliResult(process.returncode, stdout, "".join(stderr_lines))

    def summary(self, project_root: Path, target: str) -> dict[str, Any]:
        """`bundle summary -o json`: the resolved bundle with the ids of deployed resources."""
        result = self.bundle(["summary", "-o", "json", "-t", target], project_root)
        if result.returncode != 0:
            if self.rejects_configuration(project_root, target):
                raise configuration_error(f"bundle summary -t {target}", result.stderr)
            raise BundleopsError(f"`databricks bundle summary -t {target}` failed (exit {result.returncode}; its diagnostics are above)", fix="fix what the CLI reported", code=ExitCode.EXTERNAL_FAILURE)
        try:
            return json.loads(result.stdout)
        except ValueError as error:
            raise BundleopsError(f"`databricks bundle summary -o json` printed no JSON: {error}", fix="check the CLI version", code=ExitCode.EXTERNAL_FAILURE) from error

    def rejects_configuration(self, project_root: Path, target: str) -> bool:
        """Whether the bundle, not the workspace, is at fault: the CLI exits 1 for every failure, but
        `validate -o json` still prints the configuration when only the configuration is wrong."""
        result = subprocess.run([self.path, "bundle", "validate", "-o", "json", "-t", target], cwd=project_root, stdin=subprocess.DEVNULL,
                                capture_output=True, text=True, errors="replace", check=False)
        return result.returncode != 0 and result.stdout.lstrip().startswith("{")


def configuration_error(command: str, stderr: str) -> BundleopsError:
    """Exit 2 quoting the CLI's own `Error:` lines (e.g. `cycle detected in field resolution: ...`)."""
    errors = [line.removeprefix("Error: ").strip() for line in stderr.splitlines() if line.startswith("Error: ")]
    return BundleopsError(
        f"`databricks {command}` rejected the bundle configuration: " + ("; ".join(errors) or "see its diagnostics above"),
        fix="correct databricks.yml (or the file the CLI names) as the CLI says, then run `bundleops validate` again",
    )


def _stream(pipe: object, lines: list[str]) -> None:
    for line in pipe:  # type: ignore[attr-defined]
        lines.append(line)
        sys.stdout.write(redact(line))
        sys.stdout.flush()


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
    """The CLI for a step that acts on a workspace, once its target is in the bundle and its credentials are allowed."""
    check_bundle_target(run)
    check_auth_type(run.context, run.target, run.config, os.environ)
    return locate()

