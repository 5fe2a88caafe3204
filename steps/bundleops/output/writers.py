"""One writer per CI system, all with the same methods, so steps never test which CI they are on.

| feature        | GitHub                 | Azure                      | GitLab            | Jenkins / Bitbucket / local |
|----------------|------------------------|----------------------------|-------------------|-----------------------------|
| log group      | ::group::              | ##[group]                  | section_start     | plain heading               |
| runtime mask   | ::add-mask::           | ##vso[task.setsecret]      | none (redaction)  | none (redaction)            |
| annotation     | ::error file=,line=::  | ##vso[task.logissue]       | ERROR: prefix     | ERROR: prefix               |
| step output    | $GITHUB_OUTPUT         | ##vso[task.setvariable]    | dotenv file       | dotenv file                 |
| job summary    | $GITHUB_STEP_SUMMARY   | ##vso[task.uploadsummary]  | Markdown file     | Markdown file               |

The dotenv and Markdown files live in the report folder (`BUNDLEOPS_REPORT_DIR`, default
`test-results/`), where every template already collects artifacts; every file is written
through the redaction (`write_redacted`).

Values bundleops did not write itself (a branch name, an author, a test's failure message) can
hold a newline followed by a command. So every plain line is made inert for the CI that reads it:
- GitHub runs `::command::` at the start of a line (after spaces) and the legacy `##[command]`
  anywhere in a line (actions/runner ActionCommand.TryParseV2 / TryParse). Text that would
  parse is printed between `::stop-commands::<random token>` and `::<token>::`, GitHub's own way
  to log text verbatim; command data and properties are %-escaped (%25, %0D, %0A; `:` and `,`
  in properties).
- Azure runs `##vso[` anywhere in a line and formats `##[`: both become `**vso[` / `**[`, as the
  agent's own neutraliser does; command data and properties are escaped (%AZP25, %0D, %0A; `;`
  and `]` in properties).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sys
import time
import uuid
from pathlib import Path
from typing import Iterator, Mapping

from bundleops.context.vendor import detect_vendor
from bundleops.output.redact import redact, register_secret, unredacted_stdout, write_redacted

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
        self._print_inert(message)

    def _print_inert(self, text: str) -> None:
        """Print text the CI must show, never run: plain text here, where no CI parses the log."""
        print(text, flush=True)

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
    # True where outputs have a small fixed budget, so values that grow with the repository stay out.
    bounded_outputs = False

    def set_output(self, name: str, value: str) -> None:
        """A value later steps or jobs can read; a dotenv file where the CI has no native way."""
        _check_output_name(name)
        write_redacted(report_dir(self.environ) / OUTPUTS_FILE, f"{name}={_single_line(value)}\n", append=True)

    def summary(self, markdown: str) -> None:
        """Append Markdown to the job summary (a file in the report folder where the CI has none)."""
        write_redacted(report_dir(self.environ) / SUMMARY_FILE, markdown.rstrip("\n") + "\n\n", append=True)


class GitHubWriter(CIWriter):
    """GitHub Actions workflow commands (docs: 'Workflow commands for GitHub Actions')."""

    vendor = "github"

    def _print_inert(self, text: str) -> None:
        if not _github_would_parse(text):
            return super()._print_inert(text)
        token = f"bundleops_{uuid.uuid4().hex}"
        print(f"::stop-commands::{token}\n{text}\n::{token}::", flush=True)

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
        write_redacted(Path(target), f"{name}<<{delimiter}\n{value}\n{delimiter}\n", append=True)

    def summary(self, markdown: str) -> None:
        target = self.environ.get("GITHUB_STEP_SUMMARY")
        if not target:
            return super().summary(markdown)
        write_redacted(Path(target), markdown.rstrip("\n") + "\n\n", append=True)


class AzureWriter(CIWriter):
    """Azure Pipelines logging commands (docs: 'Logging commands')."""

    vendor = "azure"

    def _print_inert(self, text: str) -> None:
        super()._print_inert(_azure_inert(text))

    def error(self, message: str, *, file: str | None = None, line: int | None = None, title: str | None = None) -> None:
        print(_azure_issue("error", message, file, line), flush=True)

    def warning(self, message: str, *, file: str | None = None, line: int | None = None, title: str | None = None) -> None:
        print(_azure_issue("warning", message, file, line), flush=True)

    def _start_group(self, title: str) -> None:
        print(f"##[group]{_azure_data(_azure_inert(title))}", flush=True)

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
    # A dotenv report holds at most 5 KB and 20 variables on some GitLab plans (docs: "Pass dotenv
    # variables to specific jobs"; instance limits dotenv_size, dotenv_variables): no room for a
    # list that grows with the repository.
    bounded_outputs = True

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


def inert_json(value: object) -> str:
    """JSON for the log that no CI reads as a command: `#` of `##` as `\\u0023`, the same JSON value.

    Indented JSON never starts a line with `::`, and a newline inside a string is `\\n`; `##` can
    only occur inside strings, where `\\u0023` decodes back to `#`.
    """
    return json.dumps(value, indent=2).replace("##", "#\\u0023")


_GITHUB_COMMAND_LINE = re.compile(r"^\s*::|##\[", re.MULTILINE)


def _github_would_parse(text: str) -> bool:
    """A line the runner would take for a command: `::` after leading white space (.NET TrimStart), or `##[` anywhere."""
    return bool(_GITHUB_COMMAND_LINE.search(re.sub(r"\r\n?|[\x0b\x0c\x1c-\x1e\x85\u2028\u2029]", "\n", text)))


_AZURE_COMMAND = re.compile(r"##(vso\[|\[)", re.IGNORECASE)


def _azure_inert(text: str) -> str:
    """`##vso[` and `##[` anywhere become `**vso[` / `**[` (the agent's own neutraliser does the same)."""
    return _AZURE_COMMAND.sub(lambda match: "**" + match.group(1), text)


def _github_data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _github_property(value: str) -> str:
    return _github_data(value).replace(":", "%3A").replace(",", "%2C")


def _github_command(kind: str, message: str, *, file: str | None, line: int | None, title: str | None) -> str:
    """An annotation; message and properties are redacted before escaping, which would hide a secret from the stream filter."""
    props = [f"{key}={_github_property(redact(str(val)))}" for key, val in (("file", file), ("line", line), ("title", title)) if val]
    data = _github_data(redact(message))
    return f"::{kind} {','.join(props)}::{data}" if props else f"::{kind}::{data}"


def _azure_data(value: str) -> str:
    return value.replace("%", "%AZP25").replace("\r", "%0D").replace("\n", "%0A")


def _azure_issue(kind: str, message: str, file: str | None, line: int | None) -> str:
    """An issue; message and path are redacted and made inert before escaping (see _github_command)."""
    props = [f"type={kind}"]
    if file:
        props.append(f"sourcepath={_azure_data(_azure_inert(redact(file))).replace(';', '%3B').replace(']', '%5D')}")
    if line:
        props.append(f"linenumber={line}")
    return f"##vso[task.logissue {';'.join(props)}]{_azure_data(_azure_inert(redact(message)))}"
