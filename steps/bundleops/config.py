"""`bundleops.yml`: the small per-project file that overrides bundleops' defaults.

Every key is optional; a project without the file gets the defaults. Unknown keys, wrong types,
numbers out of range and patterns that do not compile are refused (exit 2) with the file, the
key path and what is allowed, because a typo that silently falls back to a default (or a
negative takeover time that takes over a live lock) is how a pipeline deploys somewhere
unexpected. Ranges and patterns are declared on the fields (`bounded`, `regex`), next to the
default they constrain, and checked by the one loader below.
The schema is documented in docs/configuration.md; the dataclasses below are its source of truth.
"""

from __future__ import annotations

import dataclasses
import re
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Union

import yaml

from bundleops.errors import BundleopsError, ExitCode

CONFIG_FILE = "bundleops.yml"
_CHECK = "bundleops.check"


@dataclass(frozen=True)
class Range:
    """The whole numbers a field accepts, and the unit they count, for the error message."""

    minimum: int
    maximum: int
    unit: str

    def refuses(self, value: int) -> bool:
        return not self.minimum <= value <= self.maximum

    def describe(self) -> str:
        return f"a whole number of {self.unit} from {self.minimum} to {self.maximum}"


def bounded(default: int, minimum: int, maximum: int, unit: str) -> Any:
    """A numeric field with its allowed range (checked when bundleops.yml is read)."""
    return field(default=default, metadata={_CHECK: Range(minimum, maximum, unit)})


def regex(default: str) -> Any:
    """A field holding a regular expression (compiled when bundleops.yml is read)."""
    return field(default=default, metadata={_CHECK: re.compile})


DEPLOYMENT_ID = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?")


def deployment_pattern_problem(pattern: str) -> str | None:
    """Why a `pull_requests.deployment` pattern cannot name a deployment, or None.

    The id becomes a workspace folder, a job-name prefix and (through presets) part of schema
    names, so it is kept to lower-case letters, digits and inner dashes; `{number}` exactly once
    makes ids of different pull requests differ and lets destroy/sweep read the number back.
    """
    if pattern.count("{number}") != 1:
        return "must hold {number} exactly once"
    sample = pattern.replace("{number}", "12345")
    if not DEPLOYMENT_ID.fullmatch(sample):
        return "gives ids such as " + repr(sample) + ", not 1-40 lower-case letters, digits and inner '-'"
    return None


def deployment_pattern(default: str) -> Any:
    """A field holding a deployment id pattern (checked when bundleops.yml is read)."""
    return field(default=default, metadata={_CHECK: deployment_pattern_problem})


def repository_glob_problem(pattern: str) -> str | None:
    """Why a `bundles:` or `depends_on:` entry cannot name paths of the repository, or None.

    Entries are read against `git diff --name-only` paths, which are relative, `/`-separated and
    never leave the repository; an entry that could never match one is a typo, refused like one.
    """
    parts = pattern.split("/")
    if not pattern.strip() or pattern.startswith("/") or "\\" in pattern:
        return "is not a relative path with '/' separators"
    if ".." in parts:
        return "leaves the repository ('..'): entries are relative to the repository root"
    return None


def repository_globs(default: list[str] | None) -> Any:
    """A list of repository paths or globs (checked when bundleops.yml is read)."""
    if default is None:
        return field(default=None, metadata={_CHECK: repository_glob_problem})
    return field(default_factory=lambda: list(default), metadata={_CHECK: repository_glob_problem})


@dataclass(frozen=True)
class RuleCondition:
    """What a promotion rule matches. Absent keys match anything.

    `branch` and `target_branch` are shell-style globs or `@default` (the default branch);
    `tag` is a glob or `@release` (the release tag pattern).
    """

    vendor: list[str] | None = None
    event: list[str] | None = None
    branch: str | None = None
    target_branch: str | None = None
    tag: str | None = None
    fork: bool | None = None
    # `open` or `closed` (the CI's pull-request-closed event: GitHub `closed`, GitLab stop job).
    pull_request_state: str | None = None


@dataclass(frozen=True)
class Rule:
    """One row of the promotion table: first matching row wins."""

    name: str
    when: RuleCondition = field(default_factory=RuleCondition)
    target: str | None = None
    steps: list[str] = field(default_factory=list)
    requires_approval: bool = False


@dataclass(frozen=True)
class TargetsConfig:
    """The bundle's own target name for each role (`targets: {staging: test, prod: production}`).

    One field per role in ROLES, so an unknown role is refused by the schema like any unknown key.
    An unmapped role is a bundle target of the same name.
    """

    dev: str | None = None
    staging: str | None = None
    prod: str | None = None

    def mapped(self, role: str) -> str | None:
        """The bundle target bundleops.yml names for the role, None when it names none."""
        return getattr(self, role) or None

    def bundle_target(self, role: str) -> str:
        return self.mapped(role) or role


