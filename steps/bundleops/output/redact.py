"""Keep secret values out of everything bundleops prints or writes, tracebacks and reports included.

The filter wraps `sys.stdout` and `sys.stderr` once, at start-up, so it also covers logging
handlers, warnings and uncaught exceptions. Child processes write to the file descriptors
directly, so steps pass their output through `redact()` (see `bundleops.child`). Every file
bundleops writes or receives (JUnit, coverage, the deployment record, summaries, outputs) goes
through `write_redacted()` or `redact_file()`: the same rules, plus the XML- and JSON-escaped
forms of each secret, since that is how a value looks inside those files. What counts as a
secret (whole values, pieces, elided forms) is in `bundleops.output.pieces`.
"""

from __future__ import annotations

import atexit
import io
import json
import os
import re
import sys
from pathlib import Path
from typing import TextIO

from bundleops.output.pieces import SecretMatcher

# Variables that always hold a secret, whatever the project says.
SECRET_VARIABLES: frozenset[str] = frozenset(
    {
        "DATABRICKS_CLIENT_SECRET",
        "DATABRICKS_TOKEN",
        "DATABRICKS_PASSWORD",
        "DATABRICKS_OIDC_TOKEN",
        "ARM_CLIENT_SECRET",
        "AZURE_CLIENT_SECRET",
        "SONAR_TOKEN",
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
        "SYSTEM_ACCESSTOKEN",
        "BITBUCKET_STEP_OIDC_TOKEN",
        "CI_JOB_TOKEN",
        "CI_JOB_JWT",
        "CI_JOB_JWT_V2",
        "GITHUB_TOKEN",
    }
)
# Names that look like secrets by convention (e.g. a GitLab `id_tokens:` entry DATABRICKS_ID_TOKEN).
SECRET_NAME_PATTERN = re.compile(r"(SECRET|TOKEN|PASSWORD|PASSWD|PRIVATE_KEY)$|(_|^)(SECRET|PASSWORD)_", re.IGNORECASE)
# Variables whose value names another secret-bearing variable.
POINTER_VARIABLES = ("DATABRICKS_OIDC_TOKEN_ENV",)
# Names a project adds, comma-separated (also settable as `secret_variables:` in bundleops.yml).
EXTRA_VARIABLES_ENV = "BUNDLEOPS_SECRET_VARIABLES"
# Shorter values would redact ordinary words and numbers; no real credential is this short.
MIN_SECRET_LENGTH = 6
MASK = "***"

_secrets: set[str] = set()
_matchers: dict[str, SecretMatcher] = {}  # "console" / "files", rebuilt when a secret is added


def secret_variable_names(environ: os._Environ[str] | dict[str, str], extra: tuple[str, ...] = ()) -> set[str]:
    """Which environment variable names hold secrets: fixed list, naming convention, project additions."""
    names = {name for name in environ if name in SECRET_VARIABLES or SECRET_NAME_PATTERN.search(name)}
    names.update(n.strip() for n in environ.get(EXTRA_VARIABLES_ENV, "").split(",") if n.strip())
    names.update(environ[p] for p in POINTER_VARIABLES if environ.get(p))
    names.update(extra)
    return names


def register_secret(value: str | None) -> None:
    """Redact this value from now on (e.g. an OAuth token bundleops obtained at run time)."""
    if value and len(value) >= MIN_SECRET_LENGTH and value not in _secrets:
        _secrets.add(value)
        _matchers.clear()


def register_environment(environ: os._Environ[str] | dict[str, str] | None = None, extra: tuple[str, ...] = ()) -> list[str]:
    """Register every secret-bearing variable's value; return the values (for CI runtime masking)."""
    environ = os.environ if environ is None else environ
    values = [environ[name] for name in secret_variable_names(environ, extra) if environ.get(name)]
    for value in values:
        register_secret(value)
    return [v for v in values if len(v) >= MIN_SECRET_LENGTH]


def _matcher(kind: str) -> SecretMatcher:
    if kind not in _matchers:
        values = set(_secrets)
        if kind == "files":
            from xml.sax.saxutils import escape  # here: it imports urllib.request, some 20 ms every step would pay at start-up

            values |= {escape(v, {'"': "&quot;", "'": "&apos;"}) for v in _secrets} | {json.dumps(v)[1:-1] for v in _secrets}
        _matchers[kind] = SecretMatcher(values, MASK)
    return _matchers[kind]


def redact(text: str) -> str:
    """Mask every registered secret in text: whole, by a long-enough piece, or around an ellipsis."""
    return _matcher("console").redact(text) if _secrets else text


def redact_for_file(text: str) -> str:
    """As redact(), also catching the XML- and JSON-escaped forms a value takes inside a report."""
    return _matcher("files").redact(text) if _secrets else text


def write_redacted(path: Path, text: str, *, append: bool = False) -> None:
    """Write (or append) text to a report or summary file, secrets masked."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a" if append else "w", encoding="utf-8") as handle:
        handle.write(redact_for_file(text))


def redact_file(path: Path) -> None:
    """Mask secrets in a file another program wrote (pytest's JUnit, a downloaded report), in place."""
    if not _secrets or not path.is_file():
        return
    raw = path.read_bytes()
    text = raw.decode("utf-8", "surrogateescape")
    cleaned = redact_for_file(text)
    if cleaned != text:
        path.write_bytes(cleaned.encode("utf-8", "surrogateescape"))


class RedactingStream(io.TextIOBase):
    """A text stream that redacts before writing to the real stream.

    It buffers up to the last newline, so a secret written in two pieces is still caught.
    """

    def __init__(self, target: TextIO) -> None:
        self._target = target
        self._pending = ""

    @property
    def raw_target(self) -> TextIO:
        return self._target

    def write(self, text: str) -> int:
        self._pending += text
        head, sep, tail = self._pending.rpartition("\n")
        if sep:
            self._target.write(redact(head + sep))
            self._pending = tail
        return len(text)

    def flush(self) -> None:
        """Write what is safe: a tail that could be the start of a secret waits for the next write."""
        if self._pending:
            text = self._pending
            held = _matcher("console").held_tail(text) if _secrets else 0
            self._target.write(redact(text[: len(text) - held]))
            self._pending = text[len(text) - held :]
        self._target.flush()

    def close(self) -> None:
        if self._pending:
            self._target.write(redact(self._pending))
            self._pending = ""
        self._target.flush()

    def isatty(self) -> bool:
        return self._target.isatty()

    def fileno(self) -> int:
        return self._target.fileno()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self._target, "encoding", "utf-8")

    def writable(self) -> bool:
        return True


def install_redaction(extra: tuple[str, ...] = ()) -> list[str]:
    """Wrap stdout and stderr (once) and register the environment's secrets; return their values."""
    values = register_environment(extra=extra)
    if not isinstance(sys.stdout, RedactingStream):
        sys.stdout = RedactingStream(sys.stdout)
    if not isinstance(sys.stderr, RedactingStream):
        sys.stderr = RedactingStream(sys.stderr)
    atexit.register(_release_held_text)
    return values


def _release_held_text() -> None:
    """At exit, a held tail is not a secret after all: write it."""
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, RedactingStream):
            stream.close()


def unredacted_stdout() -> TextIO:
    """The real stdout, for the one line that must carry a secret: the CI's own masking command."""
    stream = sys.stdout
    return stream.raw_target if isinstance(stream, RedactingStream) else stream
