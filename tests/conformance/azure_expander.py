"""An Azure Pipelines simulator for exactly the subset of the YAML schema bundleops' template uses.

There is no local Azure Pipelines runner (FACTS.md, "Local runners"), so this module compiles a
pipeline the way Azure DevOps does and runs it on this machine:

compile (Azure docs: "Template expressions", "Templates: extends", "Runtime parameters")
- the consumer file's `extends: template: <path>@<repository>`; the repository is one of its
  `resources.repositories`, resolved to a local folder by the caller (the source override);
- the template's typed `parameters:` (string, boolean, number, object; `values:`; defaults; a
  parameter the template does not declare is an error, as on Azure);
- the consumer's own typed `parameters:` (runtime parameters: the values a run was queued with,
  else their defaults), read by its `extends.parameters`;
- `${{ <expr> }}` in values (a whole-value expression keeps its type, an embedded one becomes a
  string), and `${{ if }}` / `${{ elseif }}` / `${{ else }}` keys in mappings and sequences;
  `${{ each <name> in <expression> }}` as a sequence item ("Template expressions", "Iterative
  insertion"): its items once per element of the array (or key/value pair of the object, as
  `<name>.key` / `<name>.value`), with `<name>` readable in their expressions (in a mapping: refused).

run (Azure docs: "Stages", "Jobs", "Deployment jobs", "Conditions", "Set variables in scripts",
"Define variables", "Variable groups", "Logging commands")
- stages in order with `dependsOn` (default: the previous stage) and `condition` (default
  `succeeded()`), reading `dependencies.<stage>.outputs['<job>.<step>.<var>']`;
- jobs (`job`, and `deployment` with `environment` and `strategy: runOnce: deploy: steps`);
  a job's `strategy: matrix:` ("Jobs": "Multi-job configuration"), a mapping or a runtime
  expression `$[ ... ]` evaluated after the jobs it depends on ran, whose value is a stringified
  JSON object (how a matrix comes from an output variable): one leg per key (a name of letters,
  digits and `_`, starting with a letter, at most 100 characters, as Azure requires), each leg a job
  of its own with the key's fields as variables; an empty matrix (`{}`, empty, null) still runs
  the job once, without matrix variables (MicrosoftDocs/azure-devops-docs#5259: "job is still
  running but variables are empty"), so a template guards it with a condition. `maxParallel` is
  checked and recorded (legs run one after another here); the legs' output variables are not
  published; `strategy: parallel` and matrices on deployment jobs (Azure: "Unexpected value
  'matrix'") are refused;
  environment checks (approvals, exclusive lock) are a callback, asked once per stage before it
  starts, as Azure evaluates checks when a stage starts;
- variables: predefined < pipeline (UI) variables < stage < job, groups from a given library;
  `$[ <expr> ]` runtime values with `stageDependencies.<stage>.<job>.outputs['<step>.<var>']`;
  `$(name)` macros (an unknown name stays as written, like Azure); non-secret variables reach
  scripts as environment variables (`a.b` -> `A_B`), secrets only through `env:`, and every
  secret value is masked as *** in the log;
- steps: `checkout: self` (a fresh clone per job; regular jobs get an implicit one, deployment
  jobs none) with `fetchDepth` ("Pipeline options for Git repositories", "Shallow fetch": pipelines
  created since sprint 209 fetch with depth 1 unless told otherwise, `fetchDepth: 0` fetches the
  whole history with every branch as origin/<branch>; a depth N clones only the checked-out
  branch, N commits deep), `bash`/`script` run for real with `bash --noprofile --norc` (no `-e`, as Azure),
  `##vso[task.setvariable]` (isOutput, isSecret), `##vso[task.setsecret]`, `publish`/`download`
  of pipeline artifacts (a runOnce deploy without a download step downloads every artifact), and
  the tasks UsePythonVersion@0, PublishTestResults@2, PublishCodeCoverageResults@2 (recorded; the
  report files must exist and parse, as the real tasks read them).

How it differs from Azure: one agent (this machine; `pool:` is recorded, not used), jobs run one
after another, a pull-request build checks out the source branch head instead of Azure's merge
commit, the Python of UsePythonVersion must already be first on PATH, and timeouts are recorded,
not enforced. Anything outside the subset raises UnsupportedConstruct naming it: the simulator
never guesses.
"""

from __future__ import annotations

import copy
import fnmatch
import json
import os
import re
import shutil
import subprocess
import tempfile
import uuid
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

import yaml

from tests.conformance.azure_expressions import (
    Context,
    ExpressionError,
    UnsupportedConstruct,
    condition_holds,
    evaluate_text,
    to_bool,
    to_string,
)

__all__ = ["UnsupportedConstruct", "ExpressionError", "PipelineError", "Library", "PipelineRun", "compile_pipeline", "expand", "run_pipeline"]


class PipelineError(Exception):
    """An error Azure would report for this pipeline (a wrong parameter type, a missing variable group, ...)."""


# ============================================================================= compile

_WHOLE_EXPRESSION = re.compile(r"^\s*\$\{\{(.*)\}\}\s*$", re.DOTALL)
_EMBEDDED_EXPRESSION = re.compile(r"\$\{\{(.*?)\}\}", re.DOTALL)
_DIRECTIVE = re.compile(r"^\$\{\{\s*(if|elseif|else|each|insert)\b(.*?)\}\}$", re.DOTALL)
_EACH = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)\s+in\s+(.+)$", re.DOTALL)
PARAMETER_TYPES = ("string", "boolean", "number", "object")
CONSUMER_KEYS = {"parameters", "trigger", "pr", "schedules", "resources", "extends"}
# Predefined variables Azure knows when it compiles the templates ("Use predefined variables":
# the column "Available in templates?"); template expressions read them as variables['...'].
TEMPLATE_VARIABLES = ("Build.Reason", "Build.SourceBranch")
TEMPLATE_KEYS = {"parameters", "stages"}


class _Yaml12Loader(yaml.SafeLoader):
    """YAML as Azure reads it (YAML 1.2 core): only true/false are booleans; yes, no, on, off are strings."""


_Yaml12Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Yaml12Loader.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))


def load_yaml(text: str) -> Any:
    return yaml.load(text, Loader=_Yaml12Loader)  # noqa: S506 - a SafeLoader subclass


def expand(node: Any, values: Mapping[str, Any], where: str) -> Any:
    """A YAML tree with its template expressions evaluated against `values` (parameters, variables)."""
    return _expand(node, Context(where, values), where)


def _expand(node: Any, context: Context, where: str) -> Any:
    """Evaluate template expressions in a YAML tree (strings, `${{ if }}` keys and items)."""
    if isinstance(node, str):
        whole = _WHOLE_EXPRESSION.match(node)
        if whole and "${{" not in whole.group(1):
            return evaluate_text(whole.group(1), Context(where, context.values))
        return _EMBEDDED_EXPRESSION.sub(lambda m: to_string(evaluate_text(m.group(1), Context(where, context.values))), node)
    if isinstance(node, list):
        return _expand_sequence(node, context, where)
    if isinstance(node, dict):
        return _expand_mapping(node, context, where)
    return node


def _directive(key: Any, where: str) -> tuple[str, str] | None:
    """('if'|'elseif'|'else', condition) for a `${{ ... }}` key; None for a plain key."""
    if not isinstance(key, str) or "${{" not in key:
        return None
    match = _DIRECTIVE.match(key.strip())
    if match is None:
        raise UnsupportedConstruct(f"{where}: the template expression key {key!r} (only ${{{{ if }}}}, ${{{{ elseif }}}}, ${{{{ else }}}} keys are supported)")
    kind, condition = match.group(1), match.group(2).strip()
    if kind == "insert":
        raise UnsupportedConstruct(f"{where}: ${{{{ {kind} }}}}")
    if kind == "else" and condition:
        raise ExpressionError(f"{where}: ${{{{ else }}}} takes no condition")
    return kind, condition


