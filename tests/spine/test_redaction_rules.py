"""What counts as a secret in text: the rules of bundleops.output.pieces, one case each."""

from __future__ import annotations

import pytest

from bundleops.output.pieces import SecretMatcher

TOKEN = "dose9ffd-4b2a-4c7e-9a1c-1c48178acc420"
WORDY = "password-settings-2026"  # a secret that contains ordinary words
SHORT = "s3cr3t!"  # shorter than 16: matched whole only
ACCENTED = "pässwörd-ünïcødé-2026"  # pieces are found in the UTF-8, masked by character
MATCHER = SecretMatcher([TOKEN, WORDY, SHORT, ACCENTED], "***")


@pytest.mark.parametrize(("text", "expected"), [
    (f"token {TOKEN} end", "token *** end"),
    ("assert 'dose9ffd-4b2...1c48178acc420' == 'x'", "assert '***' == 'x'"),  # pytest's saferepr
    ("assert 'dose9ffd…1c48178acc420'", "assert '***'"),  # the form
    ("FAILED t.py::t - AssertionError: assert 'dose9ffd-4b2...1c48178a...", "FAILED t.py::t - AssertionError: assert '***..."),
    ("cut at the terminal: 'dose9f...", "cut at the terminal: '***..."),  # 6 characters, next to an ellipsis
    ("...acc420'", "...***'"),
    ("middle piece 4c7e-9a1c here", "middle piece *** here"),
    ("three 'dos...", "three 'dos..."),  # below 4 characters
    ("7 chars 8acc420 stay", "7 chars 8acc420 stay"),  # below 8 characters, no ellipsis
    ("xdose... is inside a word", "xdose... is inside a word"),
    ("the password settings page", "the password settings page"),  # words of a secret are not its pieces
    ("value -settings-2026 here", "value *** here"),
    (f"{SHORT} and s3cr3t", "*** and s3cr3t"),
    ("é: ünïcødé-2 ö", "é: *** ö"),
    ("é: ünïcødé ö", "é: ünïcødé ö"),  # letters only
])
def test_rules(text: str, expected: str) -> None:
    assert MATCHER.redact(text) == expected


def test_a_tail_that_may_continue_a_secret_is_held_back() -> None:
    assert MATCHER.held_tail("start dose9ffd-4b") == len("dose9ffd-4b")
    assert MATCHER.held_tail("no secret here ") == 0
