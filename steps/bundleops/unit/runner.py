"""The child process of `bundleops unit`: pytest under coverage.py, reports with relative paths.

Its arguments are `REPORT_DIR SOURCE... -- PYTEST_ARGS...`. `bundleops unit` runs this file by its
path (runpy) in the Python it chose for the project, so it imports only the standard library,
coverage and pytest, never bundleops, which that Python may not have. Coverage starts
before pytest is imported so the project's modules are measured from their first import. The
project's own coverage configuration (.coveragerc, setup.cfg, tox.ini, pyproject.toml) is
honoured; bundleops only forces `relative_files` (paths relative to the project root, which
`bundleops publish` and SonarQube expect) and, when the project sets no `source`, measures the
configured source folders instead of everything imported.
"""

from __future__ import annotations

import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    separator = argv.index("--")
    report_dir, sources, pytest_args = Path(argv[0]), argv[1:separator], argv[separator + 1:]
    report_dir.mkdir(parents=True, exist_ok=True)

    from coverage import Coverage
    from coverage.exceptions import NoDataError

    cov = Coverage(data_file=str(report_dir / ".coverage"), config_file=True)
    cov.set_option("run:relative_files", True)
    if not cov.get_option("run:source") and sources:
        cov.set_option("run:source", sources)
    cov.erase()
    cov.start()
    try:
        import pytest

        code = int(pytest.main([*pytest_args, f"--junitxml={report_dir / 'junit.xml'}"]))
    finally:
        cov.stop()
        cov.save()
    try:
        cov.xml_report(outfile=str(report_dir / "coverage.xml"), ignore_errors=True)
    except NoDataError:
        print(f"bundleops unit: no coverage measured in {', '.join(sources) or 'the project'}", file=sys.stderr)
    return code


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
