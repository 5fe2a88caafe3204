"""A cancelled run (SIGTERM, as a job or CI cancel sends) still cleans up and writes its reports."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET

import pytest

from bundleops.testrunner.report import PHASE_PROPERTY

pytestmark = pytest.mark.spark


def test_sigterm_during_the_tests_still_cleans_up_and_reports(tmp_path, example_copy):
    started = tmp_path / "test-started"
    (example_copy / "tests/integration/test_slow.py").write_text(
        "import time\nfrom pathlib import Path\n\n"
        "def test_slow(spark):\n"
        f"    Path({str(started)!r}).write_text('yes')\n"
        "    time.sleep(300)\n"
    )
    reports = tmp_path / "reports"
    process = subprocess.Popen(
        [sys.executable, "-m", "bundleops.testrunner", "--catalog", "spark_catalog", "--project-root", str(example_copy),
         "--report-folder", str(reports), "--run-id", "cancelled"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )
    try:
        deadline = time.monotonic() + 240
        while not started.exists():
            assert process.poll() is None and time.monotonic() < deadline, "the slow test never started"
            time.sleep(0.5)
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()

    assert process.returncode == 1, output[-3000:]
    root = ET.parse(reports / "junit.xml").getroot()
    cases = {c.get("name"): c for c in root.iter("testcase")}
    phases = {p.get("name"): p.get("value") for p in root.iter("property") if p.get("name").startswith(PHASE_PROPERTY)}
    # an interrupted pytest is a failed phase no test case shows: a case, named as the phase
    assert cases["phase 2: pytest"].find("failure").get("message").startswith("pytest stopped with exit code 2: interrupted")
    assert phases[PHASE_PROPERTY + "phase 3: clean-up"] == "passed | dropped spark_catalog.bundleops_test_cancelled"
    assert "phase 3: clean-up" not in cases, "a phase that passed is not a test"
    assert (reports / "coverage.xml").is_file()
