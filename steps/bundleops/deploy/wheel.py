"""The wheel of the bundleops that is running, so the test job in the workspace runs the same code.

It is built from the imported package, not downloaded: the CI job needs no index for it, and
what ships is exactly what runs here, from a regular install or an editable one alike. The wheel
holds the package folder (without bytecode) and, in `bundleops-<version>.dist-info`, the
installed distribution's METADATA (its dependencies) and entry_points.txt (the `bundleops.tasks`
entry point that the test job's python_wheel_task calls), a WHEEL file (`py3-none-any`: pure
Python) and a RECORD with each file's sha256 (the wheel format, PEP 427). Entries are sorted and
dated 1980-01-01, so the same code always gives the same bytes.
"""

from __future__ import annotations

import base64
import hashlib
import zipfile
from pathlib import Path

import bundleops
from bundleops.errors import BundleopsError, ExitCode

NAME = "bundleops"
TAG = "py3-none-any"
_EPOCH = (1980, 1, 1, 0, 0, 0)


def file_name(version: str = bundleops.__version__) -> str:
    return f"{NAME}-{version}-{TAG}.whl"


def _package_files() -> list[tuple[str, bytes]]:
    package = Path(bundleops.__file__).parent
    return [
        (f"{NAME}/{path.relative_to(package).as_posix()}", path.read_bytes())
        for path in sorted(package.rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts and path.suffix not in (".pyc", ".pyo")
    ]


def _metadata_files(version: str) -> list[tuple[str, bytes]]:
    """METADATA and entry points of the installed distribution, with the running version."""
    from importlib.metadata import PackageNotFoundError, distribution

    try:
        installed = distribution(NAME)
    except PackageNotFoundError:
        raise BundleopsError(
            "bundleops runs from a source folder without installed metadata, so its wheel cannot be built",
            fix="install it (`pip install .` or `pip install -e .` in the bundleops checkout)",
            code=ExitCode.BAD_INPUT,
        ) from None
    metadata = "".join(
        f"Version: {version}\n" if line.startswith("Version:") else line
        for line in (installed.read_text("METADATA") or "").splitlines(keepends=True)
    )
    info = f"{NAME}-{version}.dist-info"
    wheel = f"Wheel-Version: 1.0\nGenerator: bundleops {version}\nRoot-Is-Purelib: true\nTag: {TAG}\n"
    return [
        (f"{info}/METADATA", metadata.encode()),
        (f"{info}/WHEEL", wheel.encode()),
        (f"{info}/entry_points.txt", (installed.read_text("entry_points.txt") or "").encode()),
    ]


def _record_line(name: str, content: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(content).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(content)}\n"


def build(folder: Path, version: str = bundleops.__version__) -> Path:
    """Write `bundleops-<version>-py3-none-any.whl` of the running code into `folder`, replacing
    any other bundleops wheel there (the folder holds the one the deploy ships)."""
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob(f"{NAME}-*.whl"):
        old.unlink()
    entries = _package_files() + _metadata_files(version)
    record_name = f"{NAME}-{version}.dist-info/RECORD"
    record = "".join(_record_line(name, content) for name, content in entries) + f"{record_name},,\n"
    target = folder / file_name(version)
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in [*entries, (record_name, record.encode())]:
            info = zipfile.ZipInfo(name, date_time=_EPOCH)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, content)
    return target
