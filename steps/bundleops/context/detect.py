"""Build the CI context for whichever CI system this process runs on."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Callable, Mapping

from bundleops.config import ProjectConfig
from bundleops.context import azure, bitbucket, github, gitlab, jenkins, local
from bundleops.context.model import CIContext
from bundleops.context.vendor import detect_vendor

READERS: dict[str, Callable[[Mapping[str, str]], CIContext]] = {
    "github": github.from_environment,
    "azure": azure.from_environment,
    "gitlab": gitlab.from_environment,
    "jenkins": jenkins.from_environment,
    "bitbucket": bitbucket.from_environment,
}


def detect(config: ProjectConfig | None = None, environ: Mapping[str, str] | None = None, cwd: Path | None = None) -> CIContext:
    """The context, with the default branch the CI gives or, where it gives none, the project's."""
    return with_project_defaults(observe(environ, cwd), config or ProjectConfig())


def observe(environ: Mapping[str, str] | None = None, cwd: Path | None = None) -> CIContext:
    """The context exactly as the CI (or git, in a shell) gives it: a value it does not give is None.

    Kept apart from the project's defaults so that a repository of many bundles reads the CI once
    and completes it with each bundle's own bundleops.yml.
    """
    environ = os.environ if environ is None else environ
    vendor = detect_vendor(environ)
    return READERS[vendor](environ) if vendor in READERS else local.from_git(cwd or Path.cwd())


def with_project_defaults(context: CIContext, config: ProjectConfig) -> CIContext:
    """Fill what the CI left out from the project: its default branch; an unnamed pull request state is `open`."""
    if context.default_branch is None:
        context = dataclasses.replace(context, default_branch=config.default_branch)
    if context.event == "pull_request" and context.pull_request_state is None:
        context = dataclasses.replace(context, pull_request_state="open")
    return context
