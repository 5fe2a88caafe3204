"""The local workspace's `UpdateRunner`: a pipeline update runs its sources with Spark, in a process.

`start` resolves the pipeline's libraries to the files a deploy left in the workspace tree
(`file`, `notebook`, `glob.include`; other library types are refused by name) and starts
`python -m bundleops.localworkspace.pipeline_process` in its own process group with the update's
plan. A thread reads the process's progress lines into the update (its states, its event log)
and ends it: COMPLETED on exit 0, FAILED with the process's error otherwise, CANCELED after
`stop` (SIGTERM to the group, SIGKILL after a grace period, as a cancelled job task). The
process gets what a job task gets: no credentials, the mounts' variables. The runner remembers
the tables each pipeline's updates wrote, to drop them when the pipeline is deleted.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path, PurePosixPath
from typing import IO, Any

from bundleops.localworkspace.layout import Layout
from bundleops.localworkspace.pipeline_process import MARKER
from bundleops.localworkspace.pipeline_updates import UpdateRun
from bundleops.localworkspace.runs import process_env, wait_process
from bundleops.localworkspace.workspace_tree import WorkspaceTree

SOURCE_SUFFIXES = (".py", ".sql")
UPDATE = [sys.executable, "-m", "bundleops.localworkspace.pipeline_process"]


class SourceError(Exception):
    """The pipeline's libraries cannot be run: the update fails with this message."""


def sources(spec: dict[str, Any], tree: WorkspaceTree) -> list[dict[str, str]]:
    """The pipeline's source files in the order the spec lists them: workspace `path` (what errors
    name) and `local` file."""
    libraries = spec.get("libraries") or []
    if not libraries:
        raise SourceError("the pipeline has no libraries: give it source files (libraries: [{file: {path: ...}}] or [{glob: {include: ...}}])")
    found: list[dict[str, str]] = []
    for library in libraries:
        kind = next(iter(library), "")
        if kind in ("file", "notebook"):
            found.append(_source(library[kind].get("path", ""), tree, kind))
        elif kind == "glob":
            found.extend(_glob(library["glob"].get("include", ""), tree))
        else:
            raise SourceError(f"the library type {kind or 'without a type'} ({library}) is not supported by the local workspace (file, notebook and glob are)")
    return found


def _source(path: str, tree: WorkspaceTree, kind: str) -> dict[str, str]:
    entry = tree.find(path)
    if entry is None or entry.object_type == "DIRECTORY":
        raise SourceError(f"the {kind} library {path} does not exist in the workspace (deploy the bundle first)")
    if entry.local.suffix not in SOURCE_SUFFIXES:
        raise SourceError(f"the {kind} library {path} is neither Python nor SQL, which is what pipelines run")
    return {"path": "/Workspace" + entry.path, "local": str(entry.local)}


def _glob(include: str, tree: WorkspaceTree) -> list[dict[str, str]]:
    """`glob.include`: a folder path ending in `/**` (everything under it) or a pattern of files."""
    parts = PurePosixPath(include).parts
    fixed = next((index for index, part in enumerate(parts) if any(char in part for char in "*?[")), len(parts))
    base = tree.find(str(PurePosixPath(*parts[:fixed])))
    if base is None or base.object_type != "DIRECTORY":
        raise SourceError(f"the glob library {include}: {PurePosixPath(*parts[:fixed])} is not a folder in the workspace (deploy the bundle first)")
    pattern = "/".join(parts[fixed:]) or "**"
    matched = base.local.rglob("*") if pattern == "**" else base.local.glob(pattern)
    files = sorted(path for path in matched if path.is_file() and path.suffix in SOURCE_SUFFIXES and "__pycache__" not in path.parts)
    return [{"path": "/Workspace" + str(PurePosixPath(base.path, *path.relative_to(base.local).parts)), "local": str(path)} for path in files]


def _refuse_unsupported(spec: dict[str, Any]) -> None:
    """Kinds of pipeline the local workspace cannot run like Databricks does: refused by name."""
    for key, what in (("continuous", "a continuous pipeline (continuous: true; its updates never end)"),
                      ("ingestion_definition", "a managed ingestion pipeline (ingestion_definition)"),
                      ("gateway_definition", "an ingestion gateway pipeline (gateway_definition)")):
        if spec.get(key):
            raise SourceError(f"{what} is not supported by the local workspace")


def _root(spec: dict[str, Any], tree: WorkspaceTree) -> str | None:
    """The local folder of `root_path`, which Databricks puts on sys.path for the Python sources."""
    entry = tree.find(spec["root_path"]) if spec.get("root_path") else None
    if spec.get("root_path") and (entry is None or entry.object_type != "DIRECTORY"):
        raise SourceError(f"the pipeline's root_path {spec['root_path']} is not a folder in the workspace (deploy the bundle first)")
    return str(entry.local) if entry else None


