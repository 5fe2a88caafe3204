"""Where a finding goes: the file and line the user wrote the key at, or where it is to be added.

The resolved configuration has lost which file said what and whether a value was written at
all or derived; the bundle's files (bundle_files.py) still know. A target's own override
(`targets.<bundle target>.<key>`) wins over the bundle-wide key, as in the CLI.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bundleops.bundle_files import ROOT_FILE_NAMES, BundleFiles


@dataclass(frozen=True)
class Place:
    """The key to change, the file and line (None: unknown) to change it at, and the scalar text
    written there (None: not written, or not a scalar)."""

    key: str
    file: str
    line: int | None
    text: str | None = None


@dataclass(frozen=True)
class Locator:
    files: BundleFiles | None
    bundle_target: str

    @classmethod
    def of(cls, project_root: Path, bundle_target: str) -> Locator:
        return cls(BundleFiles.read(project_root), bundle_target)

    def setting(self, key: str) -> Place:
        """A target setting (`mode`, `run_as`, `workspace.root_path`): as written, else under the target."""
        override = f"targets.{self.bundle_target}.{key}"
        return self._written(override, key) or self._nearest(override)

    def resource(self, key: str) -> Place:
        """A key inside `resources`: as written, else at its closest written parent (the job that lacks it)."""
        return self._written(f"targets.{self.bundle_target}.{key}", key) or self._nearest(key)

    def _written(self, *keys: str) -> Place | None:
        for key in keys:
            found = self.files.find(key) if self.files else None
            if found:
                return Place(key, found.file, found.line, found.text)
        return None

    def _nearest(self, key: str) -> Place:
        found = self.files.nearest(key) if self.files else None
        if found:
            return Place(key, found.file, found.line)
        return Place(key, self.files.root_file if self.files else ROOT_FILE_NAMES[0], None)
