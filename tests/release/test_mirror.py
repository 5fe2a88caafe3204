"""`scripts/release --repository OWNER/NAME`: a platform team's mirror moves every ref that names the
repository at once, with the same safety as the version bump, and `--check` and the bump work after it.

Like test_release.py, it runs on scratch copies of the repository (tests/release/scratch.py).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from bundleops import __version__
from tests.release.scratch import REPO_ROOT, copy_repository, git, release, repository_files

MIRROR = "platform/ci-bundleops"
CONSUMER = "steps/bundleops/shipped/bundle-template/template/{{.project_name}}"


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_repository(tmp_path_factory.mktemp("pristine"))


@pytest.fixture(scope="module")
def mirrored(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A scratch copy after `--repository MIRROR`, and what the command printed."""
    scratch = copy_repository(tmp_path_factory.mktemp("mirror"))
    result = release(scratch, "--repository", MIRROR)
    assert result.returncode == 0, result.stdout + result.stderr
    return scratch, result.stdout


def _text(root: Path, path: str) -> str:
    return (root / path).read_text(encoding="utf-8")


def test_every_consumer_file_names_the_mirror(mirrored: tuple[Path, str]) -> None:
    scratch, printed = mirrored
    assert f"from bundleops/bundleops to {MIRROR}" in printed and f'git commit -am "Mirror bundleops as {MIRROR}"' in printed
    gitlab = yaml.safe_load(_text(scratch, f"{CONSUMER}/.gitlab-ci.yml"))["include"][0]
    assert (gitlab["project"], gitlab["ref"]) == (MIRROR, f"v{__version__}")
    azure = yaml.safe_load(_text(scratch, f"{CONSUMER}/azure-pipelines.yml"))["resources"]["repositories"][0]
    assert (azure["repository"], azure["name"]) == ("bundleops", MIRROR)  # the alias is the project's name for it and stays
    bitbucket = yaml.safe_load(_text(scratch, f"{CONSUMER}/bitbucket-pipelines.yml"))["definitions"]["imports"]
    assert bitbucket == {"bundleops": f"ci-bundleops:v{__version__}:bitbucket/shared/bundleops-pipelines.yml"}
    github = yaml.safe_load(_text(scratch, f"{CONSUMER}/.github/workflows/bundleops.yml"))
    assert {job["uses"] for job in github["jobs"].values()} == {f"{MIRROR}/.github/workflows/bundleops.yml@v{__version__}"}
    # Jenkins names the library by its registration in Jenkins, not by the repository
    assert f"@Library('bundleops@v{__version__}') _" in _text(scratch, f"{CONSUMER}/Jenkinsfile")


def test_the_reusable_workflow_calls_the_mirrors_actions(mirrored: tuple[Path, str]) -> None:
    scratch, _ = mirrored
    uses = re.findall(r"uses: (\S+/github-actions/\S+)", _text(scratch, ".github/workflows/bundleops.yml"))
    assert len(uses) > 20 and all(ref.startswith(f"{MIRROR}/github-actions/") for ref in uses), uses


def test_no_ref_to_the_original_repository_is_left(mirrored: tuple[Path, str]) -> None:
    scratch, _ = mirrored
    left = [f"{name}:{number}: {line.strip()}" for name in repository_files(scratch) if not name.startswith("tests/")
            for number, line in enumerate(_text(scratch, name).splitlines() if name.endswith((".md", ".yml", ".groovy", "release")) else [], start=1)
            if "bundleops/bundleops" in line.replace("bundleops/bundleops.sh", "")]
    assert left == []


def test_check_and_the_version_bump_work_on_the_mirror(mirrored: tuple[Path, str], tmp_path: Path) -> None:
    scratch, _ = mirrored
    check = release(scratch, "--check")
    assert check.returncode == 0, check.stdout + check.stderr
    assert f"name the repository {MIRROR}" in check.stdout
    git(scratch, "commit", "--quiet", "--all", "--message", f"Mirror bundleops as {MIRROR}")
    bump = release(scratch, "9.8.7")
    assert bump.returncode == 0, bump.stdout + bump.stderr
    assert f"uses: {MIRROR}/github-actions/setup@v9.8.7" in _text(scratch, ".github/workflows/bundleops.yml")
    assert "ci-bundleops:v9.8.7:bitbucket/shared/" in _text(scratch, f"{CONSUMER}/bitbucket-pipelines.yml")


def test_a_dirty_tree_is_refused_and_nothing_changes(tmp_path: Path) -> None:
    scratch = copy_repository(tmp_path / "repo")
    (scratch / "README.md").write_text("edited\n", encoding="utf-8")
    result = release(scratch, "--repository", MIRROR)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "uncommitted changes (README.md)" in result.stderr and "commit or stash" in result.stderr
    assert git(scratch, "status", "--porcelain").split() == ["M", "README.md"]


@pytest.mark.parametrize(("repository", "message"), [
    ("bundleops", "'bundleops' is not a repository: give OWNER/NAME"),
    ("platform/ci/bundleops", "'platform/ci/bundleops' is not a repository"),
    ("https://github.com/platform/bundleops", "no .git and no host"),
    ("platform/bundleops.git", "'platform/bundleops.git' is not a repository"),
    ("bundleops/bundleops", "the refs already name bundleops/bundleops"),
], ids=["no-owner", "two-slashes", "url", "dot-git", "same"])
def test_a_bad_repository_is_refused_and_nothing_changes(pristine: Path, repository: str, message: str) -> None:
    result = release(pristine, "--repository", repository)
    assert result.returncode == 2, result.stdout + result.stderr
    assert message in result.stderr and "Traceback" not in result.stderr
    assert git(pristine, "status", "--porcelain") == ""


def test_help_documents_the_mirror() -> None:
    result = release(REPO_ROOT, "--help")
    assert result.returncode == 0, result.stderr
    assert "--repository OWNER/NAME" in result.stdout and "scripts/release --repository platform/bundleops" in result.stdout
