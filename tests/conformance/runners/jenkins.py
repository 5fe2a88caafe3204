"""Run a project's Jenkinsfile in the Groovy harness (tests/conformance/jenkins/Harness.groovy).

How a Jenkins multibranch build is simulated, and where it differs from Jenkins:
- No Jenkins: Jenkins and JenkinsPipelineUnit come from Maven Central, which is not reachable
  here. The harness runs the Jenkinsfile and the shared library on Debian's Groovy 2.4 (the line
  Jenkins ships) with stubbed steps; `sh` runs for real. It refuses (exit 3) any step, parameter
  or form it does not model, so a library change it cannot judge never passes. Not modelled: CPS
  serialization, the sandbox, concurrent builds (locks and milestones never wait), timeouts.
- `parallel` follows workflow-cps' documented step ("Takes a map from branch names to closures and
  an optional argument failFast which will terminate all branches upon a failure in any other
  branch", jenkins.io/doc/pipeline/steps/workflow-cps): every branch runs to its end, then the step
  fails with a failed branch's error. The harness runs the branches one after another and records
  each step with its branch; failFast: true is refused (it cannot abort a branch midway).
- Source override: `@Library('bundleops@v<version>') _` names the library and its release; the
  harness maps the name `bundleops` to the working tree's jenkins/ folder (vars/, src/,
  resources/), so the consumer file runs unchanged against the code under test. Any other
  library name is refused.
- Builds: the variables branch-api and the SCM branch source give a multibranch build. A pull
  request is the job `PR-7` (BRANCH_NAME=PR-7, CHANGE_ID, CHANGE_BRANCH, CHANGE_TARGET,
  CHANGE_TITLE, CHANGE_AUTHOR, CHANGE_URL); a push is the job `main` (BRANCH_NAME=main,
  BRANCH_IS_PRIMARY). GIT_COMMIT is not a build variable: a scripted pipeline gets it only from
  `checkout scm` (JENKINS-26100), which the harness answers with the project's HEAD.
- `checkout scm` is a full clone of the project, with its history and its branches as `origin/*`
  (the pull request's target `origin/main` among them): the Git plugin clones the whole history
  unless the branch source's clone options ask for a shallow one, and bundleops' selection of the
  changed bundles needs the merge base.
- Credentials: DATABRICKS_CLIENT_ID/SECRET are not build variables either. They are the
  "Username with password" credentials `databricks-<target>` of the credentials store, and only
  withCredentials binds them, so a step outside it cannot reach them.
- The build file (variables, credentials, the approver) is written with mode 0600; argv holds
  only paths. Branch name and pull-request title reach the build only as CHANGE_* values.
- The schedule: the project's sweep job (Jenkinsfile.sweep, a plain Pipeline job started by its
  timer), with a plain job's variables and no branch. The drift check and the rollback are builds
  of the operations job (Jenkinsfile.operations, a plain Pipeline job on main with the String
  parameter ROLLBACK_TO): the timer's build has ROLLBACK_TO empty, a person's build has the typed
  commit; its `checkout scm` names the branch as the Git plugin does, GIT_BRANCH=origin/main.
- The approval: `input` is answered at once by the approver `release-manager`.
- Every `node` block gets a fresh workspace (a clone of the project), as if on another agent.
  Steps run on this machine with the repository's virtualenv first on PATH, where bundleops is
  the working tree; PIP_NO_INDEX=1 makes the library's pinned pip install resolve to it without a
  download, so a library pinned to another version fails the build.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

from tests.conformance import harness

HARNESS = harness.REPO_ROOT / "tests" / "conformance" / "jenkins" / "Harness.groovy"
LIBRARY_NAME = "bundleops"
LIBRARY_DIR = harness.REPO_ROOT / "jenkins"
CONSUMER_FILE = "Jenkinsfile"
# The sweep job's script (a plain Pipeline job with a timer; docs/jenkins.md).
SWEEP_FILE = "Jenkinsfile.sweep"
# The operations job's script (a plain Pipeline job with a timer and the ROLLBACK_TO parameter; docs/jenkins.md).
OPERATIONS_FILE = "Jenkinsfile.operations"
PLAIN_JOBS = {harness.SCHEDULE: (SWEEP_FILE, "sweep"), harness.DRIFT: (OPERATIONS_FILE, "operations"), harness.ROLLBACK: (OPERATIONS_FILE, "operations")}
JENKINS_URL = "https://jenkins.example.com/"
FOLDER = "data-platform"
BUILD_NUMBER = "12"
APPROVER = "release-manager"
TARGETS = ("dev", "staging", "prod")
# Test-only variables: their values reach the build as CHANGE_BRANCH / CHANGE_TITLE, nothing else.
TEST_ONLY = ("BUNDLEOPS_TEST_BRANCH", "BUNDLEOPS_TEST_PR_TITLE", harness.ROLLBACK_INPUT)
SECRETS = ("DATABRICKS_CLIENT_ID", "DATABRICKS_CLIENT_SECRET")
# Fast JVM start (the harness runs briefly, the pipeline's time is spent in bundleops), and UTF-8
# output, as Jenkins writes its console log (bundleops prints "old → new").
JAVA_OPTS = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xshare:auto -Dfile.encoding=UTF-8 -Dsun.stdout.encoding=UTF-8 -Dsun.stderr.encoding=UTF-8"


def java_home(env: dict[str, str]) -> str:
    """JAVA_HOME for the groovy launcher, which refuses to start without a valid one."""
    configured = env.get("JAVA_HOME") or os.environ.get("JAVA_HOME")
    if configured and (Path(configured) / "bin" / "java").is_file():
        return configured
    java = shutil.which("java")
    if java is None:
        raise RuntimeError("jenkins runner: no java on PATH (the harness needs a JDK for groovy)")
    return str(Path(java).resolve().parents[1])


def job_name(event: str, project: Path) -> str:
    """The branch job's full name in a multibranch project: <folder>/<project>/<branch job>."""
    return f"{FOLDER}/{project.name}/{branch_job(event)}"


