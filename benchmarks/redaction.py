"""Redacting a large JUnit report: the piece-aware redaction against whole-value replacement.

Rerun: .venv/bin/python benchmarks/redaction.py [--cases N] [--runs N]

The report is a pytest JUnit file of N test cases, one in five failing with a pytest-style
traceback. The secrets are what a CI job typically holds: an OAuth client secret, a SonarQube
token, a GitHub token and two OIDC JWTs (about 900 and 1,200 characters). Two reports: one that
holds no secret (the usual case), one where 1 % of the failures show the client secret whole
and elided, as pytest prints it. "whole values" is the redaction before issue 11 (every secret
replaced whole, longest first); "pieces" is `bundleops.output.redact_for_file`.
"""

from __future__ import annotations

import argparse
import base64
import json
import random
import statistics
import time
from typing import Callable

from bundleops.output.redact import MASK, redact, redact_for_file, register_secret

CLIENT_SECRET = "dose9ffd-4b2a-4c7e-9a1c-1c48178acc420"


def jwt(rng: random.Random, claims: int) -> str:
    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).decode().rstrip("=")

    payload = {f"claim_{i}": "".join(rng.choices("abcdefghijklmnopqrstuvwxyz0123456789", k=24)) for i in range(claims)}
    return ".".join([b64(b'{"alg":"RS256","typ":"JWT"}'), b64(json.dumps(payload).encode()), b64(rng.randbytes(256))])


def secrets(rng: random.Random) -> list[str]:
    alnum = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    return [
        CLIENT_SECRET,
        "squ_" + "".join(rng.choices("0123456789abcdef", k=40)),
        "ghs_" + "".join(rng.choices(alnum, k=36)),
        jwt(rng, 12),
        jwt(rng, 22),
    ]


def junit(rng: random.Random, cases: int, leak_every: int | None) -> str:
    parts = ['<?xml version="1.0" encoding="utf-8"?><testsuites name="pytest tests"><testsuite name="pytest" tests="%d">' % cases]
    failures = 0
    for i in range(cases):
        name = f'<testcase classname="tests.unit.test_module_{i % 97}" name="test_case_{i}" time="0.{rng.randrange(1000):03d}"'
        if i % 5:
            parts.append(name + " />")
            continue
        failures += 1
        leaks = bool(leak_every) and failures % leak_every == 0
        value = CLIENT_SECRET if leaks else f"value-{rng.randrange(10**9)}"
        shown = f"'{CLIENT_SECRET[:12]}...{CLIENT_SECRET[-13:]}'" if leaks else f"'{value}'"
        text = (
            f"def test_case_{i}():\n    result = transform(load_fixture(&quot;orders_{i}.json&quot;))\n"
            f"&gt;   assert result == expected\nE   AssertionError: assert {shown} == 'expected-{i}'\nE     \n"
            f"E     - expected-{i}\nE     + {value}\n\n"
            f"tests/unit/test_module_{i % 97}.py:{rng.randrange(10, 400)}: AssertionError"
        )
        parts.append(f'{name}><failure message="AssertionError: assert {shown} == &apos;expected-{i}&apos;">{text}</failure></testcase>')
    parts.append("</testsuite></testsuites>\n")
    return "".join(parts)


def whole_values(values: list[str]) -> Callable[[str], str]:
    ordered = sorted(values, key=len, reverse=True)

    def run(text: str) -> str:
        for secret in ordered:
            if secret in text:
                text = text.replace(secret, MASK)
        return text

    return run


def best(action: Callable[[str], str], text: str, runs: int) -> tuple[float, float]:
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        action(text)
        timings.append(time.perf_counter() - started)
    return min(timings), statistics.median(timings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=40_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    rng = random.Random(11)
    values = secrets(rng)
    for value in values:
        register_secret(value)
    old = whole_values(values)
    print(f"secrets: {len(values)} ({', '.join(str(len(v)) for v in values)} characters); best and median of {args.runs} runs")
    print("| report | size | whole values | pieces | ratio (best) | pieces left by whole values |")
    print("| --- | --- | --- | --- | --- | --- |")
    for label, leak_every in (("no secret", None), ("1% of failures leak", 100)):
        text = junit(rng, args.cases, leak_every)
        old_best, old_median = best(old, text, args.runs)
        new_best, new_median = best(redact_for_file, text, args.runs)
        assert CLIENT_SECRET[:12] not in redact_for_file(text)
        left = old(text).count(CLIENT_SECRET[:12])
        row(label, f"{len(text) / 1e6:.1f} MB", (old_best, old_median), (new_best, new_median), left)
    lines = text.splitlines(keepends=True)

    def line_by_line(action: Callable[[str], str]) -> Callable[[str], str]:
        return lambda _text: "".join(map(action, lines))

    row("console, line by line", f"{len(lines)} lines", best(line_by_line(old), text, args.runs), best(line_by_line(redact), text, args.runs), left)


def row(label: str, size: str, old: tuple[float, float], new: tuple[float, float], left: int) -> None:
    print(
        f"| {label} | {size} | {old[0] * 1000:.0f} ms (median {old[1] * 1000:.0f}) "
        f"| {new[0] * 1000:.0f} ms (median {new[1] * 1000:.0f}) | {new[0] / old[0]:.1f}x | {left} |"
    )


if __name__ == "__main__":
    main()
