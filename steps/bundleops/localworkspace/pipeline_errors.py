"""Why a pipeline update fails, as the update's error says it.

Kept apart from the modules that import pyspark, so the update process can report a missing
`local` extra (no pyspark) the same way as every other failure.
"""

from __future__ import annotations


class UpdateFailure(Exception):
    """A failure whose message is already what the user reads: the update fails with it as it is."""


class Unsupported(UpdateFailure):
    """A construct the local workspace does not run: the message names it."""

    def __init__(self, construct: str, where: str = "") -> None:
        super().__init__(f"{construct}{f' ({where})' if where else ''} is not supported by the local workspace")


class GraphError(UpdateFailure):
    """The sources do not make a valid graph (a flow into an undefined dataset, a duplicate dataset, a cycle)."""


class ExpectationFailed(UpdateFailure):
    """An `expect_or_fail` rule was violated."""


class FlowFailed(UpdateFailure):
    """A flow's query or write failed (the pipeline's code, Spark): the message names the flow."""


def failure_message(error: BaseException) -> str:
    """What an update's failure says: ours as it is, any other with its type, Spark's without its JVM stack."""
    text = str(error).strip()
    if isinstance(error, UpdateFailure):
        return text
    return f"{type(error).__name__}: {text.split(chr(10) + 'JVM stacktrace:')[0][:2000]}"
