"""Run a command so that it ends with an exit code and a readable error, secrets redacted.

Shared by the `bundleops` console script and the in-workspace test runner: both turn a
BundleopsError into its exit code and message, but report it differently (a CI annotation in a
pipeline, a plain line in a job task's log), so the caller passes how to report.
"""

from __future__ import annotations

import sys
import traceback
from typing import Callable

from bundleops.errors import BundleopsError, ExitCode
from bundleops.output.redact import install_redaction


def run_guarded(action: Callable[[], int], *, report_error: Callable[[str], None]) -> int:
    """Run `action` with redaction on, turning every failure into an exit code.

    Expected failures (BundleopsError) report their cause and fix; anything else prints its
    traceback (through the redaction filter) and exits 3.
    """
    install_redaction()
    try:
        return action()
    except BrokenPipeError:
        raise  # the caller's closed_pipe handling exits quietly (141), the final flush included
    except BundleopsError as error:
        report_error(str(error))
        return int(error.code)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception:  # noqa: BLE001 - the last line of defence: report, redact, exit 3
        traceback.print_exc()
        report_error("bundleops failed unexpectedly (traceback above); please report it with the log")
        return int(ExitCode.EXTERNAL_FAILURE)
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
