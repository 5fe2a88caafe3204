"""Keep secret values out of everything bundleops prints, tracebacks and library messages included.

The filter wraps `sys.stdout` and `sys.stderr` once, at start-up, so it also covers logging
handlers, warnings and uncaught exceptions. Child processes write to the file descriptors
directly, so steps pass their output through `redact()` (see `bundleops.process`).
"""

from __future__ import annotations

import atexit
import io
import os
import re
import sys
from typing import TextIO

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


def secret_variable_names(environ: os._Environ[str] | dict[str, str], extra: tuple[str, ...] = ()) -> set[str]:
    """Which environment variable names hold secrets: fixed list, naming convention, project additions."""
    names = {name for name in environ if name in SECRET_VARIABLES or SECRET_NAME_PATTERN.search(name)}
    names.update(n.strip() for n in environ.get(EXTRA_VARIABLES_ENV, "").split(",") if n.strip())
    names.update(environ[p] for p in POINTER_VARIABLES if environ.get(p))
    names.update(extra)
    return names


def register_secret(value: str | None) -> None:
    """Redact this value from now on (e.g. an OAuth token bundleops obtained at run time)."""
    if value and len(value) >= MIN_SECRET_LENGTH:
        _secrets.add(value)


def register_environment(environ: os._Environ[str] | dict[str, str] | None = None, extra: tuple[str, ...] = ()) -> list[str]:
    """Register every secret-bearing variable's value; return the values (for CI runtime masking)."""
    environ = os.environ if environ is None else environ
    values = [environ[name] for name in secret_variable_names(environ, extra) if environ.get(name)]
    for value in values:
        register_secret(value)
    return [v for v in values if len(v) >= MIN_SECRET_LENGTH]


def redact(text: str) -> str:
    """Replace every registered secret in text, longest first so a secret containing another still vanishes whole."""
    for secret in sorted(_secrets, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, MASK)
    return text


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
            text = redact(self._pending)
            held = _secret_prefix_length(text)
            self._target.write(text[: len(text) - held])
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


def _secret_prefix_length(text: str) -> int:
    """Length of the longest end of text that begins some secret (so it may continue in the next write)."""
    longest = 0
    for secret in _secrets:
        for size in range(min(len(secret) - 1, len(text)), longest, -1):
            if text.endswith(secret[:size]):
                longest = size
                break
    return longest


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
