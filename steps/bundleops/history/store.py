"""The history in the workspace: one JSON file per deploy under `<root_path>/bundleops/history/`.

It lives next to the bundle's state (`<root_path>/state/`), in the shared target's own folder, so
the service principal that deploys the target reads and writes it, and nobody needs another
store. One file per deploy (named by its id: finish time, commit, outcome) means an append never
rewrites what another run wrote, so nothing is lost when two runs overlap. The test step adds
its result to the file of the deploy it tested.

databricks-sdk is imported inside the functions (the command modules stay light).
"""

from __future__ import annotations

import io
import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from bundleops.history.entry import SUCCEEDED, HistoryEntry, PostDeployTest

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient

    from bundleops.output.writers import CIWriter

HISTORY_FOLDER = "bundleops/history"
# Entries are read this many at a time (a year of daily deploys is a few hundred files).
READERS = 8


def folder_of(root_path: str) -> str:
    return f"{root_path.rstrip('/')}/{HISTORY_FOLDER}"


@dataclass(frozen=True)
class History:
    """A target's entries, oldest first, and the files that could not be read (named, never dropped silently)."""

    folder: str
    entries: tuple[HistoryEntry, ...]
    unreadable: tuple[str, ...] = ()

    def deployments(self) -> tuple[HistoryEntry, ...]:
        return tuple(entry for entry in self.entries if entry.succeeded)


def append(client: WorkspaceClient, root_path: str, entry: HistoryEntry) -> str:
    """Write the entry as its own file; returns its workspace path."""
    from bundleops.deployments.store import call

    path = f"{folder_of(root_path)}/{entry.id}.json"
    call(lambda: client.workspace.mkdirs(folder_of(root_path)), "workspace/mkdirs", client)
    _upload(client, path, entry.to_dict())
    return path


def add_test_result(client: WorkspaceClient, root_path: str, commit: str | None, result: PostDeployTest) -> str | None:
    """Put the test's result on the last deploy of `commit` (the deploy this test ran after); None when there is none."""
    tested = current(client, root_path, commit=commit) if commit else None
    if tested is None:
        return None
    path = f"{folder_of(root_path)}/{tested.id}.json"
    _upload(client, path, replace(tested, test=result).to_dict())
    return path


def current(client: WorkspaceClient, root_path: str, *, commit: str | None = None, out: CIWriter | None = None) -> HistoryEntry | None:
    """What the target runs now: the last deploy that succeeded (of `commit`, when given). File names are
    entry ids, which sort by finish time and end in the outcome, so only that one file is read, not the
    whole history a deploy would otherwise download each time; an unreadable one is skipped (and said, to `out`)."""
    succeeded = tuple(f"-{outcome}.json" for outcome in SUCCEEDED)
    for path in reversed(_paths(client, folder_of(root_path))):
        name = path.rsplit("/", 1)[-1]
        if not name.endswith(succeeded) or (commit and f"-{commit[:12]}-" not in name):
            continue
        entry = _entry(client, path)
        if entry is None:
            if out is not None:
                warn_unreadable(out, path)
            continue
        if entry.succeeded and (commit is None or entry.commit == commit):
            return entry
    return None


def warn_unreadable(out: CIWriter, path: str) -> None:
    out.warning(f"{path} is not a history entry bundleops can read; it is left out", title="history entry unreadable")


def read(client: WorkspaceClient, root_path: str) -> History:
    """Every entry of the target, oldest first; an absent folder is an empty history."""
    folder = folder_of(root_path)
    paths = _paths(client, folder)
    with ThreadPoolExecutor(max_workers=READERS) as pool:
        entries = list(pool.map(lambda path: _entry(client, path), paths))
    readable = [entry for entry in entries if entry is not None]
    unreadable = tuple(path for path, entry in zip(paths, entries) if entry is None)
    return History(folder, tuple(sorted(readable, key=lambda entry: (entry.finished, entry.id))), unreadable)


def _paths(client: WorkspaceClient, folder: str) -> list[str]:
    """The JSON files of the history folder, sorted by name (their ids: by finish time); [] when it is absent."""
    from databricks.sdk.errors import NotFound

    from bundleops.deployments.store import call

    try:
        listed = call(lambda: list(client.workspace.list(folder)), "workspace/list", client)
    except NotFound:
        return []
    return sorted(str(item.path) for item in listed if str(item.path).endswith(".json"))


def _entry(client: WorkspaceClient, path: str) -> HistoryEntry | None:
    """The entry in one file; None when it is not one bundleops can read."""
    try:
        return HistoryEntry.from_dict(_download(client, path))
    except (KeyError, TypeError, AttributeError):
        return None


def _download(client: WorkspaceClient, path: str) -> Any:
    from bundleops.deployments.store import call

    try:
        return json.loads(call(lambda: client.workspace.download(path).read(), "workspace/export", client))
    except ValueError:
        return None


def _upload(client: WorkspaceClient, path: str, document: dict[str, Any]) -> None:
    from databricks.sdk.service.workspace import ImportFormat

    from bundleops.deployments.store import call

    body = (json.dumps(document, indent=2) + "\n").encode("utf-8")
    call(lambda: client.workspace.upload(path, io.BytesIO(body), format=ImportFormat.AUTO, overwrite=True), "workspace/import", client)
