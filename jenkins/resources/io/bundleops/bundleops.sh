#!/usr/bin/env bash
# bundleops for Jenkins: the only shell the shared library runs. bundleopsPipeline writes it into
# each workspace (libraryResource + writeFile) and calls it with a fixed command word:
#
#   bash .bundleops/ci/bundleops.sh setup|plan|unit|validate|preview|deploy|test|publish|sweep
#
# Every value comes from the environment (withEnv, withCredentials), never from the command line
# or from text pasted into a script: BUNDLEOPS_PYTHON, BUNDLEOPS_SOURCE, BUNDLEOPS_PROJECT_ROOT,
# BUNDLEOPS_TARGET, BUNDLEOPS_SONAR, BUNDLEOPS_PLAN_FILE (the reviewed plan deploy applies),
# BUNDLEOPS_SWEEP_OLDER_THAN. Branch names and pull-request titles are read by bundleops
# itself (CHANGE_*, BRANCH_NAME), not here.
set -euo pipefail

command=${1:?usage: bundleops.sh setup|plan|unit|validate|preview|deploy|test|publish|sweep}
root=${BUNDLEOPS_PROJECT_ROOT:-.}

bundleops() {
    # The interpreter pip installed into, whatever the agent's PATH says about `bundleops`.
    "$BUNDLEOPS_PYTHON" -m bundleops "$@"
}

case "$command" in
    setup)
        # Jenkins reuses workspaces and `checkout scm` keeps untracked files: reports of an
        # earlier build must not be published as this build's.
        rm -rf test-results "$root/.bundleops/reports"
        "$BUNDLEOPS_PYTHON" -m pip install --quiet --disable-pip-version-check "$BUNDLEOPS_SOURCE"
        ;;
    plan)
        bundleops plan --outputs --project-root "$root"
        ;;
    unit)
        bundleops unit --project-root "$root"
        ;;
    validate | test)
        bundleops "$command" --project-root "$root" --target "${BUNDLEOPS_TARGET:?the target stage sets BUNDLEOPS_TARGET}"
        ;;
    preview | deploy)
        # BUNDLEOPS_PLAN_FILE: where the preview keeps the plan before the approval, and what deploy applies after it.
        bundleops "$command" --project-root "$root" --target "${BUNDLEOPS_TARGET:?the target stage sets BUNDLEOPS_TARGET}" ${BUNDLEOPS_PLAN_FILE:+--plan-file "$BUNDLEOPS_PLAN_FILE"}
        ;;
    sweep)
        bundleops sweep --project-root "$root" --target "${BUNDLEOPS_TARGET:?bundleopsSweep sets BUNDLEOPS_TARGET}" --older-than "${BUNDLEOPS_SWEEP_OLDER_THAN:?bundleopsSweep sets BUNDLEOPS_SWEEP_OLDER_THAN}"
        ;;
    publish)
        if [ "${BUNDLEOPS_SONAR:-false}" = true ]; then
            bundleops publish --project-root "$root" --sonar
            bundleops quality-gate --project-root "$root"
        else
            bundleops publish --project-root "$root"
        fi
        ;;
    *)
        echo "bundleops.sh: unknown command '$command' (setup, plan, unit, validate, preview, deploy, test, publish, sweep)" >&2
        exit 2
        ;;
esac