class _Chain:
    """The state of an if / elseif / else chain: whether an earlier branch was taken."""

    def __init__(self) -> None:
        self.open = False
        self.taken = False

    def choose(self, kind: str, condition: str, context: Context, where: str) -> bool:
        if kind == "if":
            self.open, self.taken = True, False
        elif not self.open:
            raise ExpressionError(f"{where}: ${{{{ {kind} }}}} without a preceding ${{{{ if }}}}")
        if self.taken:
            return False
        chosen = kind == "else" or to_bool(evaluate_text(condition, Context(where, context.values)))
        self.taken = chosen
        if kind == "else":
            self.open = False
        return chosen


def _expand_mapping(node: dict, context: Context, where: str) -> dict:
    result: dict = {}
    chain = _Chain()
    for key, value in node.items():
        directive = _directive(key, where)
        if directive is None:
            chain.open = False
            result[key] = _expand(value, context, f"{where}.{key}")
            continue
        if directive[0] == "each":
            raise UnsupportedConstruct(f"{where}: ${{{{ each }}}} inside a mapping (only as a sequence item)")
        if chain.choose(*directive, context, where):
            if not isinstance(value, dict):
                raise UnsupportedConstruct(f"{where}: a ${{{{ {directive[0]} }}}} key inside a mapping whose value is not a mapping")
            result.update(_expand_mapping(value, context, where))
    return result


def _expand_sequence(node: list, context: Context, where: str) -> list:
    result: list = []
    chain = _Chain()
    for index, item in enumerate(node):
        directive = _directive(next(iter(item)), where) if isinstance(item, dict) and len(item) == 1 else None
        if directive is None:
            chain.open = False
            result.append(_expand(item, context, f"{where}[{index}]"))
            continue
        (value,) = item.values()
        if directive[0] == "each":
            chain.open = False
            result.extend(_expand_each(directive[1], value, context, f"{where}[{index}]"))
            continue
        if chain.choose(*directive, context, f"{where}[{index}]"):
            if not isinstance(value, list):
                raise UnsupportedConstruct(f"{where}[{index}]: a ${{{{ {directive[0]} }}}} item inside a sequence whose value is not a sequence")
            result.extend(_expand_sequence(value, context, f"{where}[{index}]"))
    return result


def _expand_each(header: str, body: Any, context: Context, where: str) -> list:
    """`${{ each name in collection }}`: the body's items once per element, `name` bound to it."""
    match = _EACH.match(header)
    if match is None:
        raise ExpressionError(f"{where}: ${{{{ each {header} }}}} is not of the form `each <name> in <expression>`")
    if not isinstance(body, list):
        raise UnsupportedConstruct(f"{where}: a ${{{{ each }}}} item inside a sequence whose value is not a sequence")
    name, collection = match.group(1), evaluate_text(match.group(2), Context(where, context.values))
    if isinstance(collection, Mapping):
        elements: list = [{"key": key, "value": value} for key, value in collection.items()]
    elif isinstance(collection, list):
        elements = collection
    else:
        raise ExpressionError(f"{where}: ${{{{ each }}}} over {collection!r}, which is neither an array nor an object")
    result: list = []
    for position, element in enumerate(elements):
        result.extend(_expand_sequence(body, Context(where, {**context.values, name: element}), f"{where}[{name}={position}]"))
    return result


def _check_keys(node: Mapping, allowed: set[str], where: str) -> None:
    unknown = sorted(str(key) for key in node if key not in allowed)
    if unknown:
        raise UnsupportedConstruct(f"{where}: the key(s) {', '.join(unknown)} (supported here: {', '.join(sorted(allowed))})")


def resolve_parameters(declared: Any, passed: Mapping[str, Any], where: str) -> dict[str, Any]:
    """The template's typed parameters: defaults, type checks and `values:`, as Azure compiles them."""
    if not isinstance(declared, list):
        raise UnsupportedConstruct(f"{where}: parameters as a mapping (untyped template parameters); declare a list of typed parameters")
    values: dict[str, Any] = {}
    for spec in declared:
        _check_keys(spec, {"name", "displayName", "type", "default", "values"}, f"{where}.parameters[{spec.get('name')}]")
        name, kind = spec["name"], spec.get("type", "string")
        if kind not in PARAMETER_TYPES:
            raise UnsupportedConstruct(f"{where}: parameter {name} of type {kind} (supported: {', '.join(PARAMETER_TYPES)})")
        if name in passed:
            value = passed[name]
        elif "default" in spec:
            value = spec["default"]
        else:
            raise PipelineError(f"{where}: a value for parameter {name!r} must be provided")
        value = _typed(value, kind, name, where)
        allowed = spec.get("values")
        if allowed is not None and to_string(value) not in [to_string(v) for v in allowed]:
            raise PipelineError(f"{where}: the parameter {name!r} value {value!r} is not a valid value (allowed: {allowed})")
        values[name] = value
    unexpected = sorted(set(passed) - {spec["name"] for spec in declared})
    if unexpected:
        raise PipelineError(f"{where}: unexpected parameter(s) {', '.join(unexpected)}")
    return values


def _typed(value: Any, kind: str, name: str, where: str) -> Any:
    if kind == "object":
        return value
    if kind == "boolean":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in ("true", "false"):
            return value.strip().lower() == "true"
    elif kind == "number":
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return value
        if isinstance(value, str):
            try:
                return float(value) if "." in value else int(value)
            except ValueError:
                pass
    elif kind == "string":
        if isinstance(value, str):
            return value
        if isinstance(value, (int, float, bool)):
            return to_string(value)
    raise PipelineError(f"{where}: the value {value!r} of parameter {name!r} is not a {kind}")


@dataclass(frozen=True)
class Repository:
    alias: str
    name: str
    ref: str
    path: Path


@dataclass
class CompiledPipeline:
    """The pipeline after template expansion: what Azure shows as 'Download full YAML'."""

    consumer: dict
    template_file: Path | None
    repositories: dict[str, Repository]
    parameters: dict[str, Any]
    stages: list[dict]


def _repositories(consumer: dict, sources: Mapping[str, Path], where: str) -> dict[str, Repository]:
    resources = consumer.get("resources") or {}
    _check_keys(resources, {"repositories"}, f"{where}.resources")
    found: dict[str, Repository] = {}
    for entry in resources.get("repositories") or []:
        _check_keys(entry, {"repository", "type", "name", "ref"}, f"{where}.resources.repositories[{entry.get('repository')}]")
        if entry.get("type") != "git":
            raise UnsupportedConstruct(f"{where}: repository resource of type {entry.get('type')!r} (only Azure Repos, type: git)")
        name = str(entry["name"])
        if name not in sources:
            raise PipelineError(f"{where}: repository {name!r} is not available to this simulation (known: {', '.join(sources)})")
        found[str(entry["repository"])] = Repository(str(entry["repository"]), name, str(entry.get("ref", "")), Path(sources[name]))
    return found


