"""Which bundles a repository holds: every folder with a bundle root file, or the root bundleops.yml's `bundles:`.

A bundle's folder is the bundle's own: discovery does not look inside it, so a `databricks.yml`
among its test fixtures or templates is not a second bundle (list a nested one in `bundles:`).
Hidden folders (`.git`, `.venv`, `.databricks`, `.bundleops`, ...) and the package folders below
hold no bundle of the project and are skipped, which also keeps a walk of a large checkout short.
"""

from __future__ import annotations

import glob
import os
from pathlib import Path

from bundleops.bundle_files import ROOT_FILE_NAMES
from bundleops.config import ProjectConfig
from bundleops.errors import BundleopsError, ExitCode

SKIPPED_FOLDERS = frozenset({"node_modules", "__pycache__", "venv", "site-packages"})


def is_bundle(folder: Path) -> bool:
    return any((folder / name).is_file() for name in ROOT_FILE_NAMES)


def discover(root: Path, config: ProjectConfig) -> list[str]:
    """The bundles' folders relative to `root`, `/`-separated and sorted; `.` is a bundle at the root."""
    found = listed(root, config.bundles, config.source or "bundleops.yml") if config.bundles is not None else walk(root)
    return sorted(found)


def walk(root: Path) -> list[str]:
    """Every folder holding a root file, not looking inside bundles or skipped folders."""
    found: list[str] = []
    for folder, subfolders, files in os.walk(root):
        here = Path(folder)
        if any(name in files for name in ROOT_FILE_NAMES):
            found.append(here.relative_to(root).as_posix())
            subfolders.clear()
            continue
        subfolders[:] = sorted(name for name in subfolders if not skipped(name))
    return found


def skipped(name: str) -> bool:
    return name.startswith(".") or name in SKIPPED_FOLDERS


def listed(root: Path, entries: list[str], source: str) -> list[str]:
    """The folders `bundles:` names (paths or globs); an entry naming no bundle is refused, as a typo would be."""
    found: set[str] = set()
    for entry in entries:
        folders = [Path(root, match) for match in glob.glob(entry.rstrip("/"), root_dir=root, recursive=True)]
        bundles = {folder.relative_to(root).as_posix() for folder in folders if folder.is_dir() and is_bundle(folder)}
        if not bundles:
            raise BundleopsError(
                f"{source}: bundles entry {entry!r} names no folder holding {' or '.join(ROOT_FILE_NAMES)} under {root.resolve()}",
                fix="correct or remove the entry; entries are folders or globs of folders relative to the repository root, "
                "e.g. 'bundles/*' (see docs/monorepo.md)",
                code=ExitCode.BAD_INPUT,
            )
        found |= bundles
    return list(found)