# The roles bundleops speaks of (plan, prod guard, policy, templates), in promotion order.
ROLES = tuple(f.name for f in dataclasses.fields(TargetsConfig))


@dataclass(frozen=True)
class AuthConfig:
    # Roles where a human identity (a user, not a service principal) may deploy.
    allow_human_identity: list[str] = field(default_factory=lambda: ["dev"])
    # How long databricks-sdk retries an unreachable or overloaded workspace (its default: 300 s);
    # also the time limit of a `databricks bundle validate|summary` child.
    retry_timeout_seconds: int = bounded(300, 1, 3600, "seconds")


@dataclass(frozen=True)
class DeployConfig:
    # The project opts in to destructive changes (deleting or recreating schemas, volumes, ...).
    auto_approve: bool = False
    # A deploy lock older than this was left by a killed CI job and is taken over with --force-lock.
    # At least 5: a younger lock belongs to a deploy that is still running.
    lock_takeover_minutes: int = bounded(60, 5, 10080, "minutes")
    # The time limit of the `databricks bundle deploy` child (it is stopped with SIGTERM after it).
    timeout_minutes: int = bounded(30, 1, 1440, "minutes")


@dataclass(frozen=True)
class TestConfig:
    # Resource key of the integration-test job; default `<bundle name>_test_job`.
    job: str | None = None
    timeout_minutes: int = bounded(60, 1, 1440, "minutes")


@dataclass(frozen=True)
class SonarConfig:
    project_key: str | None = None
    organization: str | None = None
    sources: list[str] = field(default_factory=lambda: ["src"])
    tests: list[str] = field(default_factory=lambda: ["tests"])
    # Quality-gate statuses that fail the pipeline (exit 1).
    fail_on: list[str] = field(default_factory=lambda: ["ERROR"])
    # SonarQube server; the SONAR_HOST_URL environment variable wins when set.
    host_url: str | None = None
    # How long `bundleops quality-gate` waits for the analysis and the gate (exit 3 after).
    timeout_seconds: int = bounded(300, 1, 86400, "seconds")
    # How long the scanner (pysonar, which has no network time-out of its own) may run before
    # `bundleops publish --sonar` stops it and its child processes (exit 3).
    scanner_timeout_seconds: int = bounded(900, 1, 86400, "seconds")


@dataclass(frozen=True)
class PullRequestsConfig:
    # The deployment id of a pull request's own staging deployment (`{number}`: its number); it names
    # the deployment's workspace folder and prefixes its resource names (docs/pull-request-deployments.md).
    deployment: str = deployment_pattern("pr-{number}")


@dataclass(frozen=True)
class PublishConfig:
    # Failed tests annotated on the file and line (GitHub shows at most 10 error annotations per step).
    max_annotations: int = bounded(10, 0, 1000, "annotations")


@dataclass(frozen=True)
class ProjectConfig:
    default_branch: str = "main"
    release_tag_pattern: str = regex(r"^v\d+\.\d+\.\d+$")
    # Further environment variables whose values must never be printed.
    secret_variables: list[str] = field(default_factory=list)
    # Replaces the whole default promotion table (see bundleops.plan.rules).
    rules: list[Rule] | None = None
    targets: TargetsConfig = field(default_factory=TargetsConfig)
    auth: AuthConfig = field(default_factory=AuthConfig)
    deploy: DeployConfig = field(default_factory=DeployConfig)
    test: TestConfig = field(default_factory=TestConfig)
    sonar: SonarConfig = field(default_factory=SonarConfig)
    publish: PublishConfig = field(default_factory=PublishConfig)
    pull_requests: PullRequestsConfig = field(default_factory=PullRequestsConfig)
    # Read at the repository root only: the folders (or globs of folders) that hold the repository's
    # bundles; None: every folder below the root with a databricks.yml (docs/monorepo.md).
    bundles: list[str] | None = repository_globs(None)
    # Read in a bundle's own file: paths or globs (relative to the repository root) outside the bundle
    # whose changes select it too, like shared code (docs/monorepo.md).
    depends_on: list[str] = repository_globs([])
    # Where the file was read from (None: defaults only).
    source: str | None = None