def compile_pipeline(
    consumer_file: Path,
    sources: Mapping[str, Path],
    predefined: Mapping[str, str] | None = None,
    runtime_parameters: Mapping[str, Any] | None = None,
) -> CompiledPipeline:
    """Read the consumer file, resolve `extends` into its template (from `sources`: repository name
    -> local folder, the source override) and expand every template expression. Of `predefined`,
    the TEMPLATE_VARIABLES are what `variables[...]` reads at compile time (none: every one is null).
    `runtime_parameters` are the values given when the run was queued for the consumer's own typed
    `parameters:` ("Runtime parameters": a scheduled run, or a value not given, takes the default);
    the consumer's `extends.parameters` read them as `parameters.<name>`."""
    where = consumer_file.name
    consumer = load_yaml(consumer_file.read_text(encoding="utf-8"))
    if not isinstance(consumer, dict):
        raise PipelineError(f"{where}: not a YAML mapping")
    _check_keys(consumer, CONSUMER_KEYS, where)
    if "extends" not in consumer:
        raise UnsupportedConstruct(f"{where}: a pipeline without `extends:` (the simulator runs extends pipelines)")
    repositories = _repositories(consumer, sources, where)
    extends = consumer["extends"]
    _check_keys(extends, {"template", "parameters"}, f"{where}.extends")
    path, _, alias = str(extends["template"]).partition("@")
    if alias and alias != "self":
        if alias not in repositories:
            raise PipelineError(f"{where}: extends names repository {alias!r}, which resources.repositories does not declare")
        template_file = repositories[alias].path / path
    else:
        template_file = consumer_file.parent / path
    if not template_file.is_file():
        raise PipelineError(f"{where}: template {extends['template']} not found ({template_file})")
    template = load_yaml(template_file.read_text(encoding="utf-8"))
    twhere = str(extends["template"])
    _check_keys(template, TEMPLATE_KEYS, twhere)
    variables = {name: value for name, value in (predefined or {}).items() if name in TEMPLATE_VARIABLES}
    runtime = resolve_parameters(consumer.get("parameters") or [], runtime_parameters or {}, f"{where} (runtime parameters)")
    passed = expand(extends.get("parameters") or {}, {"parameters": runtime, "variables": variables}, f"{where}.extends.parameters")
    parameters = resolve_parameters(template.get("parameters") or [], passed, twhere)
    stages = expand(template.get("stages") or [], {"parameters": parameters, "variables": variables}, f"{twhere}.stages")
    return CompiledPipeline(consumer, template_file, repositories, parameters, stages)


# ============================================================================= triggers


def _matches(patterns: Any, value: str) -> bool:
    return any(fnmatch.fnmatchcase(value, str(p)) or fnmatch.fnmatchcase(f"refs/heads/{value}", str(p)) for p in patterns or [])


def _filter_allows(spec: Any, value: str, where: str) -> bool:
    if spec is None:
        return False
    if isinstance(spec, list):
        return _matches(spec, value)
    if isinstance(spec, dict):
        _check_keys(spec, {"include", "exclude"}, where)
        return _matches(spec.get("include"), value) and not _matches(spec.get("exclude"), value)
    raise UnsupportedConstruct(f"{where}: the filter {spec!r}")


def triggered(consumer: dict, reason: str, branch: str | None, tag: str | None, target_branch: str | None) -> bool:
    """Whether the consumer's `trigger:` (CI), `pr:` (pull request) or `schedules:` starts a run for this event.
    A missing `trigger:` means every branch, as on Azure; `pr:` applies to GitHub and Bitbucket
    repositories (Azure Repos uses a branch policy, which the runner stands in for)."""
    if reason == "Manual":
        return True  # "Run pipeline" starts any pipeline on any branch, whatever its triggers say
    if reason == "Schedule":
        return any(_filter_allows((schedule or {}).get("branches"), branch or "", "schedules.branches") for schedule in consumer.get("schedules") or [])
    if reason == "PullRequest":
        spec = consumer.get("pr", {"branches": {"include": ["*"]}})
        if spec == "none":
            return False
        if isinstance(spec, list):
            return _matches(spec, target_branch or "")
        _check_keys(spec, {"branches"}, "pr")
        return _filter_allows(spec.get("branches"), target_branch or "", "pr.branches")
    spec = consumer.get("trigger", {"branches": {"include": ["*"]}})
    if spec == "none":
        return False
    if isinstance(spec, list):
        return branch is not None and _matches(spec, branch)
    _check_keys(spec, {"branches", "tags"}, "trigger")
    if tag is not None:
        return _filter_allows(spec.get("tags"), tag, "trigger.tags")
    return branch is not None and _filter_allows(spec.get("branches"), branch, "trigger.branches")


# ============================================================================= run: data

STAGE_KEYS = {"stage", "displayName", "dependsOn", "condition", "variables", "jobs", "lockBehavior"}
JOB_KEYS = {"job", "displayName", "pool", "steps", "variables", "dependsOn", "condition", "timeoutInMinutes", "strategy"}
MATRIX_KEYS = {"matrix", "maxParallel"}
# "Matrix configuration names ... must contain only basic Latin alphabet letters (A-Z, a-z), numbers,
# and underscores (_). They must start with a letter. Also, they must be 100 characters or less."
_LEG_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,99}$")
# Shallow fetch is on with depth 1 for pipelines created since the September 2022 sprint 209 update.
DEFAULT_FETCH_DEPTH = 1
DEPLOYMENT_KEYS = {"deployment", "displayName", "pool", "environment", "strategy", "variables", "dependsOn", "condition", "timeoutInMinutes"}
SCRIPT_KEYS = {"bash", "script", "displayName", "name", "condition", "env"}
TASK_INPUTS = {
    "UsePythonVersion@0": ({"versionSpec"}, {"versionSpec", "addToPath", "architecture"}),
    "PublishTestResults@2": ({"testResultsFiles"}, {"testResultsFormat", "testResultsFiles", "searchFolder", "testRunTitle", "mergeTestResults", "failTaskOnMissingResultsFile"}),
    "PublishCodeCoverageResults@2": ({"summaryFileLocation"}, {"summaryFileLocation", "pathToSources", "failIfCoverageEmpty"}),
}
_MACRO = re.compile(r"\$\(([A-Za-z_][A-Za-z0-9_.\-]*)\)")
_RUNTIME = re.compile(r"^\s*\$\[(.*)\]\s*$", re.DOTALL)
_LOGGING_COMMAND = re.compile(r"^##vso\[(?P<command>[\w.]+)(?P<properties>[^\]]*)\](?P<data>.*)$")
SUCCEEDED, FAILED, SKIPPED = "Succeeded", "Failed", "Skipped"


@dataclass
class VariableGroup:
    variables: dict[str, str]
    secrets: frozenset[str] = frozenset()


Library = Mapping[str, VariableGroup]
Approver = Callable[[str, str], bool]  # (environment, stage) -> approved


@dataclass
class Variable:
    value: str
    secret: bool = False


@dataclass
class StepRecord:
    stage: str
    job: str
    name: str | None
    display_name: str
    kind: str  # script, task:<name>, checkout, publish, download
    result: str
    inputs: dict[str, Any] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)


@dataclass
class JobRecord:
    stage: str
    name: str
    kind: str  # job or deployment
    result: str
    environment: str | None
    workspace: Path | None
    variables: dict[str, str] = field(default_factory=dict)  # non-secret, at job start
    outputs: dict[str, str] = field(default_factory=dict)  # '<step>.<name>' -> value


@dataclass
class StageRecord:
    name: str
    result: str
    approved: bool | None = None


