"""One writer per CI system, all with the same methods, so steps never test which CI they are on.

| feature        | GitHub                 | Azure                      | GitLab            | Jenkins / Bitbucket / local |
|----------------|------------------------|----------------------------|-------------------|-----------------------------|
| log group      | ::group::              | ##[group]                  | section_start     | plain heading               |
| runtime mask   | ::add-mask::           | ##vso[task.setsecret]      | none (redaction)  | none (redaction)            |
| annotation     | ::error file=,line=::  | ##vso[task.logissue]       | ERROR: prefix     | ERROR: prefix               |
| step output    | $GITHUB_OUTPUT         | ##vso[task.setvariable]    | dotenv file       | dotenv file                 |
| job summary    | $GITHUB_STEP_SUMMARY   | ##vso[task.uploadsummary]  | Markdown file     | Markdown file               |

The dotenv and Markdown files live in the report folder (`BUNDLEOPS_REPORT_DIR`, default
`test-results/`), where every template already collects artifacts.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import time
import uuid
from pathlib import Path
from typing import Iterator, Mapping

from bundleops.context.vendor import detect_vendor
from bundleops.output.redact import redact, register_secret, unredacted_stdout

REPORT_DIR_ENV = "BUNDLEOPS_REPORT_DIR"
DEFAULT_REPORT_DIR = "test-results"
OUTPUTS_FILE = "bundleops.env"
SUMMARY_FILE = "bundleops-summary.md"


def report_dir(environ: Mapping[str, str] | None = None) -> Path:
    environ = os.environ if environ is None else environ
    return Path(environ.get(REPORT_DIR_ENV) or DEFAULT_REPORT_DIR)


class CIWriter:
    """Plain, readable text: a developer's shell, and the CI systems without logging commands."""

    vendor = "local"

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self.environ = os.environ if environ is None else environ

    # -- plain lines -------------------------------------------------------------------------
    def info(self, message: str) -> None:
        print(message, flush=True)

    def error(self, message: str, *, file: str | None = None, line: int | None = None, title: str | None = None) -> None:
        print(f"ERROR: {self._located(message, file, line)}", file=sys.stderr, flush=True)

    def warning(self, message: str, *, file: str | None = None, line: int | None = None, title: str | None = None) -> None:
        print(f"WARNING: {self._located(message, file, line)}", file=sys.stderr, flush=True)

    @staticmethod
    def _located(message: str, file: str | None, line: int | None) -> str:
        if not file:
            return message
        return f"{file}:{line}: {message}" if line else f"{file}: {message}"

    # -- groups ------------------------------------------------------------------------------
    @contextlib.contextmanager
    def group(self, title: str) -> Iterator[None]:
        self._start_group(title)
        try:
            yield
        finally:
            self._end_group(title)

    def _start_group(self, title: str) -> None:
        print(f"\n== {title}", flush=True)

    def _end_group(self, title: str) -> None:
        sys.stdout.flush()

    # -- masking -----------------------------------------------------------------------------
    def mask(self, value: str | None) -> None:
        """Hide a value from now on: bundleops' own redaction always, the CI's masking where it has one."""
        if not value:
            return
        register_secret(value)
        self._mask_in_ci(value)

    def _mask_in_ci(self, value: str) -> None:
        """No runtime masking here: only bundleops' redaction protects the log."""

    # -- outputs and summary -----------------------------------------------------------------
    def set_output(self, name: str, value: str) -> None:
        """A value later steps or jobs can read; a dotenv file where the CI has no native way."""
        _check_output_name(name)
        path = report_dir(self.environ) / OUTPUTS_FILE
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as handle:
            handle.write(f"{name}={_single_line(value)}\n")

    def summary(self, markdown: str) -> None:
        """Append Markdown to the job summary (a file in the report folder where the CI has none)."""
        path = report_dir(self.environ) / SUMMARY_FILE
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as handle:
            handle.write(redact(markdown).rstrip("\n") + "\n\n")


