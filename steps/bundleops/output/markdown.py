"""Untrusted text in Markdown: what a pull request wrote stays text on every CI's surface.

Job and task names, resource keys, parameter values, test names and assertion messages, branch
names, authors and commit data come from the pull request, and they land in step summaries,
pull-request comments and notes that GitHub, GitLab, Azure DevOps and Bitbucket render as
Markdown with some HTML. Every writer puts such a value through this module, never an f-string:

- `code(value)`: inline code, the default. A code span is the one Markdown construct whose
  content is never Markdown, HTML, a link, a mention (`@team`) or a reference (`#12`, `!12`) on
  any of those services. Its fence is one backtick longer than the longest run of backticks in
  the value, so the value cannot close it (CommonMark 6.1), and it is padded with a space on
  both sides when the value starts or ends with a backtick or a space (the renderer strips
  exactly one). `cell=True` escapes `|` as `\\|`, which GFM tables read as a pipe even inside a
  code span, so a value never adds a column.
- `fenced(text)`: a fenced code block for multi-line text (assertion messages); the fence is
  longer than any backtick run in the text, so no line can close it.
- `visible(value)`: newlines, other control characters, zero-width and bidirectional-override
  characters become escapes (`\\n`, `\\u202e`): a value stays on its line (it can neither end a
  paragraph nor a table row) and cannot reorder or hide what a reviewer reads around it.
- `cut(markdown, limit)`: the text within a size limit, cut at a line end, so no construct a
  line opens (a code span, a table row) is left open.
"""

from __future__ import annotations

import re

# C0 and C1 controls, zero-width characters, bidirectional marks, embeddings, overrides and
# isolates, the BOM, and the line and paragraph separators.
INVISIBLE = re.compile("[\x00-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")
NAMED_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
EMPTY = "(empty)"
BACKTICKS = re.compile(r"`+")


def visible(value: str) -> str:
    """The value on one line, each invisible or layout-changing character as an escape."""
    return INVISIBLE.sub(lambda match: NAMED_ESCAPES.get(match.group(), f"\\u{ord(match.group()):04x}"), value)


def shorten(value: str, chars: int) -> str:
    """At most `chars` characters: head and tail (two names that differ usually differ at the end), and the length."""
    if len(value) <= chars:
        return value
    tail = max(chars // 2 - 12, 1)
    return f"{value[: chars // 2]}…{value[-tail:]} ({len(value)} chars)"


def code(value: str, *, cell: bool = False) -> str:
    """`value` as inline code that shows exactly its (visible) text; `cell`: inside a table row."""
    text = visible(value)
    if cell:
        text = text.replace("|", "\\|")
    if not text:
        return EMPTY
    fence = "`" * (_longest_backtick_run(text) + 1)
    # The renderer strips one space from each end unless the text is all spaces.
    pad = " " if text.strip(" ") and (text[0] in "` " or text[-1] in "` ") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def fenced(text: str, *, info: str = "text", indent: str = "") -> list[str]:
    """A fenced code block of `text` (one line per line of it), each line prefixed by `indent`."""
    lines = [_visible_line(line) for line in text.splitlines()] or [""]
    fence = "`" * max(3, _longest_backtick_run(text) + 1)
    return [f"{indent}{fence}{info}", *(f"{indent}{line}" for line in lines), f"{indent}{fence}"]


def cut(markdown: str, limit: int) -> str:
    """At most `limit` UTF-8 bytes, ending at a line end: a construct a line opens is never left open."""
    data = markdown.encode("utf-8")
    if len(data) <= limit:
        return markdown
    head = data[:limit].decode("utf-8", "ignore")
    return head[: head.rfind("\n") + 1] if "\n" in head else ""


def _visible_line(line: str) -> str:
    """A line of a code block: tabs stay (indentation in tracebacks), every other invisible character is escaped."""
    return "\t".join(visible(part) for part in line.split("\t"))


def _longest_backtick_run(text: str) -> int:
    return max((len(run) for run in BACKTICKS.findall(text)), default=0)
