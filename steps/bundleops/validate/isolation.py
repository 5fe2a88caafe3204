"""Each deployment of a target that has many writes its own data.

Staging has one deployment per pull request and dev one per developer; their jobs and pipelines
are separate, but a schema named literally is the same for all of them. A pipeline owns the
tables it publishes, so two deployments' updates overwrite each other's tables (or fail), and a
pull request's tests read another's data. The deployment's name prefix reaches a schema only
when the schema is a resource of the bundle and whatever writes into it refers to it as
`${resources.schemas.<key>.name}`: the real CLI's presets then prefix the schema's name
(`[pr-12] ` becomes `pr_12_`, `[dev jane] ` becomes `dev_jane_`) and the reference follows.

So, on those targets: a pipeline's `schema` (or its older `target`) and a volume's
`schema_name` must be such a reference, and a job must not write out the name of a schema the
bundle declares (`catalog.schema`, `/Volumes/catalog/schema/...`) instead of referring to it.
"""

from __future__ import annotations

import re
from typing import Any, Iterator

from bundleops.validate.locate import Locator
from bundleops.validate.values import strings

# Roles whose target has several deployments at once (docs/pull-request-deployments.md).
ROLES_WITH_MANY_DEPLOYMENTS = ("dev", "staging")
SCHEMA_FIELDS = {"pipelines": ("schema", "target"), "volumes": ("schema_name",)}
SCHEMA_REFERENCE = re.compile(r"\$\{resources\.schemas\.([A-Za-z0-9_-]+)\.name\}")
VARIABLE = re.compile(r"\$\{var\.([A-Za-z0-9_-]+)\}")
# Where a job hands a schema to its code: job parameters' defaults, task parameters and base_parameters.
PARAMETERS = re.compile(r"\.(parameters|base_parameters|named_parameters)\b")


def findings(resolved: dict[str, Any], where: Locator) -> Iterator[tuple[str, str]]:
    """(resource key, message) for each schema every deployment of the target would share."""
    resources = resolved.get("resources") or {}
    declared = _declared_schemas(resolved, where)
    for kind, fields in SCHEMA_FIELDS.items():
        for key, resource in (resources.get(kind) or {}).items():
            for field in fields:
                path = f"resources.{kind}.{key}.{field}"
                if isinstance(resource, dict) and resource.get(field) and not _refers(where.resource(path).text):
                    yield path, _shared_message(str(resource[field]), declared)
    for key, job in (resources.get("jobs") or {}).items():
        for path, value in strings(job, f"resources.jobs.{key}"):
            schema_key = next((schema for schema, named in declared.items() if named.search(value)), None) if PARAMETERS.search(path) else None
            written = where.resource(path).text if schema_key is not None else None
            if written is not None and not _refers(written):
                yield path, (f"names the schema that the bundle declares as resources.schemas.{schema_key} literally, so every deployment "
                             f"of this target reads and writes the same tables: write `${{resources.schemas.{schema_key}.name}}` instead")


def _refers(written: str | None) -> bool:
    """Whether the text written for a value refers to a schema resource's name."""
    return bool(SCHEMA_REFERENCE.search(written or ""))


def _declared_schemas(resolved: dict[str, Any], where: Locator) -> dict[str, re.Pattern[str]]:
    """Per schema resource, how a job parameter would spell it out: its name as written (before any
    deployment's prefix; `${var.x}` filled in), alone, as `catalog.schema` or in a volume's path."""
    variables = {name: str(variable.get("value", variable.get("default", ""))) for name, variable in (resolved.get("variables") or {}).items() if isinstance(variable, dict)}
    declared: dict[str, re.Pattern[str]] = {}
    for key, schema in ((resolved.get("resources") or {}).get("schemas") or {}).items():
        text = where.resource(f"resources.schemas.{key}.name").text or (schema or {}).get("name")
        if not isinstance(schema, dict) or not text:
            continue
        name = re.escape(VARIABLE.sub(lambda match: variables.get(match.group(1), match.group(0)), text))
        catalog = re.escape(str(schema.get("catalog_name", "")))
        declared[key] = re.compile(rf"^{name}$|(?<![\w.]){catalog}\.{name}(?!\w)|/Volumes/{catalog}/{name}(?![\w])")
    return declared


def _shared_message(schema: str, declared: dict[str, re.Pattern[str]]) -> str:
    own = next((key for key, named in declared.items() if named.search(schema)), None)
    fix = (f"write `${{resources.schemas.{own}.name}}`" if own else
           f"declare it in the bundle (resources.schemas.<key>, name: {schema}) and write `${{resources.schemas.<key>.name}}`")
    return (f"names the schema {schema} literally, so every deployment of this target (each pull request's, each developer's) "
            f"writes the same tables and their updates collide: {fix}, which each deployment's name prefix reaches")
