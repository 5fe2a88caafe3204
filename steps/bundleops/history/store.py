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

from bundleops.history.entry import HistoryEntry, PostDeployTest

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient

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

    def current(self) -> HistoryEntry | None:
        """What the target runs now: the last deploy that succeeded."""
        done = self.deployments()
        return done[-1] if done else None


def append(client: WorkspaceClient, root_path: str, entry: HistoryEntry) -> str:
    """Write the entry as its own file; returns its workspace path."""
    from bundleops.deployments.store import call

    path = f"{folder_of(root_path)}/{entry.id}.json"
    call(lambda: client.workspace.mkdirs(folder_of(root_path)), "workspace/mkdirs", client)
    _upload(client, path, entry.to_dict())
    return path


def add_test_result(client: WorkspaceClient, root_path: str, commit: str | None, result: PostDeployTest) -> str | None:
    """Put the test's result on the last deploy of `commit` (the deploy this test ran after); None when there is none."""
    history = read(client, root_path)
    tested = next((entry for entry in reversed(history.entries) if entry.succeeded and entry.commit == commit), None)
    if tested is None:
        return None
    path = f"{history.folder}/{tested.id}.json"
    _upload(client, path, replace(tested, test=result).to_dict())
    return path


def read(client: WorkspaceClient, root_path: str) -> History:
    """Every entry of the target, oldest first; an absent folder is an empty history."""
    from databricks.sdk.errors import NotFound

    from bundleops.deployments.store import call

    folder = folder_of(root_path)
    try:
        listed = call(lambda: list(client.workspace.list(folder)), "workspace/list", client)
    except NotFound:
        return History(folder, ())
    paths = sorted(str(item.path) for item in listed if str(item.path).endswith(".json"))
    with ThreadPoolExecutor(max_workers=READERS) as pool:
        documents = list(pool.map(lambda path: _download(client, path), paths))
    entries, unreadable = [], []
    for path, document in zip(paths, documents):
        try:
            entries.append(HistoryEntry.from_dict(document))
        except (KeyError, TypeError, AttributeError):
            unreadable.append(path)
    return History(folder, tuple(sorted(entries, key=lambda entry: (entry.finished, entry.id))), tuple(unreadable))


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