def plan(run: UpdateRun, tree: WorkspaceTree, layout: Layout) -> dict[str, Any]:
    """What the update process needs: its sources, where the pipeline's tables and checkpoints go, the options."""
    spec = run.spec
    _refuse_unsupported(spec)
    return {
        "sources": sources(spec, tree),
        "root": _root(spec, tree),
        "catalog": (spec.get("catalog") or "hive_metastore").lower(),
        "schema": (spec.get("schema") or spec.get("target") or "default").lower(),
        "warehouse_dir": str(layout.warehouse_dir),
        "checkpoints_dir": str(layout.pipelines_dir / run.pipeline_id / "checkpoints"),
        "configuration": spec.get("configuration") or {},
        **{key: run.request[key] for key in ("full_refresh", "validate_only", "refresh_selection", "full_refresh_selection") if key in run.request},
    }


class SparkUpdateRunner:
    def __init__(self, tree: WorkspaceTree, layout: Layout) -> None:
        self.tree = tree
        self.layout = layout
        self._stops: dict[str, threading.Event] = {}
        self._tables: dict[str, set[str]] = {}  # pipeline id: the folders of the tables its updates wrote
        self._lock = threading.Lock()

    def start(self, run: UpdateRun) -> None:
        run.event("INFO", "create_update", f"Update {run.update_id[:6]} started by {run.request.get('cause', 'API_CALL')}.")
        try:
            update_plan = plan(run, self.tree, self.layout)
        except SourceError as error:
            run.finish("FAILED", str(error))
            return
        stop = threading.Event()
        with self._lock:
            self._stops[run.update_id] = stop
        threading.Thread(target=self._execute, args=(run, update_plan, stop), name=f"pipeline-update-{run.update_id[:6]}", daemon=True).start()

    def stop(self, run: UpdateRun) -> None:
        with self._lock:
            stop = self._stops.get(run.update_id)
        if stop is None:
            run.finish("CANCELED")
        else:
            stop.set()

    def delete(self, pipeline_id: str) -> None:
        with self._lock:
            folders = self._tables.pop(pipeline_id, set())
        for folder in folders:
            shutil.rmtree(folder, ignore_errors=True)
        shutil.rmtree(self.layout.pipelines_dir / pipeline_id, ignore_errors=True)

    def stop_all(self, timeout: float) -> None:
        """Stop every running update and wait for it to end: a stopping server leaves no process behind."""
        with self._lock:
            stops = list(self._stops.values())
        for stop in stops:
            stop.set()
        deadline = time.monotonic() + timeout
        while self._stops and time.monotonic() < deadline:
            time.sleep(0.05)

    def _execute(self, run: UpdateRun, update_plan: dict[str, Any], stop: threading.Event) -> None:
        log_path = self.layout.pipelines_dir / run.pipeline_id / "updates" / f"{run.update_id}.log"
        log_path.parent.mkdir(parents=True, exist_ok=True)
        errors: list[str] = []
        try:
            with open(log_path, "ab") as log:
                process = subprocess.Popen(UPDATE, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, cwd=log_path.parent,
                                           env=process_env(self.layout.subprocess_env()), start_new_session=True)
                assert process.stdin is not None and process.stdout is not None
                process.stdin.write(json.dumps(update_plan).encode())
                process.stdin.close()
                with self._lock:
                    tables = self._tables.setdefault(run.pipeline_id, set())
                reader = threading.Thread(target=_follow, args=(run, process.stdout, log_path, errors, tables), daemon=True)
                reader.start()
                stopped = wait_process(process, stop, None)
                reader.join()
            if stopped:
                run.finish("CANCELED")
            elif process.returncode == 0:
                run.finish("COMPLETED")
            else:
                run.finish("FAILED", errors[-1] if errors else f"the update's process ended with code {process.returncode}; its log is {log_path}")
        except Exception as error:  # noqa: BLE001 - a fault of the local workspace fails this update, not the server
            run.finish("FAILED", f"the local workspace failed to run the update: {error}")
        finally:
            with self._lock:
                self._stops.pop(run.update_id, None)


def _follow(run: UpdateRun, stream: IO[bytes], log_path: Path, errors: list[str], tables: set[str]) -> None:
    """Apply the update process's progress lines to the update (and note the tables it wrote); other lines go to its log."""
    with open(log_path, "ab") as log:
        for raw in stream:
            line = raw.decode("utf-8", "replace")
            if not line.startswith(MARKER):
                log.write(raw)
                log.flush()
                continue
            try:
                message = json.loads(line[len(MARKER):])
            except ValueError:  # the pipeline's own print that happens to start like ours
                log.write(raw)
                continue
            if message["kind"] == "state":
                run.progress(message["state"])
            elif message["kind"] == "event":
                run.event(message["level"], message["event_type"], message["message"], message.get("error"),
                          details=message.get("details"), origin=message.get("origin"))
            elif message["kind"] == "error":
                errors.append(message["message"])
            elif message["kind"] == "table":
                tables.add(message["path"])
