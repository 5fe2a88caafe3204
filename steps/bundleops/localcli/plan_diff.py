"""Field changes of one resource, as the real CLI's direct engine lists them in `bundle plan`.

The real CLI (databricks/cli `bundle/direct/bundle_plan.go`, `libs/structs/structdiff`) diffs
the saved state against the configuration (local) and the job read back against the
configuration (remote), joins both per field path and gives each change an action:
`skip` with a reason (`remote_already_set`, `empty`, `backend_default`, or the lifecycle rule of
`bundle/direct/dresources/resources.yml`), `recreate` (a field in `recreate_on_changes` or a
`provided_id_fields` field changed locally), `update_id` (an `updatable_id_fields` field changed
locally: a rename) or `update`; each resource kind has its `Rules` (kinds.py). Jobs have no
`recreate_on_changes`, so a job is never recreated. Paths read as the real CLI writes them: `trigger.periodic.unit`,
`tasks[task_key='load'].notebook_task.notebook_path` (tasks, job clusters, parameters and
environments matched by their key), `tags['team']` (maps, known from databricks-sdk's
`JobSettings` types), `libraries[0].whl` (other lists by position when the lengths agree).
"""

from __future__ import annotations

import dataclasses
import functools
import typing
from dataclasses import dataclass
from typing import Any

# A list at this path (brackets generalised to [*]) is matched by this key, not by position.
JOB_KEYED_LISTS = {
    "tasks": "task_key",
    "parameters": "name",
    "job_clusters": "job_cluster_key",
    "environments": "environment_key",
    "tasks[*].depends_on": "task_key",
    "tasks[*].for_each_task.task.depends_on": "task_key",
    **{
        f"{parent}.{event}": "id"
        for parent in ("webhook_notifications", "tasks[*].webhook_notifications", "tasks[*].for_each_task.task.webhook_notifications")
        for event in ("on_start", "on_success", "on_failure", "on_duration_warning_threshold_exceeded", "on_streaming_backlog_exceeded")
    },
}
_CLUSTERS = ("tasks[*].new_cluster", "tasks[*].for_each_task.task.new_cluster", "job_clusters[*].new_cluster")
JOB_IGNORE_LOCAL = {"deployment.version_id": "managed by the deployment metadata service"}
JOB_IGNORE_REMOTE = {
    "deployment.version_id": "managed by the deployment metadata service",
    **{f"{cluster}.{cloud}_attributes": "managed" for cluster in _CLUSTERS for cloud in ("aws", "azure", "gcp")},
    **{f"{cluster}.apply_policy_default_values": "not_returned_by_api" for cluster in _CLUSTERS},
}
# Remote values the backend fills in where the configuration is silent (None: any value).
JOB_BACKEND_DEFAULTS: dict[str, tuple[Any, ...] | None] = {
    **{f"{cluster}.{name}": None for cluster in _CLUSTERS for name in (
        "enable_elastic_disk", "enable_local_disk_encryption", "node_type_id", "driver_node_type_id",
        "driver_instance_pool_id", "data_security_mode")},
    "format": ("MULTI_TASK", "SINGLE_TASK"),
    "tasks[*].run_if": ("ALL_SUCCESS",),
    "tasks[*].for_each_task.task.run_if": ("ALL_SUCCESS",),
    "run_as": None,
    **{f"{task}.{source}": None for task in ("tasks[*]", "tasks[*].for_each_task.task")
       for source in ("notebook_task.source", "spark_python_task.source", "sql_task.file.source", "dbt_task.source")},
}
DROP = "!drop"  # a change with this reason is left out of the plan (resources.yml)


@dataclass(frozen=True)
class Rules:
    """One resource kind's lifecycle rules (the real CLI's resources.yml entry) and its settings type."""

    settings_type: typing.Callable[[], Any]
    keyed_lists: typing.Mapping[str, str] = dataclasses.field(default_factory=dict)
    ignore_local: typing.Mapping[str, str] = dataclasses.field(default_factory=dict)
    ignore_remote: typing.Mapping[str, str] = dataclasses.field(default_factory=dict)
    backend_defaults: typing.Mapping[str, tuple[Any, ...] | None] = dataclasses.field(default_factory=dict)
    provided_id: typing.Mapping[str, str] = dataclasses.field(default_factory=dict)  # local change: recreate
    updatable_id: typing.Mapping[str, str] = dataclasses.field(default_factory=dict)  # local change: update_id
    recreate: typing.Mapping[str, str] = dataclasses.field(default_factory=dict)
    normalize_slash: typing.Mapping[str, str] = dataclasses.field(default_factory=dict)


