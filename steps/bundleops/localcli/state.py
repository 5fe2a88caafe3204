"""The deployment state `<root_path>/state/resources.json`: which id belongs to which resource key.

Same shape as the real direct engine's file (`state_version`, `lineage`, `serial`, and
`state["resources.<kind>.<key>"] = {"__id__": "<id>", "state": <settings sent>}`, for jobs,
pipelines, schemas and volumes alike; child resources such as `.permissions` beside them). It is read at
the start of a deploy and written back at the end, also after a partial failure, so a redeploy
resets the same jobs instead of creating duplicates.

Loading asks for `resources.json` and `terraform.tfstate` first (as the real CLI does to pick
the engine) and only then reads the state. A bundle with only a terraform state was deployed by
the terraform engine, which the stand-in does not have: that is refused by name.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bundleops.localcli import VERSION, wsfs
from bundleops.localcli.diagnostics import CliError

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient

FILE_NAME = "resources.json"
TERRAFORM_FILE = "terraform.tfstate"


@dataclass
class DeploymentState:
    lineage: str = field(default_factory=lambda: str(uuid.uuid4()))
    serial: int = 0
    resources: dict[str, dict[str, Any]] = field(default_factory=dict)

    def ids(self, kind: str) -> dict[str, str]:
        """Key -> id for every resource of `kind` (`jobs`, `schemas`, ...) the state knows."""
        prefix = f"resources.{kind}."
        return {
            key[len(prefix):]: str(entry["__id__"])
            for key, entry in self.resources.items()
            if key.startswith(prefix) and "." not in key[len(prefix):]
        }

    def set(self, kind: str, key: str, resource_id: str, settings: dict[str, Any]) -> None:
        self.resources[f"resources.{kind}.{key}"] = {"__id__": resource_id, "state": settings}

    def settings(self, kind: str, key: str) -> dict[str, Any] | None:
        entry = self.resources.get(f"resources.{kind}.{key}")
        return entry.get("state") if entry else None

    def forget(self, kind: str, key: str) -> None:
        self.resources.pop(f"resources.{kind}.{key}", None)

    def to_json(self) -> bytes:
        document = {"state_version": 1, "cli_version": VERSION, "lineage": self.lineage, "serial": self.serial, "state": self.resources}
        return json.dumps(document, indent=2, sort_keys=True).encode()


def load(client: WorkspaceClient, state_path: str) -> DeploymentState:
    direct = wsfs.stat(client, f"{state_path}/{FILE_NAME}")
    if wsfs.stat(client, f"{state_path}/{TERRAFORM_FILE}") and not direct:
        raise CliError(
            f"{state_path}/{TERRAFORM_FILE}: this bundle was deployed with the terraform engine; "
            "the databricks CLI stand-in has only the direct engine (deploy it with the real CLI, or destroy it first)"
        )
    raw = wsfs.export(client, f"{state_path}/{FILE_NAME}") if direct else None
    if raw is None:
        return DeploymentState()
    try:
        document = json.loads(raw)
        return DeploymentState(lineage=document["lineage"], serial=int(document["serial"]), resources=dict(document["state"]))
    except (ValueError, KeyError, TypeError) as error:
        raise CliError(f"failed to read deployment state {state_path}/{FILE_NAME}: {error}") from error


def save(client: WorkspaceClient, state_path: str, state: DeploymentState) -> None:
    state.serial += 1
    wsfs.write(client, f"{state_path}/{FILE_NAME}", state.to_json(), overwrite=True)
