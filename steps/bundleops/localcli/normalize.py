"""Job settings normalised to the types the Jobs API declares, as the real CLI does after resolving.

The types come from databricks-sdk's own `jobs.JobSettings` dataclasses (Databricks' definitions,
not ours). The conversions and warnings are those of the real CLI's libs/dyn/convert/normalize.go:
a string field takes a bool or a number as its text (`spark_conf` values), an int field takes a
digit string (`min_workers: "1"` after `${var...}`), a bool field takes YAML 1.1 words, a float
field takes a number or its text; anything else is a warning `expected <kind>, found <kind>`
and the value is dropped. A pure `${...}` reference is left for the resolver.
"""

from __future__ import annotations

import enum
import functools
import re
import types
import typing
from typing import Any

from bundleops.localcli.diagnostics import Diagnostics

PURE_REFERENCE = re.compile(r"^\$\{[^${}]+\}$")
TRUE_WORDS = frozenset({"true", "y", "Y", "yes", "Yes", "YES", "on", "On", "ON"})
FALSE_WORDS = frozenset({"false", "n", "N", "no", "No", "NO", "off", "Off", "OFF"})
_DROP = object()


def kind_name(value: Any) -> str:
    """The real CLI's name for a value's kind (libs/dyn Kind), as its warnings and merge errors say it."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dict):
        return "map"
    if isinstance(value, list):
        return "sequence"
    return "nil"


def _unwrap(annotation: Any) -> Any:
    """`Optional[X]` → X (the SDK declares every field optional)."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        arguments = [argument for argument in typing.get_args(annotation) if argument is not type(None)]
        return arguments[0] if len(arguments) == 1 else Any
    return annotation


@functools.lru_cache(maxsize=None)
def _fields(cls: type) -> dict[str, Any]:
    return {name: _unwrap(hint) for name, hint in typing.get_type_hints(cls).items()}


class _Normaliser:
    def __init__(self, diagnostics: Diagnostics) -> None:
        self.diagnostics = diagnostics

    def value(self, annotation: Any, value: Any, path: str) -> Any:
        if isinstance(value, str) and PURE_REFERENCE.match(value):
            return value
        origin = typing.get_origin(annotation)
        if origin is list:
            return self._sequence(typing.get_args(annotation)[0], value, path)
        if origin is dict:
            return self._map(typing.get_args(annotation)[1], value, path)
        if isinstance(annotation, type) and hasattr(annotation, "__dataclass_fields__"):
            return self.struct(annotation, value, path)
        if annotation is str or (isinstance(annotation, type) and issubclass(annotation, enum.Enum)):
            return self._string(value, path)
        if annotation is bool:
            return self._bool(value, path)
        if annotation is int:
            return self._int(value, path)
        if annotation is float:
            return self._float(value, path)
        return value

    def struct(self, cls: type, value: Any, path: str, *, nested: bool = True) -> Any:
        """A dataclass's fields normalised. A key it does not declare, inside a job (a task, a
        cluster), is the real CLI's `unknown field` warning at the key and is dropped (acceptance
        variables/complex-within-complex); a job's own keys were checked when it was prepared."""
        if value is None:
            return None  # an empty block stays null without a warning, as in the real CLI (only scalars warn)
        if not isinstance(value, dict):
            return self._mismatch("map", value, path)
        fields = _fields(cls)
        normalised = {}
        for key, item in value.items():
            if key not in fields and nested:
                self.diagnostics.warning(f"unknown field: {key}", path=path, location=self.diagnostics.locations.key(f"{path}.{key}"))
                continue
            converted = self.value(fields[key], item, f"{path}.{key}") if key in fields else item
            if converted is not _DROP:
                normalised[key] = converted
        return normalised

    def _sequence(self, item_type: Any, value: Any, path: str) -> Any:
        if value is None:
            return None  # `tasks:` with nothing under it (acceptance validate/empty_tasks)
        if not isinstance(value, list):
            return self._mismatch("sequence", value, path)
        items = (self.value(item_type, item, f"{path}[{number}]") for number, item in enumerate(value))
        return [item for item in items if item is not _DROP]

    def _map(self, value_type: Any, value: Any, path: str) -> Any:
        if value is None:
            return None
        if not isinstance(value, dict):
            return self._mismatch("map", value, path)
        items = ((key, self.value(value_type, item, f"{path}.{key}")) for key, item in value.items())
        return {key: item for key, item in items if item is not _DROP}

    def _string(self, value: Any, path: str) -> Any:
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, (int, str)):
            return str(value)
        if isinstance(value, float):
            return str(int(value)) if value.is_integer() else repr(value)
        return self._mismatch("string", value, path)

    def _bool(self, value: Any, path: str) -> Any:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value in TRUE_WORDS | FALSE_WORDS:
            return value in TRUE_WORDS
        return self._mismatch("bool", value, path)

    def _int(self, value: Any, path: str) -> Any:
        if isinstance(value, bool):
            return self._mismatch("int", value, path)
        if isinstance(value, int):
            return value
        if isinstance(value, float):
            if value != int(value):
                self.diagnostics.warning(f'cannot accurately represent "{value!r}" as integer due to precision loss', path=path)
                return _DROP
            return int(value)
        if isinstance(value, str):
            try:
                return int(value, 10)
            except ValueError:
                self.diagnostics.warning(f'cannot parse "{value}" as an integer', path=path)
                return _DROP
        return self._mismatch("int", value, path)

    def _float(self, value: Any, path: str) -> Any:
        if isinstance(value, bool):
            return self._mismatch("float", value, path)
        if isinstance(value, (int, float)):
            return float(value) if isinstance(value, float) else value
        if isinstance(value, str):
            try:
                return float(value)
            except ValueError:
                self.diagnostics.warning(f'cannot parse "{value}" as a floating point number', path=path)
                return _DROP
        return self._mismatch("float", value, path)

    def _mismatch(self, expected: str, value: Any, path: str) -> Any:
        if value is None:
            self.diagnostics.warning(f"expected a {expected} value, found null", path=path)
        else:
            self.diagnostics.warning(f"expected {expected}, found {kind_name(value)}", path=path)
        return _DROP


def jobs(config: dict[str, Any], diagnostics: Diagnostics) -> None:
    """Normalise every job of the resolved configuration in place."""
    from databricks.sdk.service.jobs import JobSettings

    normaliser = _Normaliser(diagnostics)
    job_map = (config.get("resources") or {}).get("jobs") or {}
    for key, job in list(job_map.items()):
        if isinstance(job, dict):
            job_map[key] = normaliser.struct(JobSettings, job, f"resources.jobs.{key}", nested=False)
