"""The exit-code contract shared by every step, and the one error type steps raise.

CI systems and humans read exit codes differently, so the contract is fixed in one place:
0 success; 1 the checked thing failed (tests, policy, quality gate); 2 bad input or
configuration; 3 an external system failed after retries.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    CHECK_FAILED = 1
    BAD_INPUT = 2
    EXTERNAL_FAILURE = 3


class BundleopsError(Exception):
    """An expected failure: it names its cause and the fix, and carries its exit code.

    The CLI prints it as one annotated error line (no traceback), because a traceback tells a
    data engineer nothing about what to change.
    """

    def __init__(self, message: str, *, fix: str | None = None, code: ExitCode = ExitCode.BAD_INPUT) -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix
        self.code = code

    def __str__(self) -> str:
        return f"{self.message}\n  fix: {self.fix}" if self.fix else self.message
