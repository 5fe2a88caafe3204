"""Find secrets in text: whole values, long-enough pieces of them, and the elided forms tools print.

pytest and other tools rarely print a long value whole: an assertion shows
`'dose9ffd-4b2...1c48178acc420'` (prefix, ellipsis, suffix) and the short summary cuts a line at
the terminal width (`'dose9ffd-4b2a-4c...`). The rules, for a secret of at least
`MIN_PIECE_SECRET` characters (shorter secrets are only matched whole):

1. a piece of `MIN_PIECE` or more consecutive characters of the secret counts as the secret when
   it mixes at least two kinds of character (lower case, upper case, digits, others), so a
   secret that happens to contain an ordinary word ("password", "settings") never masks that
   word elsewhere in the log;
2. next to an ellipsis (`…` or `...`), the secret's own first or last `MIN_ELIDED_END` or more
   characters count, when they start (before the ellipsis) or end (after it) a token.

Why 8 of 16: 8 random characters of a token are 32 to 48 bits, which never turn up by chance
in a log, and pytest's shortest pieces (the summary line's `1c48178a...`) are about that long;
a secret shorter than 16 characters has too little left to mask by the piece.

Speed: the text's UTF-8 is cut, in C, into aligned 4-byte chunks (a piece of 8 characters
always contains one) and intersected with the 4-byte substrings of the secrets; only a chunk in
both is looked up again (bytes.find) and verified by extending the match both ways. Text that
holds no piece of a secret costs one encode and one set intersection (benchmarks/redaction.py).
"""

from __future__ import annotations

import re
import sys
from typing import Iterable

MIN_PIECE = 8
MIN_PIECE_SECRET = 16
MIN_ELIDED_END = 4
CHUNK = 4  # bytes per prefilter chunk; MIN_PIECE >= 2 * CHUNK - 1 guarantees a piece holds one
ELLIPSIS = re.compile(r"…|\.\.\.")


def _chunks(data: bytes) -> memoryview:
    """The data as aligned 4-byte integers (zero-padded at the end)."""
    padded = data + b"\0" * (-len(data) % CHUNK)
    return memoryview(padded).cast("I")


def _varied(piece: str) -> bool:
    """At least two kinds of character: a piece of a random token, not an ordinary word."""
    kinds = (any(c.islower() for c in piece), any(c.isupper() for c in piece), any(c.isdigit() for c in piece), any(not c.isalnum() for c in piece))
    return sum(kinds) >= 2


def _piece_at(data: bytes, at: int, secret: bytes, offset: int) -> tuple[int, int] | None:
    """The bytes around data[at:at+4] == secret[offset:offset+4] that equal part of the secret, when they make a piece."""
    start, s_start = at, offset
    while start > 0 and s_start > 0 and data[start - 1] == secret[s_start - 1]:
        start, s_start = start - 1, s_start - 1
    end, s_end = at + CHUNK, offset + CHUNK
    while end < len(data) and s_end < len(secret) and data[end] == secret[s_end]:
        end, s_end = end + 1, s_end + 1
    while start < end and data[start] & 0xC0 == 0x80:  # never cut a character in two
        start += 1
    while start < end < len(data) and data[end] & 0xC0 == 0x80:
        end -= 1
    piece = data[start:end].decode("utf-8", "surrogatepass")
    return (start, end) if len(piece) >= MIN_PIECE and _varied(piece) else None


