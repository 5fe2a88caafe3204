"""Repository path globs (`depends_on:`): `**` spans folders, `*` and `?` stay within one, and a
pattern that names a folder covers everything in it, as in .gitignore.

fnmatch is not enough: its `*` crosses `/`, so `shared/*.py` would match `shared/deep/x.py`.
"""

from __future__ import annotations

import functools
import re

_SPECIAL = re.compile(r"\*\*|\*|\?|\[[^\]/]*\]")


@functools.lru_cache(maxsize=1024)
def compile_glob(pattern: str) -> re.Pattern[str]:
    """`shared/**/*.py` as a regular expression over `/`-separated relative paths."""
    parts = []
    for segment in pattern.strip("/").split("/"):
        if segment == "**":
            parts.append("(?:[^/]+/)*")
            continue
        parts.append(_segment(segment) + "/")
    body = "".join(parts)
    # `a/**/` then `b`: the last segment carries no trailing `/`; a folder pattern covers its contents.
    body = body[:-1] if body.endswith("/") else body + "[^/]+"
    return re.compile(f"{body}(?:/.*)?")


def matches(pattern: str, path: str) -> bool:
    return compile_glob(pattern).fullmatch(path) is not None


def _segment(segment: str) -> str:
    out, position = [], 0
    for found in _SPECIAL.finditer(segment):
        out.append(re.escape(segment[position:found.start()]))
        token = found.group()
        if token in ("*", "**"):
            out.append("[^/]*")
        elif token == "?":
            out.append("[^/]")
        else:
            inner = token[1:-1]
            out.append("[^" + re.escape(inner[1:]) + "]" if inner.startswith("!") else "[" + re.escape(inner) + "]")
        position = found.end()
    out.append(re.escape(segment[position:]))
    return "".join(out)