@dataclass
class PipelineRun:
    returncode: int
    log: str
    stages: list[StageRecord]
    jobs: list[JobRecord]
    steps: list[StepRecord]
    compiled: CompiledPipeline
    artifacts: dict[str, Path]

    def job(self, stage: str, name: str | None = None) -> JobRecord:
        return next(job for job in self.jobs if job.stage == stage and (name is None or job.name == name))

    def stage(self, name: str) -> StageRecord:
        return next(stage for stage in self.stages if stage.name == name)

    def to_json(self) -> dict[str, Any]:
        return {
            "returncode": self.returncode,
            "stages": [{"name": s.name, "result": s.result, "approved": s.approved} for s in self.stages],
            "jobs": [{"stage": j.stage, "name": j.name, "kind": j.kind, "result": j.result, "environment": j.environment, "workspace": str(j.workspace), "outputs": j.outputs, "variables": j.variables} for j in self.jobs],
            "steps": [
                {"stage": s.stage, "job": s.job, "name": s.name, "displayName": s.display_name, "kind": s.kind, "result": s.result, "inputs": s.inputs, "files": s.files}
                for s in self.steps
            ],
        }


# ============================================================================= run: engine


def env_name(variable: str) -> str:
    """How Azure names a variable in a script's environment: upper case, '.' and ' ' become '_'."""
    return variable.upper().replace(".", "_").replace(" ", "_")


class _Log:
    """The run's log, with every secret value masked as Azure masks it."""

    def __init__(self) -> None:
        self._lines: list[str] = []
        self._secrets: set[str] = set()

    def secret(self, value: str) -> None:
        if value:
            self._secrets.add(value)

    def write(self, line: str) -> None:
        for value in sorted(self._secrets, key=len, reverse=True):
            line = line.replace(value, "***")
        self._lines.append(line)

    def text(self) -> str:
        return "\n".join(self._lines) + "\n"


@dataclass
class _JobState:
    stage: str
    name: str
    variables: dict[str, Variable]
    workspace: Path
    status: str = SUCCEEDED
    outputs: dict[str, str] = field(default_factory=dict)


