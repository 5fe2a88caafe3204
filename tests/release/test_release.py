"""scripts/release: one command moves the package version and every ref that names it, and
`scripts/release --check` fails when any ref differs from bundleops.__version__.

The bump runs on scratch copies of the repository (tests/release/scratch.py); the check also
runs on the repository itself, so a stale ref in a template or a doc fails the suite.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from bundleops import __version__
from tests.release.scratch import REPO_ROOT, copy_repository, git, release, repository_files

NEW = "9.8.7"
# A ref names a release as a tag (`@vX`, `ref: vX`, `refs/tags/vX`, `bundleops:vX:`), a pin
# (`bundleops==X`) or a file of it (`bundleops-X-py3-none-any.whl`). After a release, the old
# version in any of these shapes is a ref that REFS in scripts/release misses.
LEFTOVER = re.compile(rf"(?:\bv|==|\bbundleops-|\bdefault: ){re.escape(__version__)}\b")
CI_FOLDERS = ("azure/", "github-actions/", ".github/workflows/", "gitlab/", "jenkins/", "bitbucket/")


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A scratch copy that no test changes (the read-only cases share it)."""
    return copy_repository(tmp_path_factory.mktemp("pristine"))


@pytest.fixture
def scratch(tmp_path: Path) -> Path:
    return copy_repository(tmp_path / "repo")


def ref_counts(check_output: str) -> dict[str, int]:
    """The per-kind table `--check` prints: `  <kind> <count>  <where>`."""
    return {name: int(count) for name, count in re.findall(r"^  (\S+) +(\d+)  ", check_output, re.MULTILINE)}


def test_every_ref_in_the_repository_names_the_package_version() -> None:
    result = release(REPO_ROOT, "--check")
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"name {__version__} (bundleops.__version__)" in result.stdout
    counts = ref_counts(result.stdout)
    for kind in ("package", "pip", "github", "gitlab", "bitbucket", "jenkins", "jenkins-settings", "azure"):
        assert counts.get(kind, 0) >= 1, f"no {kind} ref found:\n{result.stdout}"


def test_help_names_the_usage_and_the_check() -> None:
    result = release(REPO_ROOT, "--help")
    assert result.returncode == 0, result.stderr
    assert "usage: scripts/release" in result.stdout and "--check" in result.stdout and "X.Y.Z" in result.stdout


def test_release_moves_every_ref_and_leaves_none_behind(scratch: Path) -> None:
    before = ref_counts(release(scratch, "--check").stdout)

    result = release(scratch, NEW)

    assert result.returncode == 0, result.stdout + result.stderr
    total = sum(count for kind, count in before.items() if kind not in ("repository", "bitbucket-repository"))  # those name the repository
    assert f"moved {total} refs" in result.stdout and f"from {__version__} to {NEW}" in result.stdout
    assert f"git tag v{NEW}" in result.stdout
    after = release(scratch, "--check")
    assert after.returncode == 0 and f"name {NEW} (bundleops.__version__)" in after.stdout, after.stdout
    assert ref_counts(after.stdout) == before
    leftovers = [
        f"{name}:{number}: {line.strip()}"
        for name in repository_files(scratch)
        if not name.startswith("tests/")
        for number, line in enumerate(_lines(scratch / name), start=1)
        if LEFTOVER.search(line)
    ]
    assert leftovers == [], "refs to the old release that scripts/release did not move:\n" + "\n".join(leftovers)
    changed = git(scratch, "diff", "--name-only").split()
    for folder in (*CI_FOLDERS, "docs/", "steps/bundleops/shipped/bundle-template/", "steps/bundleops/shipped/examples/"):
        assert any(name.startswith(folder) for name in changed), f"nothing under {folder} moved: {changed}"


def test_the_released_files_name_the_new_version_where_consumers_read_it(scratch: Path) -> None:
    assert release(scratch, NEW).returncode == 0
    imported = subprocess.run(
        [sys.executable, "-c", "import bundleops; print(bundleops.__version__)"],
        env={"PYTHONPATH": str(scratch / "steps")}, capture_output=True, text=True, check=True,
    )
    assert imported.stdout.strip() == NEW
    azure = yaml.safe_load((scratch / "azure/bundleops.yml").read_text(encoding="utf-8"))
    assert {p["name"]: p.get("default") for p in azure["parameters"]}["bundleopsSource"] == f"bundleops[local]=={NEW}"
    consumer = scratch / "steps/bundleops/shipped/bundle-template/template/{{.project_name}}"
    assert yaml.safe_load((consumer / ".gitlab-ci.yml").read_text(encoding="utf-8"))["include"][0]["ref"] == f"v{NEW}"
    assert f"@Library('bundleops@v{NEW}') _" in (consumer / "Jenkinsfile").read_text(encoding="utf-8")
    assert f"static final String VERSION = '{NEW}'" in (scratch / "jenkins/src/io/bundleops/Settings.groovy").read_text(encoding="utf-8")
    # The project's own version is not bundleops' release and stays as it was.
    assert 'version = "0.1.0"' in (consumer / "pyproject.toml.tmpl").read_text(encoding="utf-8")