def load(project_root: Path | str = ".") -> ProjectConfig:
    """Read `bundleops.yml` from the project root, or return the defaults when there is none."""
    path = Path(project_root) / CONFIG_FILE
    if not path.is_file():
        return ProjectConfig()
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise BundleopsError(
            f"{path}: not UTF-8 text (byte {exc.object[exc.start]:#04x} at offset {exc.start})",
            fix=f"save {path.name} as UTF-8 (for example `iconv -f latin1 -t utf-8`)",
            code=ExitCode.BAD_INPUT,
        ) from None
    except yaml.YAMLError as exc:
        raise BundleopsError(f"{path}: not valid YAML ({exc})", fix="fix the YAML syntax at the line named") from None
    if data is None:
        return ProjectConfig(source=str(path))
    config = parse(data, str(path))
    return dataclasses.replace(config, source=str(path))


def parse(data: Any, source: str) -> ProjectConfig:
    """Validate a mapping against the schema; errors name the file and the key path."""
    return _build(ProjectConfig, data, source, "")


def _build(cls: type, data: Any, source: str, path: str) -> Any:
    if not isinstance(data, dict):
        _type_error(source, path or "(top level)", "a mapping", data)
    hints = typing.get_type_hints(cls)
    known = {f.name for f in dataclasses.fields(cls) if f.name != "source"}
    unknown = sorted(set(data) - known)
    if unknown:
        key = f"{path}.{unknown[0]}" if path else str(unknown[0])
        raise BundleopsError(
            f"{source}: unknown key {key!r}",
            fix=f"use one of: {', '.join(sorted(known))} (see docs/configuration.md)",
            code=ExitCode.BAD_INPUT,
        )
    fields = {f.name: f for f in dataclasses.fields(cls)}
    values = {}
    for name, value in data.items():
        key = f"{path}.{name}" if path else name
        values[name] = _check(fields[name], _convert(hints[name], value, source, key), source, key)
    return cls(**values)


def _check(spec: dataclasses.Field[Any], value: Any, source: str, path: str) -> Any:
    """The field's declared constraint (`bounded`, `regex`) applied to a value already of the right type."""
    check = spec.metadata.get(_CHECK)
    if isinstance(check, Range) and value is not None and check.refuses(value):
        raise BundleopsError(
            f"{source}: {path} is {value}, outside the allowed range",
            fix=f"set {path} in {source} to {check.describe()}, or remove it for the default {spec.default} (see docs/configuration.md)",
            code=ExitCode.BAD_INPUT,
        )
    if check is re.compile and value is not None:
        try:
            re.compile(value)
        except re.error as error:
            raise BundleopsError(
                f"{source}: {path} {value!r} is not a regular expression ({error})",
                fix=f"fix {path} in {source}: a Python regular expression, for example {spec.default!r}",
                code=ExitCode.BAD_INPUT,
            ) from None
    if check is deployment_pattern_problem and value is not None:
        problem = deployment_pattern_problem(value)
        if problem:
            raise BundleopsError(
                f"{source}: {path} {value!r} {problem}",
                fix=f"set {path} in {source} to a pattern holding {{number}} once, lower-case letters, digits and inner '-' only, "
                f"for example {spec.default!r} (see docs/pull-request-deployments.md)",
                code=ExitCode.BAD_INPUT,
            )
    if check is repository_glob_problem and value is not None:
        for index, pattern in enumerate(value):
            problem = repository_glob_problem(pattern)
            if problem:
                raise BundleopsError(
                    f"{source}: {path}[{index}] {pattern!r} {problem}",
                    fix=f"write {path} entries relative to the repository root with '/', e.g. 'shared/**' (see docs/monorepo.md)",
                    code=ExitCode.BAD_INPUT,
                )
    return value


def _convert(hint: Any, value: Any, source: str, path: str) -> Any:
    origin = typing.get_origin(hint)
    if origin in (Union, types.UnionType):
        options = [a for a in typing.get_args(hint) if a is not type(None)]
        if value is None:
            return None
        return _convert(options[0], value, source, path)
    if dataclasses.is_dataclass(hint):
        return _build(hint, value, source, path)
    if origin is list:
        (item,) = typing.get_args(hint)
        if isinstance(value, str) and item is str:
            value = [value]  # `event: push` reads as naturally as `event: [push]`
        if not isinstance(value, list):
            _type_error(source, path, "a list", value)
        return [_convert(item, v, source, f"{path}[{i}]") for i, v in enumerate(value)]
    if hint is bool:
        if not isinstance(value, bool):
            _type_error(source, path, "true or false", value)
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            _type_error(source, path, "a whole number", value)
        return value
    if hint is str:
        if not isinstance(value, str):
            _type_error(source, path, "a string", value)
        return value
    raise TypeError(f"config schema has an unsupported type at {path}: {hint}")


def _type_error(source: str, path: str, expected: str, value: Any) -> typing.NoReturn:
    raise BundleopsError(
        f"{source}: {path} must be {expected}, got {type(value).__name__} {value!r}",
        fix=f"change {path} in {source} (see docs/configuration.md)",
        code=ExitCode.BAD_INPUT,
    )
