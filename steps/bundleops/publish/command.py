"""`bundleops publish`: one JUnit and one coverage report about this repository, shown natively."""

from __future__ import annotations

import argparse

from bundleops import step

NAME = "publish"
HELP = "merge unit + integration JUnit and coverage, re-root workspace paths, publish to the CI system (and SonarQube)"
DESCRIPTION = (
    "Merges the unit and integration JUnit reports (suites prefixed `unit:` / `integration:`), combines\n"
    "coverage and re-roots paths measured in the workspace (/Workspace/.../.bundle/<bundle>/<target>/files/...)\n"
    "onto the repository, writes test-results/junit.xml and test-results/coverage.xml, and shows totals,\n"
    "failed tests and coverage natively (job summary, annotations, step outputs).\n"
    "Failed tests do not fail this step: `bundleops unit` and `bundleops test` already did.\n"
    "--sonar then runs the SonarQube scanner (pysonar) with properties derived from the CI context;\n"
    "the token comes only from SONAR_TOKEN. SonarQube ignores test-execution reports for pull requests.\n"
    "pysonar has no network time-out: at --sonar-timeout the scanner and every process it started are\n"
    "stopped and publish exits 3."
)
EXAMPLE = "bundleops publish --target staging --sonar    # after `bundleops unit` and `bundleops test --target staging`"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    # --target is optional: it names the environment the run belongs to (summary, trace), nothing more.
    step.add_target_argument(parser, required=False)
    parser.add_argument("--junit", nargs="+", metavar="GLOB", help="JUnit reports to merge, relative to the project root (default: .bundleops/reports/{unit,integration}/junit.xml)")
    parser.add_argument("--coverage", nargs="+", metavar="GLOB", help="Cobertura XML or .coverage data files to combine (default: .bundleops/reports/{unit,integration}/coverage.xml)")
    parser.add_argument("--sonar", action="store_true", help="then run the SonarQube scanner (needs SONAR_TOKEN and SONAR_HOST_URL or sonar.host_url)")
    parser.add_argument("--sonar-dry-run", action="store_true", help="with --sonar: validate the scanner configuration offline (pysonar --dry-run), no upload")
    parser.add_argument("--sonar-timeout", type=float, metavar="S", help="with --sonar: stop the scanner after S seconds, exit 3 (default: sonar.scanner_timeout_seconds, 900)")


def run(args: argparse.Namespace) -> int:
    from bundleops.publish import publisher, sonar

    with step.begin(NAME, args) as run:
        published = publisher.publish(run.out, run.project_root.resolve(), args.junit, args.coverage, max_annotations=run.config.publish.max_annotations, target=run.target)
        if args.sonar or args.sonar_dry_run:
            timeout = args.sonar_timeout if args.sonar_timeout is not None else run.config.sonar.scanner_timeout_seconds
            return sonar.analyse(run, published, dry_run=args.sonar_dry_run, timeout=timeout)
    return 0