class Simulator:
    """Runs a compiled pipeline. `predefined` are the run's predefined variables (Build.*, System.*),
    `pipeline_variables` the variables set in the pipeline's settings, `secrets` which of those are
    secret, `library` the project's variable groups, `agent_env` the agent machine's environment
    (PATH, HOME), `approve` the people behind the environments' checks."""

    def __init__(
        self,
        compiled: CompiledPipeline,
        *,
        project: Path,
        workdir: Path,
        predefined: Mapping[str, str],
        pipeline_variables: Mapping[str, str],
        secrets: frozenset[str],
        library: Library,
        agent_env: Mapping[str, str],
        approve: Approver,
        step_timeout: float = 900,
    ) -> None:
        self.compiled = compiled
        self.project = project
        self.workdir = workdir
        self.predefined = dict(predefined)
        self.pipeline_variables = dict(pipeline_variables)
        self.secrets = secrets
        self.library = library
        self.agent_env = dict(agent_env)
        self.approve = approve
        self.step_timeout = step_timeout
        self.log = _Log()
        self.stages: list[StageRecord] = []
        self.jobs: list[JobRecord] = []
        self.steps: list[StepRecord] = []
        self.artifacts: dict[str, Path] = {}
        self._stage_results: dict[str, str] = {}
        self._stage_outputs: dict[str, dict[str, dict[str, str]]] = {}  # stage -> job -> {'step.var': value}
        for name in self.secrets:
            self.log.secret(self.pipeline_variables.get(name, ""))
        self.log.secret(self.predefined.get("System.AccessToken", ""))

    # ------------------------------------------------------------------ stages

    def run(self) -> PipelineRun:
        stages = self.compiled.stages
        names = [self._stage_name(stage, index) for index, stage in enumerate(stages)]
        if len(set(names)) != len(names):
            raise PipelineError(f"stage names must be unique: {names}")
        for index, stage in enumerate(stages):
            _check_keys(stage, STAGE_KEYS, f"stage {names[index]}")
            depends = self._depends(stage.get("dependsOn", names[index - 1] if index else []), f"stage {names[index]}")
            for dependency in depends:
                if dependency not in names[:index]:
                    raise UnsupportedConstruct(f"stage {names[index]}: dependsOn {dependency!r}, which is not an earlier stage")
            self._run_stage(stage, names[index], depends)
        failed = any(job.result == FAILED for job in self.jobs) or any(s.result == FAILED for s in self.stages)
        self.log.write(f"##[section]Finishing: pipeline ({'failed' if failed else 'succeeded'})")
        return PipelineRun(1 if failed else 0, self.log.text(), self.stages, self.jobs, self.steps, self.compiled, dict(self.artifacts))

    @staticmethod
    def _stage_name(stage: dict, index: int) -> str:
        name = stage.get("stage")
        if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            raise PipelineError(f"stages[{index}]: a stage needs a name of letters, digits and _ (got {name!r})")
        return name

    @staticmethod
    def _depends(value: Any, where: str) -> list[str]:
        if isinstance(value, str):
            return [value]
        if isinstance(value, list) and all(isinstance(item, str) for item in value):
            return list(value)
        raise UnsupportedConstruct(f"{where}: dependsOn {value!r}")

    def _run_stage(self, stage: dict, name: str, depends: list[str]) -> None:
        self.log.write(f"##[section]Stage {name}: {stage.get('displayName', name)}")
        dependencies = {dep: {"result": self._stage_results[dep], "outputs": self._flat_outputs(dep)} for dep in depends}
        status = {
            "succeeded": lambda: all(dependencies[d]["result"] == SUCCEEDED for d in depends),
            "failed": lambda: any(dependencies[d]["result"] == FAILED for d in depends),
            "succeededOrFailed": lambda: True,
            "always": lambda: True,
            "canceled": lambda: False,
        }
        context = Context(f"condition of stage {name}", {"dependencies": dependencies, "variables": self._plain(self._base_variables())}, status)
        if not condition_holds(stage.get("condition", "succeeded()"), context):
            self.log.write(f"Stage {name} skipped: condition {stage.get('condition', 'succeeded()')!r} is false")
            self._finish_stage(StageRecord(name, SKIPPED))
            return
        if stage.get("lockBehavior", "runLatest") not in ("sequential", "runLatest"):
            raise PipelineError(f"stage {name}: lockBehavior {stage['lockBehavior']!r} (sequential or runLatest)")
        jobs = stage.get("jobs") or []
        environments = [self._environment(job, name) for job in jobs if isinstance(job, dict) and "deployment" in job]
        approved: bool | None = None
        for environment in dict.fromkeys(environments):
            approved = self.approve(environment, name)
            self.log.write(f"Checks of environment {environment!r} for stage {name}: {'approved' if approved else 'rejected'}")
            if not approved:
                self._finish_stage(StageRecord(name, FAILED, approved=False))
                return
        runtime = {"dependencies": dependencies, "stageDependencies": self._stage_dependencies(exclude=name)}
        variables = self._variable_list(stage.get("variables"), f"stage {name}", self._base_variables(), runtime)
        results = self._run_jobs(jobs, name, variables)
        result = FAILED if FAILED in results else (SKIPPED if results and all(r == SKIPPED for r in results) else SUCCEEDED)
        self._finish_stage(StageRecord(name, result, approved=approved))

    def _finish_stage(self, record: StageRecord) -> None:
        self.stages.append(record)
        self._stage_results[record.name] = record.result
        self.log.write(f"##[section]Stage {record.name}: {record.result}")

    def _stage_dependencies(self, exclude: str) -> dict[str, dict[str, dict[str, dict[str, str]]]]:
        """`stageDependencies.<stage>.<job>.outputs['<step>.<var>']` of the stages run so far."""
        return {s: {j: {"outputs": dict(o)} for j, o in jobs.items()} for s, jobs in self._stage_outputs.items() if s != exclude}

    def _flat_outputs(self, stage: str) -> dict[str, str]:
        """A stage's outputs as `dependencies.<stage>.outputs['<job>.<step>.<var>']` reads them."""
        return {f"{job}.{key}": value for job, outputs in self._stage_outputs.get(stage, {}).items() for key, value in outputs.items()}

    # ------------------------------------------------------------------ variables

    def _base_variables(self) -> dict[str, Variable]:
        variables = {name: Variable(value, secret=(name == "System.AccessToken")) for name, value in self.predefined.items()}
        for name, value in self.pipeline_variables.items():
            variables[name] = Variable(value, secret=name in self.secrets)
        return variables

    @staticmethod
    def _plain(variables: Mapping[str, Variable]) -> dict[str, str]:
        """Variables as expressions read them; a secret reads as its value too (Azure allows that in conditions)."""
        return {name: variable.value for name, variable in variables.items()}

    def _variable_list(self, spec: Any, where: str, inherited: dict[str, Variable], runtime: Mapping[str, Any]) -> dict[str, Variable]:
        """Apply a `variables:` block (list or mapping form) on top of the inherited variables."""
        variables = dict(inherited)
        if spec is None:
            return variables
        items: list[dict] = [{"name": k, "value": v} for k, v in spec.items()] if isinstance(spec, dict) else spec
        if not isinstance(items, list):
            raise UnsupportedConstruct(f"{where}: variables {spec!r}")
        for item in items:
            if "group" in item:
                _check_keys(item, {"group"}, f"{where}.variables")
                group = self.library.get(str(item["group"]))
                if group is None:
                    raise PipelineError(f"{where}: variable group {item['group']!r} could not be found or is not authorized for this pipeline")
                for name, value in group.variables.items():
                    variables[name] = Variable(value, secret=name in group.secrets)
                    if name in group.secrets:
                        self.log.secret(value)
                continue
            _check_keys(item, {"name", "value"}, f"{where}.variables")
            value = item.get("value")
            if isinstance(value, (dict, list)):
                raise UnsupportedConstruct(f"{where}: variable {item['name']} has a non-scalar value")
            text = to_string(value)
            runtime_expression = _RUNTIME.match(text)
            if runtime_expression:
                context = Context(f"{where}: variable {item['name']}", {**runtime, "variables": self._plain(variables)})
                text = to_string(evaluate_text(runtime_expression.group(1), context))
            variables[str(item["name"])] = Variable(text)
        return variables

    def _macro(self, text: str, variables: Mapping[str, Variable]) -> str:
        """`$(name)` replaced once, values never re-scanned; an unknown name stays as written."""
        lowered = {name.casefold(): variable.value for name, variable in variables.items()}
        return _MACRO.sub(lambda m: lowered.get(m.group(1).casefold(), m.group(0)), text)

    # ------------------------------------------------------------------ jobs

    def _environment(self, job: dict, stage: str) -> str:
        environment = job.get("environment")
        if isinstance(environment, dict):
            _check_keys(environment, {"name"}, f"stage {stage} deployment {job.get('deployment')}.environment")
            environment = environment.get("name")
        if not isinstance(environment, str) or not environment:
            raise PipelineError(f"stage {stage}: deployment {job.get('deployment')} needs an environment name")
        return environment

    def _run_jobs(self, jobs: list, stage: str, stage_variables: dict[str, Variable]) -> list[str]:
        results: dict[str, str] = {}
        outputs: dict[str, dict[str, str]] = {}
        self._stage_outputs[stage] = outputs
        for job in jobs:
            if not isinstance(job, dict):
                raise UnsupportedConstruct(f"stage {stage}: job {job!r}")
            if "job" in job:
                kind, keys = "job", JOB_KEYS
            elif "deployment" in job:
                kind, keys = "deployment", DEPLOYMENT_KEYS
            else:
                raise UnsupportedConstruct(f"stage {stage}: a job of the form {sorted(job)} (supported: job, deployment)")
            name = str(job[kind])
            _check_keys(job, keys, f"stage {stage} {kind} {name}")
            depends = self._depends(job.get("dependsOn", []), f"stage {stage} job {name}")
            for dependency in depends:
                if dependency not in results:
                    raise UnsupportedConstruct(f"stage {stage} job {name}: dependsOn {dependency!r}, which is not an earlier job of the stage")
            results[name] = self._run_job(job, kind, name, stage, stage_variables, depends, results, outputs)
        return list(results.values())

    def _run_job(
        self,
        job: dict,
        kind: str,
        name: str,
        stage: str,
        stage_variables: dict[str, Variable],
        depends: list[str],
        results: dict[str, str],
        outputs: dict[str, dict[str, str]],
    ) -> str:
        where = f"stage {stage} {kind} {name}"
        self.log.write(f"##[section]Job {stage}.{name}: {job.get('displayName', name)}")
        dependencies = {dep: {"result": results[dep], "outputs": dict(outputs.get(dep, {}))} for dep in depends}
        stage_dependencies = self._stage_dependencies(exclude=stage)
        status = {
            "succeeded": lambda: all(results[d] == SUCCEEDED for d in depends),
            "failed": lambda: any(results[d] == FAILED for d in depends),
            "succeededOrFailed": lambda: True,
            "always": lambda: True,
            "canceled": lambda: False,
        }
        runtime = {"dependencies": dependencies, "stageDependencies": stage_dependencies}
        condition = job.get("condition", "succeeded()")
        if not condition_holds(condition, Context(f"condition of {where}", {**runtime, "variables": self._plain(stage_variables)}, status)):
            self.log.write(f"Job {stage}.{name} skipped: condition {condition!r} is false")
            self.jobs.append(JobRecord(stage, name, kind, SKIPPED, None, None))
            return SKIPPED
        if "timeoutInMinutes" in job and not isinstance(job["timeoutInMinutes"], (int, float)):
            raise PipelineError(f"{where}: timeoutInMinutes {job['timeoutInMinutes']!r} is not a number")
        legs = self._matrix(job, kind, where, runtime, stage_variables)
        if legs is None:
            state = self._run_instance(job, kind, name, stage, stage_variables, runtime, {})
            # Deployment jobs' outputs are named <hook>_<job>.<step>.<var> on Azure: not simulated, so not readable.
            outputs[name] = state.outputs if kind == "job" else {}
            return state.status
        # A leg's output variables are named after the leg on Azure: not simulated, so not readable.
        outputs[name] = {}
        statuses = [self._run_instance(job, kind, f"{name} {leg}", stage, stage_variables, runtime, fields).status for leg, fields in legs.items()]
        return FAILED if FAILED in statuses else SUCCEEDED

    def _matrix(self, job: dict, kind: str, where: str, runtime: Mapping[str, Any], stage_variables: dict[str, Variable]) -> dict[str, dict[str, str]] | None:
        """The legs of a job's `strategy: matrix:` (leg name -> its variables); None for a job without
        a matrix or whose matrix is empty (Azure then runs the job once, without matrix variables)."""
        strategy = job.get("strategy")
        if kind != "job" or strategy is None:
            return None
        if not isinstance(strategy, dict):
            raise UnsupportedConstruct(f"{where}: strategy {strategy!r}")
        _check_keys(strategy, MATRIX_KEYS, f"{where}.strategy")
        limit = strategy.get("maxParallel", 0)
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
            raise PipelineError(f"{where}: maxParallel {limit!r} is not a whole number")
        matrix = strategy.get("matrix")
        if isinstance(matrix, str):
            runtime_expression = _RUNTIME.match(matrix)
            if runtime_expression is None:
                raise PipelineError(f"{where}: matrix {matrix!r} is neither a mapping nor a runtime expression $[ ... ]")
            context = Context(f"{where}: strategy.matrix", {**runtime, "variables": self._plain(stage_variables)})
            text = to_string(evaluate_text(runtime_expression.group(1), context)).strip()
            try:
                matrix = json.loads(text) if text else {}
            except json.JSONDecodeError as error:
                raise PipelineError(f"{where}: the matrix {text[:200]!r} is not a JSON object ({error}); the simulator reads strict JSON") from error
        if not matrix:
            self.log.write(f"##[warning]{where}: the matrix is empty: Azure runs the job once, without matrix variables")
            return None
        if not isinstance(matrix, dict):
            raise PipelineError(f"{where}: the matrix {matrix!r} is not a mapping of leg names to variables")
        legs: dict[str, dict[str, str]] = {}
        for leg, fields in matrix.items():
            if not _LEG_NAME.match(str(leg)):
                raise PipelineError(f"{where}: the matrix configuration name {leg!r} must contain only letters A-Z, a-z, digits and _, start with a letter and be 100 characters or less")
            if not isinstance(fields, dict) or any(isinstance(value, (dict, list)) for value in fields.values()):
                raise UnsupportedConstruct(f"{where}: the matrix leg {leg} is not a mapping of variable names to scalar values")
            legs[str(leg)] = {str(variable): to_string(value) for variable, value in fields.items()}
        self.log.write(f"Matrix of {where}: {len(legs)} legs ({', '.join(legs)}), maxParallel {limit or 'unlimited'}")
        return legs

    def _run_instance(
        self, job: dict, kind: str, name: str, stage: str, stage_variables: dict[str, Variable], runtime: Mapping[str, Any], matrix: dict[str, str],
    ) -> _JobState:
        """One run of a job on the agent: the job itself, or one leg of its matrix (`matrix`: the leg's variables)."""
        where = f"stage {stage} {kind} {name}"
        environment = self._environment(job, stage) if kind == "deployment" else None
        workspace = Path(tempfile.mkdtemp(prefix=f"{stage}.{name.replace(' ', '.')}.", dir=self._agent_dir()))
        variables = self._job_variables(stage, name, workspace, environment, stage_variables)
        variables = self._variable_list(job.get("variables"), where, variables, runtime)
        variables.update({variable: Variable(value) for variable, value in matrix.items()})
        state = _JobState(stage, name, variables, workspace)
        if matrix:
            self.log.write(f"##[section]Job {stage}.{name}: matrix leg")
        for index, step in enumerate(self._job_steps(job, kind, where)):
            self._run_step(step, index, state)
        record = JobRecord(stage, name, kind, state.status, environment, workspace / "s", {k: v.value for k, v in variables.items() if not v.secret}, dict(state.outputs))
        self.jobs.append(record)
        self.log.write(f"##[section]Job {stage}.{name}: {state.status}")
        return state

    def _agent_dir(self) -> Path:
        path = self.workdir / "agent"
        path.mkdir(parents=True, exist_ok=True)
        return path

    def _job_variables(self, stage: str, job: str, workspace: Path, environment: str | None, inherited: dict[str, Variable]) -> dict[str, Variable]:
        sources = workspace / "s"
        folders = {"s": sources, "a": workspace / "a", "b": workspace / "b", "TestResults": workspace / "TestResults", "tmp": workspace / "_temp"}
        for folder in folders.values():
            folder.mkdir(parents=True, exist_ok=True)
        per_job = {
            "Pipeline.Workspace": str(workspace),
            "Agent.BuildDirectory": str(workspace),
            "Agent.TempDirectory": str(folders["tmp"]),
            "Agent.JobName": job,
            "Agent.OS": "Linux",
            "Build.SourcesDirectory": str(sources),
            "System.DefaultWorkingDirectory": str(sources),
            "Build.ArtifactStagingDirectory": str(folders["a"]),
            "Build.StagingDirectory": str(folders["a"]),
            "Build.BinariesDirectory": str(folders["b"]),
            "Common.TestResultsDirectory": str(folders["TestResults"]),
            "System.StageName": stage,
            "System.JobName": job,
            "System.PhaseName": job,
            "System.JobId": str(uuid.uuid4()),
        }
        if environment is not None:
            per_job.update({"Environment.Name": environment, "Strategy.Name": "runOnce"})
        variables = dict(inherited)
        variables.update({name: Variable(value) for name, value in per_job.items()})
        return variables

    @staticmethod
    def _job_steps(job: dict, kind: str, where: str) -> list[dict]:
        if kind == "job":
            steps = list(job.get("steps") or [])
            if not any(isinstance(step, dict) and "checkout" in step for step in steps):
                steps.insert(0, {"checkout": "self"})  # a regular job checks out its repository unless told not to
            return steps
        strategy = job.get("strategy")
        if isinstance(strategy, dict) and "matrix" in strategy:
            raise PipelineError(f"{where}: Unexpected value 'matrix' (a deployment job's strategy is runOnce, rolling or canary; microsoft/azure-pipelines-yaml#364)")
        if not isinstance(strategy, dict) or set(strategy) != {"runOnce"}:
            raise UnsupportedConstruct(f"{where}: strategy {strategy!r} (only runOnce)")
        hooks = strategy["runOnce"]
        if not isinstance(hooks, dict) or set(hooks) != {"deploy"}:
            raise UnsupportedConstruct(f"{where}: runOnce lifecycle hooks {sorted(hooks) if isinstance(hooks, dict) else hooks!r} (only deploy)")
        deploy = hooks["deploy"]
        _check_keys(deploy, {"steps"}, f"{where}.strategy.runOnce.deploy")
        steps = list(deploy.get("steps") or [])
        if not any(isinstance(step, dict) and "download" in step for step in steps):
            steps.insert(0, {"download": "current"})  # the deploy hook downloads every artifact unless told otherwise
        return steps

    # ------------------------------------------------------------------ steps

    def _run_step(self, step: Any, index: int, state: _JobState) -> None:
        if not isinstance(step, dict):
            raise UnsupportedConstruct(f"stage {state.stage} job {state.name} step {index}: {step!r}")
        kind = next((key for key in ("bash", "script", "task", "checkout", "publish", "download") if key in step), None)
        if kind is None:
            raise UnsupportedConstruct(f"stage {state.stage} job {state.name} step {index}: a step of the form {sorted(step)} (supported: bash, script, task, checkout, publish, download)")
        where = f"stage {state.stage} job {state.name} step {step.get('name') or step.get('displayName') or index}"
        display = self._macro(str(step.get("displayName") or _default_display(kind, step)), state.variables).splitlines()[0]
        condition = step.get("condition", "succeeded()")
        status = {
            "succeeded": lambda: state.status == SUCCEEDED,
            "failed": lambda: state.status == FAILED,
            "succeededOrFailed": lambda: True,
            "always": lambda: True,
            "canceled": lambda: False,
        }
        if not condition_holds(condition, Context(f"condition of {where}", {"variables": self._plain(state.variables)}, status)):
            self.log.write(f"##[section]Skipping: {display} (condition {condition!r} is false)")
            self.steps.append(StepRecord(state.stage, state.name, step.get("name"), display, kind, SKIPPED))
            return
        self.log.write(f"##[section]Starting: {display}")
        handler = {
            "bash": self._script,
            "script": self._script,
            "task": self._task,
            "checkout": self._checkout,
            "publish": self._publish,
            "download": self._download,
        }[kind]
        record = handler(step, state, where, display)
        self.steps.append(record)
        if record.result == FAILED:
            state.status = FAILED
        self.log.write(f"##[section]Finishing: {display} ({record.result})")

    def _record(self, state: _JobState, step: dict, display: str, kind: str, ok: bool, **extra: Any) -> StepRecord:
        return StepRecord(state.stage, state.name, step.get("name"), display, kind, SUCCEEDED if ok else FAILED, **extra)

    def _checkout(self, step: dict, state: _JobState, where: str, display: str) -> StepRecord:
        _check_keys(step, {"checkout", "displayName", "condition", "fetchDepth"}, where)
        if step["checkout"] == "none":
            return self._record(state, step, display, "checkout", True)
        if step["checkout"] != "self":
            raise UnsupportedConstruct(f"{where}: checkout of {step['checkout']!r} (only self and none)")
        depth = step.get("fetchDepth", DEFAULT_FETCH_DEPTH)
        if isinstance(depth, bool) or not isinstance(depth, int) or depth < 0:
            raise PipelineError(f"{where}: fetchDepth {depth!r} is not a whole number (0: the whole history)")
        sources = Path(state.variables["Build.SourcesDirectory"].value)
        shutil.rmtree(sources)
        # A depth needs a file:// URL (a local path clone ignores --depth), and fetches the checked-out branch only.
        origin = ["--depth", str(depth), self.project.resolve().as_uri()] if depth else [str(self.project)]
        result = subprocess.run(["git", "clone", "--quiet", *origin, str(sources)], capture_output=True, text=True, env=self._git_env())
        self.log.write(f"Checked out {'the whole history' if not depth else f'{depth} commit(s) of the branch (shallow fetch)'}")
        for line in (result.stdout + result.stderr).splitlines():
            self.log.write(line)
        return self._record(state, step, display, "checkout", result.returncode == 0)

    def _git_env(self) -> dict[str, str]:
        return {"PATH": self.agent_env.get("PATH", os.defpath), "HOME": self.agent_env.get("HOME", str(self.workdir))}

    def _script(self, step: dict, state: _JobState, where: str, display: str) -> StepRecord:
        _check_keys(step, SCRIPT_KEYS, where)
        if "bash" in step and "script" in step:
            raise PipelineError(f"{where}: a step has both bash and script")
        body = self._macro(str(step.get("bash", step.get("script"))), state.variables)
        env = self._script_env(step, state, where)
        script_file = Path(state.variables["Agent.TempDirectory"].value) / f"{uuid.uuid4()}.sh"
        script_file.write_text(body, encoding="utf-8")
        process = subprocess.Popen(
            ["bash", "--noprofile", "--norc", str(script_file)],
            cwd=state.variables["System.DefaultWorkingDirectory"].value,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
        )
        assert process.stdout is not None
        for line in process.stdout:
            self._output_line(line.rstrip("\n"), step, state, where)
        returncode = process.wait(timeout=self.step_timeout)
        if returncode != 0:
            self.log.write(f"##[error]Bash exited with code '{returncode}'.")
        return self._record(state, step, display, "script", returncode == 0)

    def _script_env(self, step: dict, state: _JobState, where: str) -> dict[str, str]:
        """The agent's environment, every non-secret variable, then the step's `env:` (which wins)."""
        env = dict(self.agent_env)
        env.update({"TF_BUILD": "True", "AGENT_ID": "1", "AGENT_NAME": "bundleops-simulator"})
        for name, variable in state.variables.items():
            if not variable.secret:
                env[env_name(name)] = variable.value
        explicit = step.get("env") or {}
        if not isinstance(explicit, dict):
            raise UnsupportedConstruct(f"{where}: env {explicit!r}")
        for name, value in explicit.items():
            if isinstance(value, (dict, list)):
                raise UnsupportedConstruct(f"{where}: env {name} has a non-scalar value")
            env[str(name)] = self._macro(to_string(value), state.variables)
        return env

    def _output_line(self, line: str, step: dict, state: _JobState, where: str) -> None:
        command = _LOGGING_COMMAND.match(line)
        if command is None:
            self.log.write(line)
            return
        name, properties, data = command.group("command"), _properties(command.group("properties")), _unescape(command.group("data"))
        if name == "task.setvariable":
            self._set_variable(properties, data, step, state, where)
        elif name == "task.setsecret":
            self.log.secret(data)
        elif name == "task.logissue":
            kind = properties.get("type", "error")
            self.log.write(f"##[{kind}]{data}")
            return
        elif name == "task.uploadsummary":
            if not Path(data).is_file():
                raise PipelineError(f"{where}: ##vso[task.uploadsummary] names {data}, which does not exist")
        else:
            raise UnsupportedConstruct(f"{where}: the logging command ##vso[{name}]")
        self.log.write(line)

    def _set_variable(self, properties: dict[str, str], value: str, step: dict, state: _JobState, where: str) -> None:
        variable = properties.get("variable")
        if not variable:
            raise PipelineError(f"{where}: ##vso[task.setvariable] without variable=")
        unknown = set(properties) - {"variable", "isoutput", "issecret", "isreadonly"}
        if unknown:
            raise UnsupportedConstruct(f"{where}: ##vso[task.setvariable] properties {sorted(unknown)}")
        secret = properties.get("issecret", "false").lower() == "true"
        if secret:
            self.log.secret(value)
        if properties.get("isoutput", "false").lower() == "true":
            step_name = step.get("name")
            if not step_name:
                raise PipelineError(f"{where}: an output variable needs a step `name:` (Azure names it <step>.{variable})")
            state.variables[f"{step_name}.{variable}"] = Variable(value, secret)
            state.outputs[f"{step_name}.{variable}"] = value
        else:
            state.variables[variable] = Variable(value, secret)

    def _inputs(self, step: dict, state: _JobState, where: str) -> dict[str, str]:
        task = step["task"]
        if task not in TASK_INPUTS:
            raise UnsupportedConstruct(f"{where}: the task {task} (supported: {', '.join(TASK_INPUTS)})")
        required, known = TASK_INPUTS[task]
        inputs = step.get("inputs") or {}
        unknown = sorted(set(inputs) - known)
        if unknown:
            raise UnsupportedConstruct(f"{where}: {task} input(s) {', '.join(unknown)}")
        missing = sorted(required - set(inputs))
        if missing:
            raise PipelineError(f"{where}: {task} needs the input(s) {', '.join(missing)}")
        return {name: self._macro(to_string(value), state.variables) for name, value in inputs.items()}

    def _task(self, step: dict, state: _JobState, where: str, display: str) -> StepRecord:
        _check_keys(step, {"task", "displayName", "name", "condition", "inputs"}, where)
        inputs = self._inputs(step, state, where)
        task = step["task"]
        kind = f"task:{task}"
        sources = Path(state.variables["System.DefaultWorkingDirectory"].value)
        if task == "UsePythonVersion@0":
            return self._record(state, step, display, kind, self._python_matches(inputs["versionSpec"], state), inputs=inputs)
        if task == "PublishTestResults@2":
            if inputs.get("testResultsFormat", "JUnit") != "JUnit":
                raise UnsupportedConstruct(f"{where}: testResultsFormat {inputs['testResultsFormat']} (only JUnit)")
            folder = Path(inputs.get("searchFolder") or sources)
            files = sorted(str(path) for path in folder.glob(inputs["testResultsFiles"]) if path.is_file())
            if not files:
                self.log.write(f"##[warning]No test result files matching '{inputs['testResultsFiles']}' were found.")
                ok = inputs.get("failTaskOnMissingResultsFile", "false").lower() != "true"
                return self._record(state, step, display, kind, ok, inputs=inputs)
            for path in files:
                root = _xml_root(Path(path), where)
                if root.tag not in ("testsuites", "testsuite"):
                    raise PipelineError(f"{where}: {path} is not a JUnit report (root element {root.tag})")
                self.log.write(f"Published test results: {path}")
            return self._record(state, step, display, kind, True, inputs=inputs, files=files)
        # PublishCodeCoverageResults@2
        summary = Path(inputs["summaryFileLocation"])
        summary = summary if summary.is_absolute() else sources / summary
        if not summary.is_file():
            self.log.write(f"##[warning]No coverage data found: {summary} does not exist.")
            ok = inputs.get("failIfCoverageEmpty", "false").lower() != "true"
            return self._record(state, step, display, kind, ok, inputs=inputs)
        root = _xml_root(summary, where)
        if root.tag != "coverage":
            raise PipelineError(f"{where}: {summary} is not a Cobertura report (root element {root.tag})")
        self.log.write(f"Published code coverage: {summary}")
        return self._record(state, step, display, kind, True, inputs=inputs, files=[str(summary)])

    def _python_matches(self, spec: str, state: _JobState) -> bool:
        """The simulation cannot install Pythons: the one first on PATH must fit the spec."""
        env = self._script_env({}, state, "UsePythonVersion@0")
        result = subprocess.run(["python3", "-c", "import sys; print('%d.%d' % sys.version_info[:2])"], env=env, capture_output=True, text=True)
        found = result.stdout.strip()
        if result.returncode != 0 or not (found == spec or found.startswith(spec.rstrip(".x") + ".") or spec.rstrip(".x") == found):
            self.log.write(f"##[error]UsePythonVersion: the simulator has Python {found or 'none'} on PATH, the step asks for {spec}")
            return False
        self.log.write(f"Using Python {found}")
        return True

    def _publish(self, step: dict, state: _JobState, where: str, display: str) -> StepRecord:
        _check_keys(step, {"publish", "artifact", "displayName", "condition"}, where)
        name = self._macro(str(step.get("artifact") or ""), state.variables)
        if not name:
            raise UnsupportedConstruct(f"{where}: publish without artifact: (Azure names it after the job)")
        if name in self.artifacts:
            self.log.write(f"##[error]Artifact {name} already exists in this run")
            return self._record(state, step, display, "publish", False)
        source = Path(self._macro(str(step["publish"]), state.variables))
        source = source if source.is_absolute() else Path(state.variables["System.DefaultWorkingDirectory"].value) / source
        if not source.exists():
            self.log.write(f"##[error]Path does not exist: {source}")
            return self._record(state, step, display, "publish", False)
        target = self.workdir / "artifacts" / name
        if source.is_dir():
            shutil.copytree(source, target)
        else:
            target.mkdir(parents=True)
            shutil.copy2(source, target / source.name)
        self.artifacts[name] = target
        return self._record(state, step, display, "publish", True, inputs={"artifact": name}, files=[str(source)])

    def _download(self, step: dict, state: _JobState, where: str, display: str) -> StepRecord:
        _check_keys(step, {"download", "artifact", "displayName", "condition"}, where)
        if step["download"] == "none":
            return self._record(state, step, display, "download", True)
        if step["download"] != "current":
            raise UnsupportedConstruct(f"{where}: download from {step['download']!r} (only current and none)")
        names = [self._macro(str(step["artifact"]), state.variables)] if "artifact" in step else sorted(self.artifacts)
        workspace = Path(state.variables["Pipeline.Workspace"].value)
        for name in names:
            if name not in self.artifacts:
                self.log.write(f"##[error]Artifact {name} was not found for this run")
                return self._record(state, step, display, "download", False)
            shutil.copytree(self.artifacts[name], workspace / name, dirs_exist_ok=True)
            self.log.write(f"Downloaded artifact {name} to {workspace / name}")
        return self._record(state, step, display, "download", True, inputs={"artifacts": names})


