"""The subset of Go's text/template that `databricks bundle init` templates like bundleops' own (shipped/bundle-template/) use,
with the file-tree rules of `databricks bundle init` (databricks/cli libs/template/renderer.go).

The real `databricks` CLI is not installable here, so the stand-in's `bundle init` (init.py) and
the tests render templates with this module. It supports exactly what that template needs and
refuses everything else with an error naming the file and the construct, so the template cannot
drift into syntax only the real CLI would understand (or misunderstand) without a test failing:

- actions `{{.name}}`, `{{"literal"}}`, ``{{`raw`}}``, `{{/* comment */}}`, trim markers `{{-`/`-}}`;
- `{{if C}}`, `{{else}}`, `{{end}}` with C one of `.name`, `eq A B`, `ne A B` (A, B: `.name` or a
  string literal);
- `{{skip "pattern"}}`: the pattern is relative to the directory of the file that calls it and is
  itself rendered; a file or directory whose rendered path matches (Go `path.Match`) is not written;
- files ending in `.tmpl` are rendered and lose the suffix; other files are copied byte for byte;
  every path is rendered; directories are walked breadth-first, files before subdirectories, so
  a skip in a directory's file applies to its subdirectories;
- a missing input is an error (the CLI runs templates with `missingkey=error`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Callable, Union

SCHEMA_FILE = "databricks_template_schema.json"


class TemplateError(Exception):
    """A construct outside the supported subset, a syntax error, or a missing input."""


# ---------------------------------------------------------------- parsing

@dataclass(frozen=True)
class Field:
    name: str


@dataclass(frozen=True)
class Literal:
    value: str


Operand = Union[Field, Literal]


@dataclass(frozen=True)
class Compare:
    op: str  # "eq" | "ne"
    left: Operand
    right: Operand


Condition = Union[Field, Compare]


@dataclass
class If:
    condition: Condition
    then: list = field(default_factory=list)
    otherwise: list = field(default_factory=list)


@dataclass(frozen=True)
class Output:
    value: Operand


@dataclass(frozen=True)
class Skip:
    pattern: str


_TOKEN = re.compile(r'\s*(?:(?P<field>\.[A-Za-z_][A-Za-z0-9_]*)|(?P<str>"(?:[^"\\\n]|\\.)*")|(?P<raw>`[^`]*`)|(?P<ident>[A-Za-z_][A-Za-z0-9_]*))')
_ESCAPES = {'"': '"', "\\": "\\", "n": "\n", "t": "\t"}


def _tokens(action: str, where: str) -> list[tuple[str, str]]:
    tokens, pos = [], 0
    while pos < len(action):
        if action[pos:].strip() == "":
            break
        match = _TOKEN.match(action, pos)
        if not match:
            raise TemplateError(f"{where}: unsupported construct {{{{{action}}}}} (near {action[pos:].strip()!r})")
        kind = match.lastgroup
        tokens.append((kind, match.group(kind)))
        pos = match.end()
    return tokens


def _unquote(kind: str, text: str, where: str) -> str:
    if kind == "raw":
        return text[1:-1]
    body, out, i = text[1:-1], [], 0
    while i < len(body):
        if body[i] == "\\":
            escaped = body[i + 1]
            if escaped not in _ESCAPES:
                raise TemplateError(f"{where}: unsupported escape \\{escaped} in {text}")
            out.append(_ESCAPES[escaped])
            i += 2
        else:
            out.append(body[i])
            i += 1
    return "".join(out)


def _operand(token: tuple[str, str], where: str) -> Operand:
    kind, text = token
    if kind == "field":
        return Field(text[1:])
    if kind in ("str", "raw"):
        return Literal(_unquote(kind, text, where))
    raise TemplateError(f"{where}: unsupported operand {text!r} (only .name and string literals)")


def _condition(tokens: list[tuple[str, str]], where: str, action: str) -> Condition:
    if len(tokens) == 1 and tokens[0][0] == "field":
        return Field(tokens[0][1][1:])
    if len(tokens) == 3 and tokens[0] == ("ident", tokens[0][1]) and tokens[0][1] in ("eq", "ne"):
        return Compare(tokens[0][1], _operand(tokens[1], where), _operand(tokens[2], where))
    raise TemplateError(f"{where}: unsupported condition in {{{{{action}}}}} (only .name, eq A B, ne A B)")


def _split_actions(text: str, where: str) -> list[tuple[str, str]]:
    """Split into ("text", s) and ("action", s) pieces, applying the trim markers."""
    pieces: list[tuple[str, str]] = []
    pos, trim_next = 0, False
    while True:
        start = text.find("{{", pos)
        chunk = text[pos:] if start < 0 else text[pos:start]
        if trim_next:
            chunk = chunk.lstrip(" \t\r\n")
        if start < 0:
            pieces.append(("text", chunk))
            return pieces
        inner_start = start + 2
        if text.startswith("- ", inner_start) or text.startswith("-\t", inner_start) or text.startswith("-\n", inner_start):
            chunk = chunk.rstrip(" \t\r\n")
            inner_start += 1
        pieces.append(("text", chunk))
        end = _action_end(text, inner_start, where)
        inner = text[inner_start:end]
        trim_next = False
        if re.search(r"\s-$", inner):
            inner, trim_next = inner[:-1], True
        pieces.append(("action", inner))
        pos = end + 2


def _action_end(text: str, pos: int, where: str) -> int:
    """Index of the `}}` closing the action starting at pos; quoted strings may contain `}}`."""
    i = pos
    while i < len(text):
        if text.startswith("}}", i):
            return i
        if text[i] in "\"`":
            quote, i = text[i], i + 1
            while i < len(text) and text[i] != quote:
                i += 2 if (quote == '"' and text[i] == "\\") else 1
        i += 1
    raise TemplateError(f"{where}: unclosed action starting at offset {pos - 2}")


def parse(text: str, where: str) -> list:
    """Parse template text into nodes; unsupported constructs raise TemplateError."""
    root: list = []
    stack: list[tuple[If, bool]] = []  # (node, in_else)
    target = root
    for kind, piece in _split_actions(text, where):
        if kind == "text":
            if piece:
                target.append(piece)
            continue
        stripped = piece.strip()
        if stripped.startswith("/*"):
            if not stripped.endswith("*/"):
                raise TemplateError(f"{where}: unclosed comment {{{{{piece}}}}}")
            continue
        tokens = _tokens(piece, where)
        if not tokens:
            raise TemplateError(f"{where}: empty action {{{{{piece}}}}}")
        head_kind, head = tokens[0]
        if head_kind == "ident" and head == "if":
            node = If(_condition(tokens[1:], where, piece))
            target.append(node)
            stack.append((node, False))
            target = node.then
        elif head_kind == "ident" and head == "else":
            if len(tokens) != 1:
                raise TemplateError(f"{where}: unsupported {{{{{piece}}}}} (no else-if in the subset)")
            if not stack or stack[-1][1]:
                raise TemplateError(f"{where}: {{{{else}}}} without {{{{if}}}}")
            node, _ = stack.pop()
            stack.append((node, True))
            target = node.otherwise
        elif head_kind == "ident" and head == "end":
            if len(tokens) != 1 or not stack:
                raise TemplateError(f"{where}: unexpected {{{{{piece}}}}}")
            stack.pop()
            target = root if not stack else (stack[-1][0].otherwise if stack[-1][1] else stack[-1][0].then)
        elif head_kind == "ident" and head == "skip":
            if len(tokens) != 2 or tokens[1][0] not in ("str", "raw"):
                raise TemplateError(f"{where}: {{{{{piece}}}}}: skip takes one string literal")
            target.append(Skip(_unquote(*tokens[1], where)))
        elif len(tokens) == 1 and head_kind in ("field", "str", "raw"):
            target.append(Output(_operand(tokens[0], where)))
        else:
            raise TemplateError(f"{where}: unsupported construct {{{{{piece}}}}} (function {head!r} or pipeline)")
    if stack:
        raise TemplateError(f"{where}: {{{{if}}}} without {{{{end}}}}")
    return root


# ---------------------------------------------------------------- execution

def _value(operand: Operand, values: dict[str, str], where: str) -> str:
    if isinstance(operand, Literal):
        return operand.value
    if operand.name not in values:
        raise TemplateError(f'{where}: variable "{operand.name}" not defined')
    return values[operand.name]


def _truth(condition: Condition, values: dict[str, str], where: str) -> bool:
    if isinstance(condition, Field):
        return bool(_value(condition, values, where))
    equal = _value(condition.left, values, where) == _value(condition.right, values, where)
    return equal if condition.op == "eq" else not equal


def execute(nodes: list, values: dict[str, str], where: str, skip: Callable[[str], None] | None = None) -> str:
    out: list[str] = []
    for node in nodes:
        if isinstance(node, str):
            out.append(node)
        elif isinstance(node, Output):
            out.append(_value(node.value, values, where))
        elif isinstance(node, Skip):
            if skip is None:
                raise TemplateError(f"{where}: skip is only available in template files")
            skip(node.pattern)
        else:
            branch = node.then if _truth(node.condition, values, where) else node.otherwise
            out.append(execute(branch, values, where, skip))
    return "".join(out)


def render_string(text: str, values: dict[str, str], where: str = "<string>", skip: Callable[[str], None] | None = None) -> str:
    return execute(parse(text, where), values, where, skip)


def path_match(pattern: str, name: str) -> bool:
    """Go's path.Match for the pattern forms the template uses: literals, `*` and `?` (not `/`)."""
    if any(c in pattern for c in "[\\"):
        raise TemplateError(f"skip pattern {pattern!r}: character classes and escapes are not supported")
    regex = "".join("[^/]*" if c == "*" else "[^/]" if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, name) is not None


