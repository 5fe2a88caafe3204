#!/usr/bin/env bash
# bundleops for Jenkins: the only shell the shared library runs. bundleopsPipeline writes it into
# each workspace (libraryResource + writeFile) and calls it with a fixed command word:
#
#   bash .bundleops/ci/bundleops.sh setup|plan|unit|preview|target|sweep|drift|rollback
#
# Every value comes from the environment (withEnv, withCredentials), never from the command line
# or from text pasted into a script: BUNDLEOPS_PYTHON, BUNDLEOPS_SOURCE, BUNDLEOPS_PROJECT_ROOT (the
# planned folder, or one bundle's in a parallel leg), BUNDLEOPS_TARGET, BUNDLEOPS_SONAR,
# BUNDLEOPS_GATED (the leg after the approval), BUNDLEOPS_SWEEP_OLDER_THAN, BUNDLEOPS_ROLLBACK_TO (the
# ROLLBACK_TO build parameter, text a person typed), BUNDLEOPS_PREVIEW_ONLY (the rollback's preview). bundleops itself reads
# BUNDLEOPS_PARALLEL and BUNDLEOPS_REPORT_DIR, branch names and pull-request titles (CHANGE_*,
# BRANCH_NAME). The jobs' steps and their red path are `bundleops run`'s (docs/monorepo.md).
set -euo pipefail

command=${1:?usage: bundleops.sh setup|plan|unit|preview|target|sweep|drift|rollback}
root=${BUNDLEOPS_PROJECT_ROOT:-.}

bundleops() {
    # The interpreter pip installed into, whatever the agent's PATH says about `bundleops`.
    "$BUNDLEOPS_PYTHON" -m bundleops "$@"
}

case "$command" in
    setup)
        # Jenkins reuses workspaces and `checkout scm` keeps untracked files: reports of an
        # earlier build (each bundle's unit reports too) must not be published as this build's.
        rm -rf test-results
        find "$root" -path '*/.bundleops/reports' -prune -exec rm -rf {} +
        "$BUNDLEOPS_PYTHON" -m pip install --quiet --disable-pip-version-check "$BUNDLEOPS_SOURCE"
        ;;
    plan)
        # The plan of every selected bundle, as JSON for the library (which logs each bundle's
        # plan); a warning (a shallow clone plans every bundle) goes to the log on stderr.
        mkdir -p test-results
        bundleops plan --format json --project-root "$root" > test-results/bundleops-plan.json
        ;;
    unit)
        bundleops run --job unit --project-root "$root"
        ;;
    preview)
        bundleops run --job preview --target "${BUNDLEOPS_TARGET:?the target stage sets BUNDLEOPS_TARGET}" --project-root "$root"
        ;;
    target)
        if [ "${BUNDLEOPS_SONAR:-false}" = true ]; then set -- --sonar; else set --; fi
        if [ "${BUNDLEOPS_GATED:-false}" = true ]; then set -- "$@" --gated; fi
        bundleops run --job target --target "${BUNDLEOPS_TARGET:?the target stage sets BUNDLEOPS_TARGET}" --project-root "$root" "$@"
        ;;
    sweep)
        bundleops sweep --project-root "$root" --target "${BUNDLEOPS_TARGET:?the target stage sets BUNDLEOPS_TARGET}" --older-than "${BUNDLEOPS_SWEEP_OLDER_THAN:?bundleopsSweep sets BUNDLEOPS_SWEEP_OLDER_THAN}"
        ;;
    drift)
        bundleops drift --project-root "$root" --target "${BUNDLEOPS_TARGET:?the drift stage sets BUNDLEOPS_TARGET}"
        ;;
    rollback)
        if [ "${BUNDLEOPS_PREVIEW_ONLY:-false}" = true ]; then set -- --preview-only; else set --; fi
        bundleops rollback --project-root "$root" --target "${BUNDLEOPS_TARGET:?the rollback stage sets BUNDLEOPS_TARGET}" --to "${BUNDLEOPS_ROLLBACK_TO:?the ROLLBACK_TO build parameter sets BUNDLEOPS_ROLLBACK_TO}" "$@"
        ;;
    *)
        echo "bundleops.sh: unknown command '$command' (setup, plan, unit, preview, target, sweep, drift, rollback)" >&2
        exit 2
        ;;
esac
