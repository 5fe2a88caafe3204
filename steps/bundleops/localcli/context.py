"""Resolve the bundle and connect to its workspace: the first half of every bundle command."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bundleops.localcli import client as workspace_client
from bundleops.localcli.bundle import Bundle, Options, resolve

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient


@dataclass
class Context:
    bundle: Bundle
    client: WorkspaceClient

    @property
    def user_name(self) -> str:
        return str(self.bundle.workspace["current_user"]["userName"])

    @property
    def host(self) -> str:
        return str(self.client.config.host).rstrip("/")


def open_bundle(args: argparse.Namespace, cwd: Path, environ: Mapping[str, str]) -> Context:
    connection: dict[str, Any] = {}

    def identify(config: dict[str, Any]) -> dict[str, Any]:
        host = (config.get("workspace") or {}).get("host")
        host = host if isinstance(host, str) and "${" not in host else None
        warning = workspace_client.host_mismatch(host)
        if warning:
            sys.stderr.write(f"Warning: {warning}\n\n")
        connection["client"] = workspace_client.connect(host)
        return workspace_client.me(connection["client"])

    bundle = resolve(Options(target=args.target, variables=args.var, start=cwd), identify, environ)
    return Context(bundle=bundle, client=connection["client"])