def _default_display(kind: str, step: dict) -> str:
    """The name Azure shows for a step without displayName."""
    if kind in ("bash", "script"):
        return f"{kind.capitalize()}: {str(step[kind]).strip()[:60]}"
    return f"{kind.capitalize()} {step[kind]}"


def _properties(text: str) -> dict[str, str]:
    """`variable=a;isOutput=true` -> {'variable': 'a', 'isoutput': 'true'} (names are case-insensitive)."""
    properties = {}
    for part in text.strip().split(";"):
        if part.strip():
            key, _, value = part.partition("=")
            properties[key.strip().lower()] = _unescape(value.strip())
    return properties


def _unescape(text: str) -> str:
    """Logging-command data escapes: %AZP25 -> %, %0D -> CR, %0A -> LF, %3B -> ;, %5D -> ]."""
    for escaped, plain in (("%0D", "\r"), ("%0A", "\n"), ("%3B", ";"), ("%5D", "]"), ("%AZP25", "%")):
        text = text.replace(escaped, plain)
    return text


def _xml_root(path: Path, where: str) -> ElementTree.Element:
    try:
        return ElementTree.parse(path).getroot()
    except ElementTree.ParseError as error:
        raise PipelineError(f"{where}: {path} is not well-formed XML: {error}") from error