def _character_ranges(data: bytes, ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Byte ranges of the text's UTF-8 as character ranges of the text."""
    characters: dict[int, int] = {}
    position = counted = 0
    for offset in sorted({edge for pair in ranges for edge in pair}):
        counted += len(data[position:offset].decode("utf-8", "surrogatepass"))
        characters[offset], position = counted, offset
    return [(characters[start], characters[end]) for start, end in ranges]


def _word_char(text: str, index: int) -> bool:
    return 0 <= index < len(text) and text[index].isalnum()


class SecretMatcher:
    """Compiled once per set of secrets; `ranges(text)` says where they are, `redact(text)` masks them."""

    def __init__(self, secrets: Iterable[str], mask: str) -> None:
        values = sorted(set(secrets), key=len, reverse=True)
        self.mask = mask
        self.whole = values
        self.long = [s for s in values if len(s) >= MIN_PIECE_SECRET]
        # every 4-byte substring of a long secret's UTF-8 -> (the secret's UTF-8, where it occurs)
        self._grams: dict[int, list[tuple[bytes, int]]] = {}
        for secret in self.long:
            data = secret.encode("utf-8", "surrogatepass")
            for start in range(len(data) - CHUNK + 1):
                self._grams.setdefault(int.from_bytes(data[start : start + CHUNK], sys.byteorder), []).append((data, start))
        self._gram_set = frozenset(self._grams)
        # elided ends: the 4 characters that end a prefix / start a suffix -> (secret, where they end / start)
        self._prefix_tails: dict[str, list[tuple[str, int]]] = {}
        self._suffix_heads: dict[str, list[tuple[str, int]]] = {}
        for secret in self.long:
            for end in range(MIN_ELIDED_END, len(secret)):
                self._prefix_tails.setdefault(secret[end - MIN_ELIDED_END : end], []).append((secret, end))
            for start in range(1, len(secret) - MIN_ELIDED_END + 1):
                self._suffix_heads.setdefault(secret[start : start + MIN_ELIDED_END], []).append((secret, start))

    def redact(self, text: str) -> str:
        for secret in self.whole:
            if secret in text:
                text = text.replace(secret, self.mask)
        if not self.long:
            return text
        found = self._pieces(text) + self._elided_ends(text)
        return self._apply(text, found) if found else text

    # -- rule 1: pieces ------------------------------------------------------------------------
    def _pieces(self, text: str) -> list[tuple[int, int]]:
        data = text.encode("utf-8", "surrogatepass")
        found: list[tuple[int, int]] = []
        for gram in self._gram_set.intersection(_chunks(data)):
            needle = gram.to_bytes(CHUNK, sys.byteorder)
            at = data.find(needle)
            while at != -1:
                for secret, offset in self._grams[gram]:
                    piece = _piece_at(data, at, secret, offset)
                    if piece:
                        found.append(piece)
                at = data.find(needle, at + 1)
        return _character_ranges(data, found) if found and len(data) != len(text) else found

    # -- rule 2: ends next to an ellipsis ------------------------------------------------------
    def _elided_ends(self, text: str) -> list[tuple[int, int]]:
        if "…" not in text and "..." not in text:
            return []
        found: list[tuple[int, int]] = []
        for dots in ELLIPSIS.finditer(text):
            before, after = dots.start(), dots.end()
            for secret, end in self._prefix_tails.get(text[max(0, before - MIN_ELIDED_END) : before], ()):
                start = before - end
                if start >= 0 and text.startswith(secret[:end], start) and not _word_char(text, start - 1):
                    found.append((start, before))
            for secret, start in self._suffix_heads.get(text[after : after + MIN_ELIDED_END], ()):
                stop = after + len(secret) - start
                if text.startswith(secret[start:], after) and not _word_char(text, stop):
                    found.append((after, stop))
        return found

    # -- masking -------------------------------------------------------------------------------
    def _apply(self, text: str, found: list[tuple[int, int]]) -> str:
        """Mask the ranges; two masks with only an ellipsis between them become one mask."""
        merged: list[list[int]] = []
        for start, end in sorted(found):
            if merged and start <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], end)
            elif merged and ELLIPSIS.fullmatch(text, merged[-1][1], start):
                merged[-1][1] = end
            else:
                merged.append([start, end])
        parts, position = [], 0
        for start, end in merged:
            parts += [text[position:start], self.mask]
            position = end
        parts.append(text[position:])
        return "".join(parts)

    def held_tail(self, text: str) -> int:
        """Length of the longest end of text that may grow into a secret or a piece in the next write."""
        longest = 0
        for secret in self.whole:
            limit = min(len(secret) - 1, len(text))
            for size in range(limit, longest, -1):
                tail = text[-size:]
                if secret.startswith(tail) or (len(secret) >= MIN_PIECE_SECRET and tail in secret):
                    longest = size
                    break
        return longest

