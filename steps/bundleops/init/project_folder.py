"""Where `bundleops init` writes: a folder that holds no project yet, filled without overwriting.

`databricks bundle init` writes `<output dir>/<project_name>/`; `bundleops init DIR` means DIR is
the project, as `git init DIR` does. So the CLI renders into a scratch folder and the files are
moved into DIR, which may already exist (a fresh clone with its .git folder, a LICENSE) as long as
it holds no bundle project and none of the files the template writes: nothing is ever overwritten.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from bundleops.errors import BundleopsError

BUNDLE_FILE = "databricks.yml"
LISTED = 5


def check_empty_of_projects(folder: Path) -> None:
    """Refuse a DIR that is a file or already holds a bundle project (exit 2), before anything runs."""
    if folder.exists() and not folder.is_dir():
        raise BundleopsError(f"{folder} is a file, not a folder", fix="give bundleops init a new folder (DIR) for the project")
    if (folder / BUNDLE_FILE).exists():
        raise BundleopsError(
            f"{folder} already holds a bundle project ({BUNDLE_FILE} exists)",
            fix="give bundleops init a new folder, e.g. `bundleops init ../my_new_pipeline`; to re-create this one, move it away first",
        )


def files_of(rendered: Path) -> list[Path]:
    """The rendered files, relative to the project folder."""
    return sorted(path.relative_to(rendered) for path in rendered.rglob("*") if path.is_file())


def move_into(rendered: Path, folder: Path) -> list[Path]:
    """Move every rendered file into `folder`; refuses (exit 2, nothing moved) if any already exists there."""
    files = files_of(rendered)
    taken = [str(name) for name in files if (folder / name).exists()]
    if taken:
        listed = ", ".join(taken[:LISTED]) + (f" and {len(taken) - LISTED} more" if len(taken) > LISTED else "")
        raise BundleopsError(f"{folder} already has files the new project would overwrite: {listed}",
                             fix="move those files away, or give bundleops init a new folder")
    for name in files:
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(rendered / name), str(folder / name))
    return files
