"""`python -m tests.fidelity [-v]`: run every fidelity case and print matched / differing / refused per rule."""

from __future__ import annotations

import sys
import tempfile
from collections import Counter
from pathlib import Path

from tests.fidelity.runner import STATUSES, Identity, load_cases, run_case


def main(verbose: bool) -> int:
    from bundleops.localcli.user import short_name
    from bundleops.localworkspace import DEV_USER, LocalWorkspace

    counts: dict[str, Counter[str]] = {}
    with tempfile.TemporaryDirectory() as scratch, LocalWorkspace(Path(scratch, "state")) as workspace:
        identity = Identity(workspace.host, workspace.user_token, DEV_USER, short_name(DEV_USER))
        for number, case in enumerate(load_cases()):
            outcome = run_case(case, identity, Path(scratch, f"case{number}"))
            counts.setdefault(case.rule, Counter())[outcome.status] += 1
            if verbose and outcome.status != "match":
                print(f"- {case.id} [{outcome.status}] (recorded: {case.recorded})\n  " + "\n  ".join(outcome.differences or [case.reason]))
    total: Counter[str] = sum(counts.values(), Counter())
    print("| rule | " + " | ".join(STATUSES) + " |\n|---|" + "---|" * len(STATUSES))
    for rule, counter in sorted(counts.items()) + [("**all**", total)]:
        print(f"| {rule} | " + " | ".join(str(counter[status]) for status in STATUSES) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main("-v" in sys.argv[1:]))
