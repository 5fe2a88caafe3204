"""A killed run's schema, left in a persistent local metastore, is swept by a later process."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET

import pytest

pytestmark = pytest.mark.spark

# The earlier process: a run that created its schema and a table, then died before clean-up.
KILLED_RUN = textwrap.dedent(
    """
    import sys
    from datetime import datetime, timedelta, timezone
    from pathlib import Path
    from bundleops.testrunner import schemas
    from bundleops.testrunner.spark import local_session

    spark = local_session(metastore_dir=Path(sys.argv[1]))
    now = datetime.now(timezone.utc)
    schemas.create(spark, "spark_catalog", "bundleops_test_killed", timedelta(minutes=30), now - timedelta(hours=1))
    spark.sql("CREATE TABLE spark_catalog.bundleops_test_killed.orders AS SELECT 1 AS order_id")
    schemas.create(spark, "spark_catalog", "bundleops_test_still_running", timedelta(hours=6), now)
    spark.stop()
    """
)


def test_expired_leftover_of_an_earlier_process_is_swept(tmp_path):
    metastore = tmp_path / "metastore"
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    subprocess.run([sys.executable, "-c", KILLED_RUN, str(metastore)], check=True, env=env, capture_output=True, timeout=300)
    warehouse = metastore / "warehouse"
    assert (warehouse / "bundleops_test_killed.db" / "orders").is_dir()

    # A project of one test: the sweep is the subject, and the example's own tests are the runner tests'.
    project = tmp_path / "project"
    (project / "tests" / "integration").mkdir(parents=True)
    (project / "tests" / "integration" / "test_schema.py").write_text("def test_the_run_has_its_schema(spark):\n    assert spark.sql('SELECT 1 AS one').first().one == 1\n")
    reports = tmp_path / "reports"
    result = subprocess.run(
        [sys.executable, "-m", "bundleops.testrunner", "--catalog", "spark_catalog", "--project-root", str(project),
         "--report-folder", str(reports), "--run-id", "later", "--metastore-dir", str(metastore)],
        env=env, capture_output=True, text=True, timeout=300,
    )

    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    sweep = next(p.get("value") for p in ET.parse(reports / "junit.xml").getroot().iter("property") if p.get("name") == "bundleops.phase: phase 1: sweep expired schemas")
    assert sweep == "passed | dropped expired schema spark_catalog.bundleops_test_killed"
    assert not (warehouse / "bundleops_test_killed.db").exists()
    assert (warehouse / "bundleops_test_still_running.db").is_dir()
    assert not (warehouse / "bundleops_test_later.db").exists()  # the later run's own schema is gone too
