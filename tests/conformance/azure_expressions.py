"""Azure Pipelines expressions, for the subset bundleops' template uses.

One parser serves the three places expressions appear (Azure docs, "Expressions"):
- template expressions `${{ ... }}`, evaluated when the YAML is compiled (context: `parameters`);
- runtime expressions `$[ ... ]` in variable values, evaluated when a job or stage starts
  (contexts: `variables`, `dependencies`, `stageDependencies`);
- conditions, evaluated before a stage, job or step runs (the same contexts plus the status
  functions `succeeded()`, `failed()`, `always()`, `succeededOrFailed()`, `canceled()`).

Supported: string literals ('...' with '' for a quote), numbers, true/false/null, property access
(`a.b`, `a['b']`, `a[<expression>]`, case-insensitive like Azure), and the functions eq, ne, and,
or, not, iif, format ('{0}' placeholders, '{{' and '}}' for braces) and split (a string and its
delimiter: an array) plus the status functions. Anything else (another function, an operator, a context the caller did not
provide) raises UnsupportedConstruct naming it, so the template cannot use syntax this
simulation would evaluate wrongly.

Type rules follow the docs' "Type casting" table: eq/ne convert the right operand to the left
operand's type and compare strings ordinally ignoring case; a condition is true when its value
casts to True (so the string 'false' is true, as on Azure).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable, Mapping


class UnsupportedConstruct(Exception):
    """A construct outside the subset of Azure Pipelines syntax this simulation implements."""


class ExpressionError(Exception):
    """A malformed expression (Azure refuses the pipeline for it too)."""


_TOKEN = re.compile(
    r"\s*(?:(?P<string>'(?:[^']|'')*')|(?P<number>-?\d+(?:\.\d+)?)|(?P<ident>[A-Za-z_][A-Za-z0-9_\-]*)|(?P<punct>[()\[\],.]))"
)
_OPERATORS = re.compile(r"\s*(==|!=|&&|\|\||<=|>=|<|>|!)")


@dataclass(frozen=True)
class Token:
    kind: str
    text: str


def tokenize(text: str) -> list[Token]:
    """Split an expression into tokens; operators such as == are not Azure syntax and are named."""
    tokens: list[Token] = []
    position = 0
    while position < len(text):
        if not text[position:].strip():
            break
        match = _TOKEN.match(text, position)
        if match is None:
            operator = _OPERATORS.match(text, position)
            if operator:
                raise UnsupportedConstruct(f"operator {operator.group(1)!r} in expression {text!r}: Azure expressions use functions (eq, ne, not, and, or)")
            raise ExpressionError(f"cannot parse expression {text!r} at {text[position:]!r}")
        kind = match.lastgroup or ""
        tokens.append(Token(kind, match.group(kind)))
        position = match.end()
    return tokens


# ----------------------------------------------------------------------------- syntax tree


@dataclass(frozen=True)
class Literal:
    value: Any


@dataclass(frozen=True)
class Name:
    name: str


@dataclass(frozen=True)
class Index:
    target: Any
    key: Any  # a node


@dataclass(frozen=True)
class Call:
    function: str
    arguments: tuple


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.position = 0

    def peek(self) -> Token | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def take(self, text: str | None = None) -> Token:
        token = self.peek()
        if token is None or (text is not None and token.text != text):
            raise ExpressionError(f"expected {text or 'more'} in expression {self.text!r}")
        self.position += 1
        return token

    def parse(self) -> Any:
        node = self.expression()
        if self.peek() is not None:
            raise ExpressionError(f"unexpected {self.peek().text!r} in expression {self.text!r}")
        return node

    def expression(self) -> Any:
        token = self.take()
        if token.kind == "string":
            node: Any = Literal(token.text[1:-1].replace("''", "'"))
        elif token.kind == "number":
            node = Literal(float(token.text) if "." in token.text else int(token.text))
        elif token.kind == "ident" and token.text.lower() in ("true", "false", "null"):
            node = Literal({"true": True, "false": False, "null": None}[token.text.lower()])
        elif token.kind == "ident" and self.peek() is not None and self.peek().text == "(":
            self.take("(")
            arguments = []
            if self.peek() is not None and self.peek().text != ")":
                arguments.append(self.expression())
                while self.peek() is not None and self.peek().text == ",":
                    self.take(",")
                    arguments.append(self.expression())
            self.take(")")
            node = Call(token.text, tuple(arguments))
        elif token.kind == "ident":
            node = Name(token.text)
        else:
            raise ExpressionError(f"unexpected {token.text!r} in expression {self.text!r}")
        while self.peek() is not None and self.peek().text in (".", "["):
            if self.take().text == ".":
                name = self.take()
                if name.kind != "ident":
                    raise ExpressionError(f"expected a property name after '.' in {self.text!r}")
                node = Index(node, Literal(name.text))
            else:
                key = self.expression()
                self.take("]")
                node = Index(node, key)
        return node


def parse(text: str) -> Any:
    return _Parser(text).parse()


# ----------------------------------------------------------------------------- values


def to_bool(value: Any) -> bool:
    """Azure's cast to Boolean: null, false, 0, '' are False; every other value (also 'false') is True."""
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return value != 0
    if isinstance(value, str):
        return value != ""
    return True  # arrays and objects


