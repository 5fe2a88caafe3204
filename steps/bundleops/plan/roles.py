"""Roles (dev, staging, prod) and the bundle targets they stand for.

bundleops decides in roles: the promotion table, the prod guard, the identity and validate
policies, the templates. A bundle names its targets as it likes (`development`, `test`,
`production`, or only the implicit `default`); `targets:` in bundleops.yml maps each role to
one of them, and an unmapped role stands for the target of the same name. Only the steps
translate a role, where they call the CLI (`-t`), name a record, or print a message.

`--target` takes a role. It also takes a bundle target name that exactly one role is mapped to
(`--target production` with `targets: {prod: production}`), so a team can keep its own words;
a role name always means the role, and a name several roles share is refused as ambiguous.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from bundleops.config import ROLES, ProjectConfig
from bundleops.errors import BundleopsError, ExitCode


@dataclass(frozen=True)
class TargetRef:
    role: str
    bundle_target: str

    def describe(self) -> str:
        """The role, and the bundle's name for it when that differs: `prod (bundle target production)`."""
        return self.role if self.role == self.bundle_target else f"{self.role} (bundle target {self.bundle_target})"


def resolve(name: str, config: ProjectConfig, bundle_targets: Sequence[str] | None) -> TargetRef:
    """`--target NAME` as a role and its bundle target; exit 2 for a name that is neither a role nor mapped once."""
    if name in ROLES:
        return TargetRef(name, config.targets.bundle_target(name))
    roles = [role for role in ROLES if config.targets.mapped(role) == name]
    if len(roles) == 1:
        return TargetRef(roles[0], name)
    if roles:
        raise BundleopsError(
            f"--target {name} is ambiguous: {config.source} maps the roles {', '.join(roles)} to bundle target {name}",
            fix=f"pass the role instead: --target {' or --target '.join(roles)}",
            code=ExitCode.BAD_INPUT,
        )
    raise BundleopsError(
        f"unknown target {name!r}: --target takes a role ({', '.join(ROLES)}){_mapped(config)}; {_bundle_has(bundle_targets)}",
        fix=f"pass a role, and map each role to one of the bundle's targets in bundleops.yml, e.g. `targets: {{<role>: {name}}}` "
        "(see docs/configuration.md)",
        code=ExitCode.BAD_INPUT,
    )


def check_in_bundle(target: TargetRef, config: ProjectConfig, bundle_targets: Sequence[str] | None) -> None:
    """Exit 2 when the role stands for a target the bundle does not define (None: the bundle could not be read)."""
    if bundle_targets is None or target.bundle_target in bundle_targets:
        return
    how = f"targets.{target.role} in {config.source}" if config.targets.mapped(target.role) else "no `targets:` mapping, so the same name"
    raise BundleopsError(
        f"role {target.role} stands for bundle target {target.bundle_target} ({how}), which the bundle does not define; "
        f"{_bundle_has(bundle_targets)}",
        fix=f"map the role to one of them in bundleops.yml (`targets: {{{target.role}: <target>}}`), "
        f"or add target {target.bundle_target} to databricks.yml (see docs/configuration.md)",
        code=ExitCode.BAD_INPUT,
    )


def _mapped(config: ProjectConfig) -> str:
    pairs = [f"{role}: {config.targets.mapped(role)}" for role in ROLES if config.targets.mapped(role)]
    return f" or a bundle target mapped in {config.source} ({', '.join(pairs)})" if pairs else ""


def _bundle_has(bundle_targets: Sequence[str] | None) -> str:
    return f"the bundle has targets {', '.join(bundle_targets)}" if bundle_targets else "no databricks.yml was readable to name the bundle's targets"
