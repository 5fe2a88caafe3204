"""bundleops.output.markdown, the one way writers put pull-request text into Markdown."""

from __future__ import annotations

import pytest
from markdown_it import MarkdownIt

from bundleops.output import markdown as md

PARSER = MarkdownIt("commonmark").enable("table")


@pytest.mark.parametrize("value", ["plain", "a`b", "``", "`lead", "trail`", "x ``` y", " spaced ", "   ", "a|b", "<b>", "@team #1"])
def test_code_shows_exactly_the_value(value: str) -> None:
    (paragraph,) = [token for token in PARSER.parse(md.code(value)) if token.type == "inline"]
    (span,) = paragraph.children or []
    assert (span.type, span.content) == ("code_inline", value)


def test_a_table_cell_keeps_its_columns_whatever_the_value_holds() -> None:
    backslash_pipe = "x\\|y"  # x, a backslash, a pipe, y
    row = f"| {md.code('a | b', cell=True)} | {md.code(backslash_pipe, cell=True)} |"
    html = PARSER.render(f"| one | two |\n|---|---|\n{row}\n")
    assert html.count("<td>") == 2 and "<code>a | b</code>" in html and "<code>x\\|y</code>" in html


def test_invisible_characters_are_escapes_and_a_value_stays_on_its_line() -> None:
    assert md.visible("a\nb\r\tc\u202ed\u200be\x1b") == "a\\nb\\r\\tc\\u202ed\\u200be\\u001b"
    assert md.code("") == md.EMPTY


def test_a_fence_is_longer_than_any_backtick_run_in_the_text() -> None:
    lines = md.fenced("one ```` two\n```\nthree", indent="  ")
    assert lines[0] == "  `````text" and lines[-1] == "  `````"
    (fence,) = [token for token in PARSER.parse("\n".join(lines)) if token.type == "fence"]
    assert fence.content == "one ```` two\n```\nthree\n"


def test_a_cut_ends_at_a_line_end_within_the_limit() -> None:
    text = "| a | `long value` |\n" * 10
    cut = md.cut(text, 50)
    assert cut == "| a | `long value` |\n" * 2 and len(cut.encode()) <= 50
    assert md.cut(text, 10_000) == text and md.cut("no line end at all", 5) == ""