def to_string(value: Any) -> str:
    """Azure's cast to String: booleans become True/False, null the empty string."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (int, float, str)):
        return str(value)
    raise UnsupportedConstruct(f"an object or array ({value!r}) used where Azure needs a string")


_NO_VALUE = object()


def _convert_like(left: Any, right: Any) -> Any:
    """The right operand in the left operand's type, or _NO_VALUE when the cast fails (eq is then False)."""
    if isinstance(left, bool):
        if isinstance(right, str):
            lowered = right.strip().lower()
            return {"true": True, "false": False}.get(lowered, _NO_VALUE)
        return to_bool(right)
    if isinstance(left, (int, float)):
        if isinstance(right, bool):
            return 1 if right else 0
        try:
            return float(right) if right is not None else 0
        except (TypeError, ValueError):
            return _NO_VALUE
    if isinstance(left, str):
        return to_string(right) if not isinstance(right, (dict, list)) else _NO_VALUE
    if left is None:
        return right if right is None else _NO_VALUE
    return _NO_VALUE


def equal(left: Any, right: Any) -> bool:
    converted = _convert_like(left, right)
    if converted is _NO_VALUE:
        return False
    if isinstance(left, str):
        return left.casefold() == converted.casefold()
    return left == converted


# ----------------------------------------------------------------------------- evaluation

StatusFunction = Callable[[], bool]


@dataclass
class Context:
    """Named values an expression may read (e.g. parameters, variables) and the status functions
    it may call. `where` names the place, for error messages ("condition of stage prod")."""

    where: str
    values: Mapping[str, Any]
    status: Mapping[str, StatusFunction] | None = None


def lookup(container: Any, key: Any, where: str) -> Any:
    """Property access as Azure does it: case-insensitive keys; a missing key is null."""
    if isinstance(container, Mapping):
        wanted = to_string(key).casefold()
        for name, value in container.items():
            if str(name).casefold() == wanted:
                return value
        return None
    if isinstance(container, list):
        try:
            return container[int(key)]
        except (ValueError, IndexError, TypeError):
            return None
    if container is None:
        return None
    raise ExpressionError(f"{where}: cannot read property {key!r} of {container!r}")


def evaluate(node: Any, context: Context) -> Any:
    if isinstance(node, Literal):
        return node.value
    if isinstance(node, Name):
        for name, value in context.values.items():
            if name.casefold() == node.name.casefold():
                return value
        raise UnsupportedConstruct(f"{context.where}: the context {node.name!r} (available here: {', '.join(context.values) or 'none'})")
    if isinstance(node, Index):
        return lookup(evaluate(node.target, context), evaluate(node.key, context), context.where)
    if isinstance(node, Call):
        return _call(node, context)
    raise ExpressionError(f"{context.where}: cannot evaluate {node!r}")


def _call(node: Call, context: Context) -> Any:
    name = node.function.casefold()
    arguments = node.arguments
    status = {key.casefold(): value for key, value in (context.status or {}).items()}
    if name in status:
        if arguments:
            raise UnsupportedConstruct(f"{context.where}: {node.function}() with arguments (job or stage names)")
        return status[name]()
    if name in ("succeeded", "failed", "always", "succeededorfailed", "canceled"):
        raise UnsupportedConstruct(f"{context.where}: the status function {node.function}() is not available here")
    if name in ("eq", "ne"):
        _arity(node, 2, context)
        result = equal(evaluate(arguments[0], context), evaluate(arguments[1], context))
        return result if name == "eq" else not result
    if name == "iif":  # the chosen branch only, as Azure evaluates it
        _arity(node, 3, context)
        return evaluate(arguments[1] if to_bool(evaluate(arguments[0], context)) else arguments[2], context)
    if name == "format":
        if not arguments:
            raise ExpressionError(f"{context.where}: format() needs a format string")
        values = [to_string(evaluate(argument, context)) for argument in arguments[1:]]
        return _format(to_string(evaluate(arguments[0], context)), values, context.where)
    if name == "split":
        _arity(node, 2, context)
        return to_string(evaluate(arguments[0], context)).split(to_string(evaluate(arguments[1], context)))
    if name == "not":
        _arity(node, 1, context)
        return not to_bool(evaluate(arguments[0], context))
    if name in ("and", "or"):
        if len(arguments) < 2:
            raise ExpressionError(f"{context.where}: {node.function}() needs at least two arguments")
        for argument in arguments:  # short-circuit, as Azure does
            value = to_bool(evaluate(argument, context))
            if name == "and" and not value:
                return False
            if name == "or" and value:
                return True
        return name == "and"
    raise UnsupportedConstruct(f"{context.where}: the function {node.function}()")


def _format(template: str, values: list[str], where: str) -> str:
    """format('{0}Environment', 'dev'): `{N}` is the N-th argument after the format string."""

    def placeholder(match: re.Match) -> str:
        if match.group(0) in ("{{", "}}"):
            return match.group(0)[0]
        index = int(match.group(1))
        if index >= len(values):
            raise ExpressionError(f"{where}: format() has no argument {{{index}}} (got {len(values)})")
        return values[index]

    return re.sub(r"\{\{|\}\}|\{(\d+)\}", placeholder, template)


def _arity(node: Call, count: int, context: Context) -> None:
    if len(node.arguments) != count:
        raise ExpressionError(f"{context.where}: {node.function}() takes {count} arguments, got {len(node.arguments)}")


def evaluate_text(text: str, context: Context) -> Any:
    return evaluate(parse(text), context)


def condition_holds(text: str, context: Context) -> bool:
    return to_bool(evaluate_text(text, context))
