"""The bundle as it was at a commit: a detached git worktree of the whole repository (shared code outside
the bundle folder included), removed afterwards. The CI checkout must hold that commit: a shallow
clone does not, and the error says how each CI fetches the history."""

from __future__ import annotations

import contextlib
import subprocess
import tempfile
from pathlib import Path
from typing import Iterator

from bundleops.errors import BundleopsError, ExitCode

SHALLOW_FIX = ("fetch the whole history: GitHub `actions/checkout` with `fetch-depth: 0`, Azure `checkout: self` with `fetchDepth: 0`, "
               "GitLab `GIT_DEPTH: 0`, Bitbucket `clone: depth: full`, Jenkins a full clone (no shallow clone option)")


def _git(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(["git", "-C", str(cwd), *args], capture_output=True, text=True, timeout=300, check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise BundleopsError(f"git {args[0]} could not run: {error}", fix="run the rollback where git is installed, in the CI's checkout",
                             code=ExitCode.BAD_INPUT) from None


@contextlib.contextmanager
def tree_at(project_root: Path, commit: str) -> Iterator[Path]:
    """The project folder as it was at `commit`, in a temporary worktree of the repository holding `project_root`."""
    top = _git(project_root, "rev-parse", "--show-toplevel")
    if top.returncode != 0:
        raise BundleopsError(f"{project_root} is not in a git checkout: a rollback takes the bundle from git", fix="run it in the CI's checkout of the repository",
                             code=ExitCode.BAD_INPUT)
    repository = Path(top.stdout.strip())
    if _git(repository, "cat-file", "-e", f"{commit}^{{commit}}").returncode != 0:
        raise BundleopsError(f"commit {commit[:12]} is not in this checkout (a shallow clone?)", fix=SHALLOW_FIX, code=ExitCode.BAD_INPUT)
    inside = project_root.resolve().relative_to(repository.resolve())
    with tempfile.TemporaryDirectory(prefix="bundleops-rollback-") as folder:
        worktree = Path(folder) / "tree"
        added = _git(repository, "worktree", "add", "--detach", str(worktree), commit)
        if added.returncode != 0:
            raise BundleopsError(f"git could not check out commit {commit[:12]}: {added.stderr.strip()}", fix="check that the checkout is writable and the commit exists",
                                 code=ExitCode.BAD_INPUT)
        try:
            yield worktree / inside
        finally:
            _git(repository, "worktree", "remove", "--force", str(worktree))


def revert_command(restored: str, replaced: str) -> str:
    """The git command that undoes, on the branch, what the rollback undid in the workspace: every commit after
    `restored` up to `replaced` on the first-parent line (a pull request's merge reverted with `-m 1`)."""
    return f"git revert --no-edit -m 1 $(git rev-list --first-parent {restored[:12]}..{replaced[:12]})"