def test_a_ref_that_two_kinds_match_is_moved_once(scratch: Path) -> None:
    doc = scratch / "docs" / "releasing.md"
    line = f"pip install 'bundleops @ git+https://github.com/bundleops/bundleops@v{__version__}'"
    doc.write_text(doc.read_text(encoding="utf-8") + line + "\n", encoding="utf-8")
    git(scratch, "commit", "--quiet", "--all", "--message", "a git requirement of the GitHub repository")

    longer = "10.0.0"  # a version of another length: a span rewritten twice would show
    assert release(scratch, longer).returncode == 0

    assert doc.read_text(encoding="utf-8").splitlines()[-1] == line.replace(f"@v{__version__}", f"@v{longer}")


@pytest.mark.parametrize(
    ("path", "ref", "stale", "kind"),
    [
        ("azure/bundleops.yml", f"bundleops[local]=={__version__}", "bundleops[local]==0.0.9", "pip"),
        ("docs/gitlab.md", f"ref: v{__version__}", "ref: v0.0.9", "gitlab"),
        ("steps/bundleops/shipped/bundle-template/template/{{.project_name}}/Jenkinsfile", f"bundleops@v{__version__}", "bundleops@v0.0.9", "jenkins"),
    ],
    ids=["azure-default", "gitlab-doc", "template-jenkinsfile"],
)
def test_check_names_the_file_and_line_of_a_stale_ref(scratch: Path, path: str, ref: str, stale: str, kind: str) -> None:
    target = scratch / path
    lines = target.read_text(encoding="utf-8").splitlines(keepends=True)
    number = next(index for index, line in enumerate(lines, start=1) if ref in line)
    lines[number - 1] = lines[number - 1].replace(ref, stale, 1)
    target.write_text("".join(lines), encoding="utf-8")

    result = release(scratch, "--check")

    assert result.returncode == 1, result.stdout + result.stderr
    assert f"{path}:{number}: {kind} ref names 0.0.9, but bundleops.__version__ is {__version__}" in result.stdout
    assert result.stdout.count(" ref names ") == 1, result.stdout
    assert f"fix: run `scripts/release {__version__}`" in result.stdout


def test_check_fails_when_a_kind_of_ref_disappears(scratch: Path) -> None:
    settings = scratch / "jenkins/src/io/bundleops/Settings.groovy"
    settings.write_text(settings.read_text(encoding="utf-8").replace("static final String VERSION =", "static final String RELEASE ="), encoding="utf-8")

    result = release(scratch, "--check")

    assert result.returncode == 1
    assert "no jenkins-settings ref found" in result.stdout and "update REFS" in result.stdout


def test_a_dirty_tree_is_refused_and_nothing_changes(scratch: Path) -> None:
    (scratch / "README.md").write_text("edited\n", encoding="utf-8")

    result = release(scratch, NEW)

    assert result.returncode == 2, result.stdout + result.stderr
    assert "uncommitted changes (README.md)" in result.stderr and "commit or stash" in result.stderr
    assert git(scratch, "status", "--porcelain").split() == ["M", "README.md"]


@pytest.mark.parametrize(
    ("version", "message"),
    [
        ("1.2", "'1.2' is not a release version: give three numbers, X.Y.Z"),
        (f"v{NEW}", f"'v{NEW}' is not a release version"),
        (__version__, f"{__version__} is not newer than the current release {__version__}"),
    ],
    ids=["two-numbers", "leading-v", "not-newer"],
)
def test_a_bad_version_is_refused_and_nothing_changes(pristine: Path, version: str, message: str) -> None:
    result = release(pristine, version)

    assert result.returncode == 2, result.stdout + result.stderr
    assert message in result.stderr
    assert git(pristine, "status", "--porcelain") == ""


def test_outside_a_git_clone_the_check_says_so(tmp_path: Path) -> None:
    copy = tmp_path / "unpacked"
    (copy / "scripts").mkdir(parents=True)
    (copy / "scripts/release").write_bytes((REPO_ROOT / "scripts/release").read_bytes())
    (copy / "scripts/release").chmod(0o755)

    result = release(copy, "--check")

    assert result.returncode == 2
    assert "is not a git working tree" in result.stderr and "clone of bundleops" in result.stderr


def _lines(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError:
        return []