def run_pipeline(
    consumer_file: Path,
    *,
    sources: Mapping[str, Path],
    workdir: Path,
    predefined: Mapping[str, str],
    pipeline_variables: Mapping[str, str] | None = None,
    secrets: frozenset[str] = frozenset(),
    library: Library | None = None,
    agent_env: Mapping[str, str] | None = None,
    approve: Approver | None = None,
    runtime_parameters: Mapping[str, Any] | None = None,
) -> PipelineRun:
    """Compile the consumer file and run it for the event the predefined variables describe
    (with `runtime_parameters`, the values a manual run was queued with).

    Raises PipelineError when the consumer's trigger (or pr) filter does not start a run for it."""
    compiled = compile_pipeline(consumer_file, sources, predefined, runtime_parameters)
    source_branch = predefined.get("Build.SourceBranch", "")
    tag = source_branch.removeprefix("refs/tags/") if source_branch.startswith("refs/tags/") else None
    branch = source_branch.removeprefix("refs/heads/") if source_branch.startswith("refs/heads/") else None
    target = predefined.get("System.PullRequest.TargetBranch", "").removeprefix("refs/heads/") or None
    if not triggered(compiled.consumer, predefined.get("Build.Reason", ""), branch, tag, target):
        raise PipelineError(f"{consumer_file.name}: no trigger of the file starts a run for {predefined.get('Build.Reason')} on {source_branch}")
    workdir.mkdir(parents=True, exist_ok=True)
    simulator = Simulator(
        compiled,
        project=consumer_file.parent,
        workdir=workdir,
        predefined=predefined,
        pipeline_variables=pipeline_variables or {},
        secrets=secrets,
        library=library or {},
        agent_env=agent_env or {"PATH": os.defpath},
        approve=approve or (lambda environment, stage: True),
    )
    run = simulator.run()
    (workdir / "azure-run.json").write_text(json.dumps(run.to_json(), indent=2), encoding="utf-8")
    return run


def expanded_yaml(compiled: CompiledPipeline) -> str:
    """The compiled pipeline as YAML (like Azure's 'Download full YAML')."""
    return yaml.safe_dump({"stages": copy.deepcopy(compiled.stages)}, sort_keys=False)
