"""The private package index, on all five CI systems: each template's own install step, run in bash
with the environment that CI system gives it, hands the index to pip as PIP_INDEX_URL (credentials
included) and prints it nowhere but in the CI system's mask command.

The index is a loopback HTTP server that records each request and answers 404, and the requirement
is a bundleops release no index has: pip asks the private index (with the credentials from the URL),
finds nothing, fails, and installs nothing into the test environment. pip's own configuration
files are switched off (PIP_CONFIG_FILE=/dev/null), so the index can only come from the variable.
"""

from __future__ import annotations

import base64
import http.server
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from tests.conformance.azure_expander import load_yaml
from tests.conformance.harness import REPO_ROOT

USER, PASSWORD = "ci-reader", "s3cret-index-token"
MISSING = "bundleops==99.0.0"
VENV_BIN = Path(sys.executable).parent
EXPRESSION = re.compile(r"^\$\{\{\s*inputs\.([\w-]+)\s*\}\}$")


@dataclass(frozen=True)
class InstallStep:
    """A template's install step: its shell text, the environment the CI gives it, the mask command it prints."""

    script: str
    env: dict[str, str]
    mask: str | None


class RecordingIndex(http.server.ThreadingHTTPServer):
    requests: list[tuple[str, str]]


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        self.server.requests.append((self.path, self.headers.get("Authorization", "")))
        self.send_error(404)

    def log_message(self, *args: object) -> None:
        """Quiet: the test reads `requests`."""


@pytest.fixture
def index() -> Iterator[RecordingIndex]:
    server = RecordingIndex(("127.0.0.1", 0), _Handler)
    server.requests = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def azure(url: str) -> InstallStep:
    """Azure: a secret pipeline variable, mapped by the step's `env:` (`$(PIP_INDEX_URL)` expanded)."""
    document = load_yaml((REPO_ROOT / "azure" / "bundleops.yml").read_text(encoding="utf-8"))
    steps = [step for step in _azure_steps(document) if step.get("displayName") == "Install bundleops"]
    assert len(steps) == 3 and all(step == steps[0] for step in steps), "one install step per job (plan, prod_preview, the legs of the three targets), all alike"
    assert steps[0]["env"] == {"BUNDLEOPS_SOURCE": "${{ parameters.bundleopsSource }}", "PIP_INDEX_URL": "$(PIP_INDEX_URL)"}
    return InstallStep(steps[0]["bash"], {"BUNDLEOPS_SOURCE": MISSING, "PIP_INDEX_URL": url}, f"##vso[task.setsecret]{url}")


def _azure_steps(node: object) -> Iterator[dict]:
    """Every step of the template as written, also inside `${{ each }}` and `${{ if }}` items."""
    if isinstance(node, list):
        for item in node:
            yield from _azure_steps(item)
    elif isinstance(node, dict):
        if "bash" in node or "task" in node:
            yield node
        for value in node.values():
            yield from _azure_steps(value)


def github(url: str) -> InstallStep:
    """GitHub: the PIP_INDEX_URL secret, passed to the setup action's pip-index-url input, mapped by `env:`."""
    action = yaml.safe_load((REPO_ROOT / "github-actions" / "setup" / "action.yml").read_text(encoding="utf-8"))
    (step,) = [step for step in action["runs"]["steps"] if "pip install" in step.get("run", "")]
    inputs = {"bundleops-source": MISSING, "pip-index-url": url}
    env = {name: inputs[EXPRESSION.match(value).group(1)] for name, value in step["env"].items()}
    return InstallStep(step["run"], env, f"::add-mask::{url}")


def gitlab(url: str) -> InstallStep:
    """GitLab: a masked CI/CD variable, which GitLab puts into the job's environment itself."""
    _, body = yaml.safe_load_all((REPO_ROOT / "gitlab" / "bundleops.yml").read_text(encoding="utf-8"))
    lines = [line for job in body.values() if isinstance(job, dict) for line in job.get("before_script", []) if "pip install" in line]
    assert len(lines) == 2 and lines[0] == lines[1], "the plan job and the target jobs install alike"
    assert "PIP_INDEX_URL" not in yaml.safe_dump(body), "the template never sets the index itself"
    return InstallStep(lines[0], {"BUNDLEOPS_SOURCE": MISSING, "PIP_INDEX_URL": url}, None)


def bitbucket(url: str) -> InstallStep:
    """Bitbucket: a secured repository variable, in every step's environment."""
    shared = yaml.safe_load((REPO_ROOT / "bitbucket" / "shared" / "bundleops-pipelines.yml").read_text(encoding="utf-8"))
    (plan, *_) = shared["definitions"]["steps"]
    (install,) = [line for line in plan["step"]["script"] if "pip install" in line]
    return InstallStep(install, {"BUNDLEOPS_SOURCE": MISSING, "PIP_INDEX_URL": url}, None)


def jenkins(url: str) -> InstallStep:
    """Jenkins: a Secret-text credential that withCredentials binds to PIP_INDEX_URL around `setup`."""
    library = (REPO_ROOT / "jenkins" / "vars" / "bundleopsPipeline.groovy").read_text(encoding="utf-8")
    binding = "withCredentials([string(credentialsId: settings.pipIndexCredentialsId, variable: 'PIP_INDEX_URL')]) {\n            sh 'bash .bundleops/ci/bundleops.sh setup'\n        }"
    assert binding in library, "the credential is bound around the install step only"
    script = REPO_ROOT / "jenkins" / "resources" / "io" / "bundleops" / "bundleops.sh"
    return InstallStep(f"bash {script} setup", {"BUNDLEOPS_SOURCE": MISSING, "BUNDLEOPS_PYTHON": "python3", "PIP_INDEX_URL": url}, None)


CI_SYSTEMS = {"azure": azure, "github": github, "gitlab": gitlab, "bitbucket": bitbucket, "jenkins": jenkins}


@pytest.mark.parametrize("ci", CI_SYSTEMS)
def test_the_install_step_asks_the_private_index_and_never_prints_it(ci: str, index: RecordingIndex, tmp_path: Path) -> None:
    url = f"http://{USER}:{PASSWORD}@127.0.0.1:{index.server_address[1]}/simple/"
    step = CI_SYSTEMS[ci](url)
    assert url not in step.script
    env = {"PATH": f"{VENV_BIN}:/usr/bin:/bin", "HOME": str(tmp_path), "PIP_CONFIG_FILE": "/dev/null", "PIP_NO_CACHE_DIR": "1", **step.env}

    result = subprocess.run(["bash", "--noprofile", "--norc", "-c", step.script], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)

    assert result.returncode != 0 and f"No matching distribution found for {MISSING}" in result.stderr, result.stdout + result.stderr
    credentials = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    assert ("/simple/bundleops/", credentials) in index.requests, index.requests
    printed = (result.stdout + result.stderr).splitlines()
    assert [line for line in printed if PASSWORD in line] == ([step.mask] if step.mask else []), "the index is printed only as a mask command"


def test_azure_unsets_the_variable_when_the_pipeline_defines_none() -> None:
    """Without a PIP_INDEX_URL variable Azure leaves the macro as text; pip must not take it for an index."""
    script = azure("unused").script
    guards = "\n".join(line for line in script.splitlines() if "pip install" not in line)
    probe = guards + '\necho "index=${PIP_INDEX_URL-unset}"'
    result = subprocess.run(["bash", "--noprofile", "--norc", "-c", probe], env={"PATH": "/usr/bin:/bin", "PIP_INDEX_URL": "$(PIP_INDEX_URL)"}, capture_output=True, text=True, check=True)
    assert result.stdout.splitlines() == ["index=unset"]