class GitHubWriter(CIWriter):
    """GitHub Actions workflow commands (docs: 'Workflow commands for GitHub Actions')."""

    vendor = "github"

    def error(self, message: str, *, file: str | None = None, line: int | None = None, title: str | None = None) -> None:
        print(_github_command("error", message, file=file, line=line, title=title), flush=True)

    def warning(self, message: str, *, file: str | None = None, line: int | None = None, title: str | None = None) -> None:
        print(_github_command("warning", message, file=file, line=line, title=title), flush=True)

    def _start_group(self, title: str) -> None:
        print(f"::group::{_github_data(title)}", flush=True)

    def _end_group(self, title: str) -> None:
        print("::endgroup::", flush=True)

    def _mask_in_ci(self, value: str) -> None:
        # Written past the redaction filter: GitHub hides this line itself, and the filter would
        # otherwise turn it into a useless `::add-mask::***`.
        sys.stdout.flush()
        stream = unredacted_stdout()
        stream.write(f"::add-mask::{_github_data(value)}\n")
        stream.flush()

    def set_output(self, name: str, value: str) -> None:
        _check_output_name(name)
        target = self.environ.get("GITHUB_OUTPUT")
        if not target:
            return super().set_output(name, value)
        delimiter = f"bundleops_{uuid.uuid4().hex}"
        with open(target, "a", encoding="utf-8") as handle:
            handle.write(f"{name}<<{delimiter}\n{value}\n{delimiter}\n")

    def summary(self, markdown: str) -> None:
        target = self.environ.get("GITHUB_STEP_SUMMARY")
        if not target:
            return super().summary(markdown)
        with open(target, "a", encoding="utf-8") as handle:
            handle.write(redact(markdown).rstrip("\n") + "\n\n")


class AzureWriter(CIWriter):
    """Azure Pipelines logging commands (docs: 'Logging commands')."""

    vendor = "azure"

    def error(self, message: str, *, file: str | None = None, line: int | None = None, title: str | None = None) -> None:
        print(_azure_issue("error", message, file, line), flush=True)

    def warning(self, message: str, *, file: str | None = None, line: int | None = None, title: str | None = None) -> None:
        print(_azure_issue("warning", message, file, line), flush=True)

    def _start_group(self, title: str) -> None:
        print(f"##[group]{_azure_data(title)}", flush=True)

    def _end_group(self, title: str) -> None:
        print("##[endgroup]", flush=True)

    def _mask_in_ci(self, value: str) -> None:
        sys.stdout.flush()
        stream = unredacted_stdout()
        stream.write(f"##vso[task.setsecret]{_azure_data(value)}\n")
        stream.flush()

    def set_output(self, name: str, value: str) -> None:
        _check_output_name(name)
        print(f"##vso[task.setvariable variable={name};isOutput=true]{_azure_data(value)}", flush=True)

    def summary(self, markdown: str) -> None:
        super().summary(markdown)
        path = (report_dir(self.environ) / SUMMARY_FILE).resolve()
        print(f"##vso[task.uploadsummary]{_azure_data(str(path))}", flush=True)


class GitLabWriter(CIWriter):
    """GitLab collapsible sections (docs: 'Custom collapsible sections'); outputs via a dotenv report."""

    vendor = "gitlab"

    def _start_group(self, title: str) -> None:
        self._section = f"bundleops_{re.sub(r'[^A-Za-z0-9_.-]', '_', title)[:40]}_{uuid.uuid4().hex[:6]}"
        print(f"\x1b[0Ksection_start:{int(time.time())}:{self._section}[collapsed=true]\r\x1b[0K{title}", flush=True)

    def _end_group(self, title: str) -> None:
        print(f"\x1b[0Ksection_end:{int(time.time())}:{self._section}\r\x1b[0K", flush=True)


class JenkinsWriter(CIWriter):
    vendor = "jenkins"


class BitbucketWriter(CIWriter):
    vendor = "bitbucket"


WRITERS: dict[str, type[CIWriter]] = {
    "github": GitHubWriter,
    "azure": AzureWriter,
    "gitlab": GitLabWriter,
    "jenkins": JenkinsWriter,
    "bitbucket": BitbucketWriter,
    "local": CIWriter,
}


def current(environ: Mapping[str, str] | None = None) -> CIWriter:
    """The writer for the CI system this process runs on."""
    environ = os.environ if environ is None else environ
    return WRITERS[detect_vendor(environ)](environ)


def _check_output_name(name: str) -> None:
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        raise ValueError(f"step output name {name!r} must be a letter or _ followed by letters, digits or _")


def _single_line(value: str) -> str:
    return value.replace("\r", " ").replace("\n", " ")


def _github_data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _github_property(value: str) -> str:
    return _github_data(value).replace(":", "%3A").replace(",", "%2C")


def _github_command(kind: str, message: str, *, file: str | None, line: int | None, title: str | None) -> str:
    props = [f"{key}={_github_property(str(val))}" for key, val in (("file", file), ("line", line), ("title", title)) if val]
    return f"::{kind} {','.join(props)}::{_github_data(message)}" if props else f"::{kind}::{_github_data(message)}"


def _azure_data(value: str) -> str:
    return value.replace("%", "%AZP25").replace("\r", "%0D").replace("\n", "%0A")


def _azure_issue(kind: str, message: str, file: str | None, line: int | None) -> str:
    props = [f"type={kind}"]
    if file:
        props.append(f"sourcepath={_azure_data(file).replace(';', '%3B').replace(']', '%5D')}")
    if line:
        props.append(f"linenumber={line}")
    return f"##vso[task.logissue {';'.join(props)}]{_azure_data(message)}"