@dataclass(frozen=True)
class Step:
    """One path element: a struct field (`.name`), a map key (`['k']`), a list position or a keyed element."""

    kind: str  # "field" | "key" | "index" | "match"
    name: str = ""
    index: int = 0
    match_field: str = ""

    def render(self) -> str:
        if self.kind == "field":
            return f".{self.name}"
        if self.kind == "key":
            return f"['{self.name}']"
        if self.kind == "index":
            return f"[{self.index}]"
        return f"[{self.match_field}='{self.name}']"

    def pattern(self) -> str:
        return f".{self.name}" if self.kind == "field" else "[*]"


Path = tuple[Step, ...]


def render(path: Path) -> str:
    return "".join(step.render() for step in path).lstrip(".")


def _pattern(path: Path) -> str:
    return "".join(step.pattern() for step in path).lstrip(".")


def _under(path: Path, rules: typing.Iterable[str]) -> str | None:
    """The rule that `path` falls under (the rule itself or a field below it), as HasPatternPrefix."""
    pattern = _pattern(path)
    for rule in rules:
        if pattern == rule or pattern.startswith((rule + ".", rule + "[")):
            return rule
    return None


@functools.cache
def _field_types(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _unwrap(hint: Any) -> Any:
    """`Optional[X]` -> X."""
    args = [arg for arg in typing.get_args(hint) if arg is not type(None)]
    return args[0] if typing.get_origin(hint) is typing.Union and len(args) == 1 else hint


def _child_type(hint: Any, name: str | None) -> Any:
    """The declared type of a field (name) or of an element (None) under `hint`, or None if unknown."""
    hint = _unwrap(hint)
    origin = typing.get_origin(hint)
    if name is None:
        args = typing.get_args(hint)
        return args[-1] if origin in (list, dict) and args else None
    if dataclasses.is_dataclass(hint):
        return _field_types(hint).get(name)  # type: ignore[arg-type]
    return None


def _is_map(hint: Any) -> bool:
    return typing.get_origin(_unwrap(hint)) is dict


def job_settings_type() -> Any:
    from databricks.sdk.service.jobs import JobSettings

    return JobSettings


JOB_RULES = Rules(job_settings_type, JOB_KEYED_LISTS, JOB_IGNORE_LOCAL, JOB_IGNORE_REMOTE, JOB_BACKEND_DEFAULTS)


Change = tuple[Path, Any, Any]


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    return type(value).__name__


def diff(old: Any, new: Any, hint: Any, path: Path = (), keyed: typing.Mapping[str, str] = JOB_KEYED_LISTS) -> list[Change]:
    """Every (path, old, new) where the two JSON values differ, as Go's structdiff reports them."""
    if old is None and new is None:
        return []
    if old is None or new is None or _kind(old) != _kind(new):
        return [(path, old, new)]
    if isinstance(old, dict):
        mapping = _is_map(hint)
        changes: list[Change] = []
        for name in sorted(set(old) | set(new)):
            step = Step("key" if mapping else "field", name)
            changes += diff(old.get(name), new.get(name), _child_type(hint, None if mapping else name), (*path, step), keyed)
        return changes
    if isinstance(old, list):
        return _diff_list(old, new, hint, path, keyed)
    return [] if old == new else [(path, old, new)]


def _diff_list(old: list[Any], new: list[Any], hint: Any, path: Path, keyed: typing.Mapping[str, str]) -> list[Change]:
    element = _child_type(hint, None)
    key = keyed.get(_pattern(path))
    if key is None:
        if len(old) != len(new):
            return [(path, old, new)]
        return [change for index, (a, b) in enumerate(zip(old, new)) for change in diff(a, b, element, (*path, Step("index", index=index)), keyed)]
    before = {str(item.get(key)): item for item in old if isinstance(item, dict)}
    after = {str(item.get(key)): item for item in new if isinstance(item, dict)}
    ordered = list(before) + [name for name in after if name not in before]
    return [change for name in ordered for change in diff(before.get(name), after.get(name), element, (*path, Step("match", name, match_field=key)), keyed)]


def get(value: Any, path: Path) -> Any:
    """The value at `path`, or None where it does not exist (structaccess.Get)."""
    for step in path:
        if step.kind in ("field", "key"):
            value = value.get(step.name) if isinstance(value, dict) else None
        elif step.kind == "index":
            value = value[step.index] if isinstance(value, list) and step.index < len(value) else None
        else:
            value = next((item for item in value or [] if isinstance(item, dict) and str(item.get(step.match_field)) == step.name), None) if isinstance(value, list) else None
    return value


def _declared(path: Path, rules: Rules) -> bool:
    """Whether the kind's databricks-sdk settings type declares every field on `path` (the API returns only those)."""
    hint = rules.settings_type()
    for step in path:
        if step.kind == "field":
            if not dataclasses.is_dataclass(_unwrap(hint)) or step.name not in _field_types(_unwrap(hint)):
                return False
            hint = _child_type(hint, step.name)
        else:
            hint = _child_type(hint, None)
    return True


def _empty(value: Any) -> bool:
    """Zero, empty, or a block whose fields are all empty (an `email_notifications: {}`)."""
    if isinstance(value, dict):
        return all(_empty(item) for item in value.values())
    return value is None or value in ("", 0, False) or value == []


def _classify(path: Path, old: Any, new: Any, remote: Any, rules: Rules) -> tuple[str, str]:
    """The action and reason of one field change, in the order of the real CLI's addPerFieldActions."""
    local_change = old != new
    if remote == new and _under(path, rules.ignore_remote) is None:
        return "skip", "remote_already_set"
    if _empty(old) and _empty(new) and _empty(remote):
        return "skip", "empty"
    rule = _under(path, rules.ignore_local)
    if rule is not None and local_change:
        return "skip", rules.ignore_local[rule]
    rule = _under(path, rules.ignore_remote)
    if rule is not None and not local_change:
        return "skip", rules.ignore_remote[rule]
    for table, action in ((rules.provided_id, "recreate"), (rules.updatable_id, "update_id")):
        rule = _under(path, table)
        if rule is not None:
            return (action, table[rule]) if local_change else ("skip", table[rule])
    rule = _under(path, rules.backend_defaults)
    if rule is not None and old is None and new is None and remote is not None:
        allowed = rules.backend_defaults[rule]
        if allowed is None or remote in allowed:
            return "skip", "backend_default"
    rule = _under(path, rules.normalize_slash)
    if rule is not None and isinstance(new, str) and isinstance(remote, str) and new.rstrip("/") == remote.rstrip("/"):
        return "skip", rules.normalize_slash[rule]
    if not local_change and not _declared(path, rules):
        return "skip", "missing_in_remote"  # a field the API cannot return, unchanged locally
    rule = _under(path, rules.recreate)
    if rule is not None:
        return "recreate", rules.recreate[rule]
    return "update", ""


def changes(saved: dict[str, Any] | None, desired: dict[str, Any], remote: dict[str, Any] | None,
            rules: Rules = JOB_RULES) -> dict[str, dict[str, Any]]:
    """The plan's `changes` of one resource: per field path `action`, `reason`, `old`, `new`, `remote`."""
    hint = rules.settings_type()
    joined: dict[Path, dict[str, Any]] = {}
    for path, old, new in diff(saved, desired, hint, keyed=rules.keyed_lists):
        joined[path] = {"old": old, "new": new, "remote": get(remote, path) if remote is not None else None}
    for path, remote_value, new in diff(remote, desired, hint, keyed=rules.keyed_lists) if remote is not None else []:
        if path in joined:
            joined[path]["remote"] = remote_value
        else:
            joined[path] = {"old": get(saved, path), "new": new, "remote": remote_value}
    result = {}
    for path in sorted(joined, key=render):
        values = joined[path]
        action, reason = _classify(path, values["old"], values["new"], values["remote"], rules)
        if reason == DROP:
            continue
        entry: dict[str, Any] = {"action": action}
        if reason:
            entry["reason"] = reason
        entry.update({name: value for name, value in values.items() if value is not None})
        result[render(path)] = entry
    return result


def action_of(field_changes: dict[str, dict[str, Any]]) -> str:
    """The resource's action from its field changes: the strongest of recreate, update_id, update, else skip."""
    actions = {change["action"] for change in field_changes.values()}
    return next((action for action in ("recreate", "update_id", "update") if action in actions), "skip")