# ---------------------------------------------------------------- the template tree

def load_inputs(template_dir: Path, given: dict[str, str]) -> dict[str, str]:
    """Validate inputs against databricks_template_schema.json: known keys, enum, pattern, defaults."""
    schema = json.loads((template_dir / SCHEMA_FILE).read_text(encoding="utf-8"))
    properties: dict = schema["properties"]
    unknown = sorted(set(given) - set(properties))
    if unknown:
        raise TemplateError(f"unknown template inputs: {', '.join(unknown)}")
    values: dict[str, str] = {}
    for name, spec in properties.items():
        if name not in given and "default" not in spec:
            raise TemplateError(f"template input {name!r} is required ({spec.get('description', '')})")
        value = given.get(name, spec.get("default"))
        if "enum" in spec and value not in spec["enum"]:
            raise TemplateError(f"template input {name}={value!r}: expected one of {spec['enum']}")
        if "pattern" in spec and not re.search(spec["pattern"], value):
            raise TemplateError(f"template input {name}={value!r}: {spec.get('pattern_match_failure_message', spec['pattern'])}")
        values[name] = value
    return values


def render_tree(template_dir: Path, given: dict[str, str], output_dir: Path) -> list[str]:
    """Render `template_dir/template` into output_dir as `databricks bundle init` would.

    Returns the written files' paths relative to output_dir, sorted.
    """
    values = load_inputs(template_dir, given)
    source = template_dir / "template"
    skips: list[str] = []
    files: dict[str, bytes] = {}
    queue = ["."]
    while queue:
        current = queue.pop(0)
        rendered_dir = render_string(current, values, where=current)
        if any(path_match(p, rendered_dir) for p in skips):
            continue

        def skip(relative: str, _current: str = current) -> None:
            pattern = render_string(str(PurePosixPath(_current) / relative), values, where=f"skip in {_current}")
            pattern = str(PurePosixPath(pattern))
            if pattern not in skips:
                skips.append(pattern)

        for entry in sorted((source / current).iterdir(), key=lambda p: p.name):
            relative = str(PurePosixPath(current) / entry.name) if current != "." else entry.name
            if entry.is_dir():
                queue.append(relative)
                continue
            target = render_string(relative, values, where=relative)
            if relative.endswith(".tmpl"):
                content = render_string(entry.read_text(encoding="utf-8"), values, where=relative, skip=skip).encode("utf-8")
                target = target[: -len(".tmpl")]
            else:
                content = entry.read_bytes()
            files[target] = content
    written = sorted(p for p in files if not any(path_match(s, p) for s in skips))
    for relative in written:
        path = output_dir / relative
        if path.exists():
            raise TemplateError(f"failed to initialize template, one or more files already exist: {relative}")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(files[relative])
    return written