def plain_job_variables(project: Path, job: str) -> dict[str, str]:
    """A build of a plain Pipeline job of the project (`<project>-<job>`, e.g. the sweep, script path
    Jenkinsfile.sweep): no branch variables."""
    name = f"{project.name}-{job}"
    job_url = f"{JENKINS_URL}job/{FOLDER}/job/{name}/"
    return {
        "JENKINS_URL": JENKINS_URL,
        "JOB_NAME": f"{FOLDER}/{name}",
        "JOB_BASE_NAME": name,
        "JOB_URL": job_url,
        "BUILD_NUMBER": BUILD_NUMBER,
        "BUILD_ID": BUILD_NUMBER,
        "BUILD_DISPLAY_NAME": f"#{BUILD_NUMBER}",
        "BUILD_TAG": f"jenkins-{FOLDER}-{name}-{BUILD_NUMBER}",
        "BUILD_URL": f"{job_url}{BUILD_NUMBER}/",
    }


def branch_job(event: str) -> str:
    if event == "pull_request":
        return f"PR-{harness.PR_NUMBER}"
    if event == "push":
        return "main"
    raise ValueError(f"jenkins runner: unknown event {event!r} (expected one of {harness.EVENTS})")


def event_variables(event: str, project: Path, env: dict[str, str]) -> dict[str, str]:
    """What Jenkins sets for a multibranch build of the event (core, branch-api, the branch source)."""
    if event in PLAIN_JOBS:
        return plain_job_variables(project, PLAIN_JOBS[event][1])
    job = branch_job(event)
    job_url = f"{JENKINS_URL}job/{FOLDER}/job/{project.name}/job/{job}/"
    variables = {
        "JENKINS_URL": JENKINS_URL,
        "JOB_NAME": job_name(event, project),
        "JOB_BASE_NAME": job,
        "JOB_URL": job_url,
        "BUILD_NUMBER": BUILD_NUMBER,
        "BUILD_ID": BUILD_NUMBER,
        "BUILD_DISPLAY_NAME": f"#{BUILD_NUMBER}",
        "BUILD_TAG": f"jenkins-{FOLDER}-{project.name}-{job}-{BUILD_NUMBER}",
        "BUILD_URL": f"{job_url}{BUILD_NUMBER}/",
        "BRANCH_NAME": job,
    }
    if event == "push":
        return {**variables, "BRANCH_IS_PRIMARY": "true"}
    return {
        **variables,
        "CHANGE_ID": str(harness.PR_NUMBER),
        "CHANGE_URL": f"https://git.example.com/{FOLDER}/{project.name}/pull/{harness.PR_NUMBER}",
        "CHANGE_TITLE": env.get("BUNDLEOPS_TEST_PR_TITLE", harness.PR_TITLE),
        "CHANGE_AUTHOR": "dana",
        "CHANGE_AUTHOR_DISPLAY_NAME": "Dana Dev",
        "CHANGE_AUTHOR_EMAIL": "dana@example.com",
        "CHANGE_BRANCH": env.get("BUNDLEOPS_TEST_BRANCH", harness.FEATURE_BRANCH),
        "CHANGE_TARGET": "main",
    }


