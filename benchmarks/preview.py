"""Rendering a large plan: time and size of the summary `bundleops preview` writes.

Rerun: .venv/bin/python benchmarks/preview.py [--resources N] [--runs N]

The plan (tests/preview/plans.py) has N jobs: every tenth deleted, the rest updated in three
fields (a rename, a notebook path, a 300-character SQL text that is elided) plus a skipped
default. Timed: parsing the JSON text and rendering the Markdown for the GitHub step summary
(1 MiB) and for a GitHub pull-request comment (65,000 bytes), each the median of --runs, with a
registered secret so the redaction does its full work.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bundleops.output.redact import register_secret  # noqa: E402
from bundleops.preview import gate, limits, plan_json, render  # noqa: E402
from tests.preview.plans import big_plan  # noqa: E402


def measure(text: str, limit: int, runs: int) -> tuple[float, render.Rendered]:
    timings, rendered = [], None
    for _ in range(runs):
        started = time.perf_counter()
        plan = plan_json.parse(text, "benchmark")
        rendered = render.markdown(plan, title="bundleops preview: staging", verdict=gate.judge(plan, False).markdown(),
                                   limit=limit, plan_path="bundle-plan.json", where="the benchmark's limit")
        timings.append(time.perf_counter() - started)
    assert rendered is not None
    return statistics.median(timings), rendered


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resources", type=int, default=200)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    register_secret("dose9ffd-4b2a-4c7e-9a1c-1c48178acc420")
    text = json.dumps(big_plan(args.resources), indent=2)
    print(f"plan: {args.resources} resources, {len(text.encode()):,} bytes of JSON; median of {args.runs} runs")
    print("| rendered for | limit (bytes) | time (ms) | summary (bytes) | resources shown | left out |")
    print("|---|---|---|---|---|---|")
    for place, limit in (("GitHub step summary", limits.SUMMARY_BYTES), ("GitHub PR comment", limits.COMMENT_BYTES["github"] - 200)):
        seconds, rendered = measure(text, limit, args.runs)
        print(f"| {place} | {limit:,} | {seconds * 1000:.1f} | {len(rendered.markdown.encode()):,} | {rendered.shown} | {rendered.omitted} |")


if __name__ == "__main__":
    main()
