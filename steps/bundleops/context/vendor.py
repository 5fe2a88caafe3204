"""Tell the CI systems apart by the variable each documents as its own marker."""

from __future__ import annotations

from typing import Mapping

VENDORS = ("github", "azure", "gitlab", "jenkins", "bitbucket", "local")


def detect_vendor(environ: Mapping[str, str]) -> str:
    """github | azure | gitlab | jenkins | bitbucket | local (a developer's shell)."""
    if environ.get("GITHUB_ACTIONS") == "true":
        return "github"
    if environ.get("TF_BUILD", "").lower() == "true":
        return "azure"
    if environ.get("GITLAB_CI") == "true":
        return "gitlab"
    if environ.get("JENKINS_URL"):
        return "jenkins"
    if environ.get("BITBUCKET_BUILD_NUMBER"):
        return "bitbucket"
    return "local"