def credentials_store(env: dict[str, str]) -> dict[str, dict[str, str]]:
    """The Jenkins credentials the library's defaults name: one "Username with password" per target."""
    if not all(env.get(name) for name in SECRETS):
        return {}
    entry = {"username": env["DATABRICKS_CLIENT_ID"], "password": env["DATABRICKS_CLIENT_SECRET"]}
    return {f"databricks-{target}": dict(entry) for target in TARGETS}


def build_file(event: str, project: Path, env: dict[str, str]) -> dict[str, object]:
    """Everything the harness gets besides paths: the build's variables, the credentials, the approver."""
    variables = {name: value for name, value in env.items() if name not in TEST_ONLY + SECRETS}
    variables.update(PIP_NO_INDEX="1", PIP_DISABLE_PIP_VERSION_CHECK="1")
    variables.update(event_variables(event, project, env))
    build: dict[str, object] = {"env": variables, "credentials": credentials_store(env), "params": {}, "approver": APPROVER}
    if event in (harness.DRIFT, harness.ROLLBACK):
        # The operations job's String parameter (empty by default, as the timer's build has it), on main.
        build.update(params={"ROLLBACK_TO": env.get(harness.ROLLBACK_INPUT, "")}, scmBranch="origin/main")
    return build


def write_private_json(path: Path, document: object) -> None:
    path.touch(mode=0o600)
    path.write_text(json.dumps(document, indent=2), encoding="utf-8")


def harness_command(jenkinsfile: Path, project: Path, build: Path, workdir: Path) -> list[str]:
    return [
        "groovy",
        str(HARNESS),
        "run",
        "--jenkinsfile",
        str(jenkinsfile),
        "--library",
        f"{LIBRARY_NAME}={LIBRARY_DIR}",
        "--scm",
        str(project),
        "--build",
        str(build),
        "--workdir",
        str(workdir),
    ]


def harness_environment(env: dict[str, str], home: Path) -> dict[str, str]:
    """The harness JVM's own environment; the build's variables reach steps only from the build file."""
    home.mkdir(parents=True, exist_ok=True)
    return {"PATH": os.environ["PATH"], "HOME": str(home), "JAVA_HOME": java_home(env), "JAVA_OPTS": JAVA_OPTS}


def run(event: str, project: Path, env: dict[str, str], workdir: Path) -> subprocess.CompletedProcess:
    workdir.mkdir(parents=True, exist_ok=True)
    build = workdir / "build.json"
    write_private_json(build, build_file(event, project, env))
    command = harness_command(project / PLAIN_JOBS.get(event, (CONSUMER_FILE, ""))[0], project, build, workdir)
    return subprocess.run(command, cwd=workdir, env=harness_environment(env, workdir / "home"), capture_output=True, text=True, timeout=900)


def recorded_calls(workdir: Path) -> list[dict]:
    """The steps the harness recorded for a run in `workdir` (its calls.json), in call order."""
    return json.loads((workdir / "calls.json").read_text(encoding="utf-8"))
