// bundleopsPipeline: plan, unit tests, then the planned steps for the planned target.
//
// A project's whole Jenkinsfile (see docs/jenkins.md and bundleopsPipeline.txt):
//
//   @Library('bundleops@v0.1.0') _
//   bundleopsPipeline(projectRoot: '.')
//
// Wiring only: `bundleops plan` decides the target and the steps; this script runs exactly what
// the plan lists. Rules kept throughout:
// - every `sh` is a single-quoted literal; values reach the shell through withEnv and
//   withCredentials, never through Groovy string interpolation into shell text;
// - the approval (`input`) waits outside any node and outside the lock, so a build waiting for a
//   person holds no executor and keeps no other build from deploying;
// - credentials are bound only around the steps that talk to the workspace.
import io.bundleops.Plan
import io.bundleops.Settings

def call(Map config = [:]) {
    List<String> problems = Settings.problems(config)
    if (problems) {
        error('bundleopsPipeline: ' + problems.join('; '))
    }
    Settings settings = Settings.from(config)
    Plan plan = planAndUnitTests(settings)
    if (!plan.hasTarget() || !plan.hasTargetSteps()) {
        echo('bundleops: the plan has no target steps (' + plan.describe() + '): nothing more to run')
        return
    }
    stage('bundleops ' + plan.target) {
        runTarget(settings, plan)
    }
}

/**
 * The sweep, for a job the timer starts (docs/jenkins.md): pull-request deployments of the staging
 * target past sweepOlderThan, or replaced by a newer build, are destroyed. Jenkins runs no build
 * when a pull request closes (multibranch removes the pull request's job), so this is how a
 * closed pull request's deployment goes away on Jenkins.
 *
 *   bundleopsPipeline.sweep(projectRoot: '.', sweepOlderThan: '7d')
 */
def sweep(Map config = [:]) {
    List<String> problems = Settings.problems(config)
    if (problems) {
        error('bundleopsPipeline.sweep: ' + problems.join('; '))
    }
    Settings settings = Settings.from(config)
    stage('bundleops sweep') {
        onAgent(settings) {
            Map scmVars = prepareWorkspace()
            withEnv(settings.environment() + Settings.scmEnvironment(scmVars) + settings.targetEnvironment('staging') + ['BUNDLEOPS_SWEEP_OLDER_THAN=' + settings.sweepOlderThan]) {
                installBundleops(settings)
                withCredentials(databricksCredentials(settings, 'staging')) {
                    sh 'bash .bundleops/ci/bundleops.sh sweep'
                }
            }
        }
    }
}

/** Stages "bundleops plan" and "bundleops unit", on one agent: the unit tests need no workspace credentials. */
private Plan planAndUnitTests(Settings settings) {
    Plan plan = null
    onAgent(settings) {
        stage('bundleops plan') {
            Map scmVars = prepareWorkspace()
            withEnv(settings.environment() + Settings.scmEnvironment(scmVars)) {
                installBundleops(settings)
                sh 'bash .bundleops/ci/bundleops.sh plan'
            }
            String dotenv = readFile(file: Settings.PLAN_FILE)
            String problem = Plan.problem(dotenv)
            if (problem) {
                error('bundleops: ' + problem)
            }
            plan = Plan.parse(dotenv)
            echo('bundleops plan: ' + plan.describe())
        }
        stage('bundleops unit') {
            if (!plan.runs('unit')) {
                echo('bundleops: unit tests are not planned')
                return
            }
            try {
                withEnv(settings.environment()) {
                    sh 'bash .bundleops/ci/bundleops.sh unit'
                }
            } catch (Exception failure) {
                reportFailedUnitTests(settings, plan)
                throw failure
            }
            recordUnitReports(settings, plan)
        }
    }
    return plan
}

/**
 * Failed unit tests end the build in the unit stage (the target stage never runs): publish, when
 * planned, runs there, so the build's test report and summary show the failed tests; otherwise
 * the unit reports are recorded as they are.
 */
private void reportFailedUnitTests(Settings settings, Plan plan) {
    if (!plan.runs('publish')) {
        recordUnitReports(settings, plan)
        return
    }
    // No SonarQube analysis of a build whose unit tests failed: it follows a green unit stage.
    withEnv(settings.environment() + ['BUNDLEOPS_SONAR=false']) {
        sh 'bash .bundleops/ci/bundleops.sh publish'
    }
    recordTargetReports(plan)
}

/**
 * The unit reports: carried to the target stage when publish will merge them there (each test is
 * counted once), otherwise recorded here so every build shows its tests.
 */
private void recordUnitReports(Settings settings, Plan plan) {
    dir(settings.projectRoot) {
        if (plan.hasTarget() && plan.runs('publish')) {
            stash(name: Settings.UNIT_STASH, includes: Settings.UNIT_REPORTS, allowEmpty: true)
        } else if (fileExists(Settings.UNIT_JUNIT_REPORT)) {
            junit(testResults: Settings.UNIT_JUNIT_REPORT)
            if (fileExists(Settings.UNIT_COVERAGE_REPORT)) {
                recordCoverage(tools: [[parser: 'COBERTURA', pattern: Settings.UNIT_COVERAGE_REPORT]], id: 'bundleops-unit', name: 'bundleops unit coverage')
            }
        }
    }
}

/**
 * The preview before the approval (when planned), the approval (if any), then the target's lock,
 * then an agent with the target's credentials.
 */
private void runTarget(Settings settings, Plan plan) {
    String target = plan.target
    if (plan.previewsBeforeApproval()) {
        previewBeforeApproval(settings, plan)
    }
    if (plan.needsApproval()) {
        approve(settings, target)
    }
    // A newer build that got this far first makes this one give up (pipeline-milestone-step).
    milestone(ordinal: 1, label: 'bundleops: approved for ' + target)
    lock(resource: settings.lockName(target, env.JOB_NAME, env.BRANCH_NAME != null, plan.deployment), inversePrecedence: true) {
        // The newest waiting build gets the lock first; this milestone then aborts older ones, so
        // an older commit is never deployed over a newer one.
        milestone(ordinal: 2, label: 'bundleops: deploying to ' + target)
        onAgent(settings) {
            Map scmVars = prepareWorkspace()
            withEnv(settings.environment() + Settings.scmEnvironment(scmVars) + settings.targetEnvironment(target)) {
                installBundleops(settings)
                if (plan.runs('publish')) {
                    dir(settings.projectRoot) {
                        unstash(Settings.UNIT_STASH)
                    }
                }
                boolean reviewed = plan.previewsBeforeApproval()
                if (reviewed) {
                    unstash(Settings.REVIEWED_PLAN_STASH)
                }
                try {
                    withCredentials(databricksCredentials(settings, target)) {
                        withEnv(reviewed ? ['BUNDLEOPS_PLAN_FILE=' + Settings.REVIEWED_PLAN] : []) {
                            runTargetSteps(settings, plan, reviewed)
                        }
                    }
                } finally {
                    recordTargetReports(plan)
                }
            }
        }
    }
}

/**
 * Validate and `bundleops preview` on an agent before the approval: the approver reads the plan in
 * this build's log and summary, and the stashed plan file is what the approved deploy applies.
 * Holds no lock: it only reads the workspace; the deploy stops if the workspace changed since.
 */
private void previewBeforeApproval(Settings settings, Plan plan) {
    onAgent(settings) {
        Map scmVars = prepareWorkspace()
        withEnv(settings.environment() + Settings.scmEnvironment(scmVars) + settings.targetEnvironment(plan.target) + ['BUNDLEOPS_PLAN_FILE=' + Settings.REVIEWED_PLAN]) {
            installBundleops(settings)
            withCredentials(databricksCredentials(settings, plan.target)) {
                if (plan.runs('validate')) {
                    sh 'bash .bundleops/ci/bundleops.sh validate'
                }
                sh 'bash .bundleops/ci/bundleops.sh preview'
            }
            stash(name: Settings.REVIEWED_PLAN_STASH, includes: Settings.REVIEWED_PLAN)
        }
    }
}

/** The approval: a person in the target's `submitter` list answers, or the build is aborted after the timeout. */
private void approve(Settings settings, String target) {
    Map request = [message: 'Deploy ' + (env.JOB_NAME ?: 'this build') + ' to ' + target + '?', ok: 'Deploy to ' + target, submitterParameter: 'BUNDLEOPS_APPROVER']
    String submitter = settings.submitter(target)
    if (submitter) {
        request.submitter = submitter
    } else {
        echo('bundleops: WARNING: no submitter for ' + target + ': anyone who may build this job can approve (set targets.' + target + '.submitter)')
    }
    timeout(time: settings.approvalTimeoutHours, unit: 'HOURS') {
        String approver = input(request)
        echo('bundleops: deployment to ' + target + ' approved by ' + approver)
    }
}

/** The planned steps in order; validate and preview are skipped when they ran before the approval (`reviewed`). */
/**
 * The planned steps in order. The red path: the first failing step stops the steps after it, but
 * publish still runs (the build's test report shows the failed tests), then that step's failure
 * fails the build, as it would have without publish.
 */
private void runTargetSteps(Settings settings, Plan plan, boolean reviewed) {
    Exception failure = null
    try {
        if (plan.runs('validate') && !reviewed) {
            sh 'bash .bundleops/ci/bundleops.sh validate'
        }
        if (plan.runs('preview') && !reviewed) {
            sh 'bash .bundleops/ci/bundleops.sh preview'
        }
        if (plan.runs('deploy')) {
            sh 'bash .bundleops/ci/bundleops.sh deploy'
        }
        if (plan.runs('test')) {
            sh 'bash .bundleops/ci/bundleops.sh test'
        }
    } catch (Exception error) {
        failure = error
    }
    if (plan.runs('publish')) {
        publishReports(settings)
    }
    if (failure != null) {
        throw failure
    }
}

/** `bundleops publish` (and the SonarQube analysis and quality gate when configured). */
private void publishReports(Settings settings) {
    if (settings.sonar) {
        withCredentials([string(credentialsId: settings.sonarCredentialsId, variable: 'SONAR_TOKEN')]) {
            sh 'bash .bundleops/ci/bundleops.sh publish'
        }
    } else {
        sh 'bash .bundleops/ci/bundleops.sh publish'
    }
}

/** The merged reports `bundleops publish` wrote; nothing when publish was not planned or did not get that far. */
private void recordTargetReports(Plan plan) {
    if (!plan.runs('publish') || !fileExists(Settings.JUNIT_REPORT)) {
        return
    }
    junit(testResults: Settings.JUNIT_REPORT)
    if (fileExists(Settings.COVERAGE_REPORT)) {
        recordCoverage(tools: [[parser: 'COBERTURA', pattern: Settings.COVERAGE_REPORT]], id: 'bundleops', name: 'bundleops coverage')
    }
    archiveArtifacts(artifacts: 'test-results/**', allowEmptyArchive: true)
}

/** One credential per target (its id is configurable): the Databricks secret as the SDK reads it. */
private List databricksCredentials(Settings settings, String target) {
    String id = settings.credentialsId(target)
    if (settings.authType == 'env-oidc') {
        // An "OpenID Connect id token" credential (oidc-provider plugin) is a secret-text credential.
        return [string(credentialsId: id, variable: 'DATABRICKS_OIDC_TOKEN')]
    }
    if (settings.authType == 'pat') {
        return [string(credentialsId: id, variable: 'DATABRICKS_TOKEN')]
    }
    return [usernamePassword(credentialsId: id, usernameVariable: 'DATABRICKS_CLIENT_ID', passwordVariable: 'DATABRICKS_CLIENT_SECRET')]
}

/**
 * pip install of bundleops. With pipIndexCredentialsId, the private index is bound as PIP_INDEX_URL
 * for this one step: pip reads it from the environment, and Jenkins masks it in the log.
 */
private void installBundleops(Settings settings) {
    if (settings.pipIndexCredentialsId) {
        withCredentials([string(credentialsId: settings.pipIndexCredentialsId, variable: 'PIP_INDEX_URL')]) {
            sh 'bash .bundleops/ci/bundleops.sh setup'
        }
    } else {
        sh 'bash .bundleops/ci/bundleops.sh setup'
    }
}

/** Check out this build's commit and write the library's script next to it; returns the SCM variables. */
private Map prepareWorkspace() {
    Map scmVars = checkout(scm)
    writeFile(file: Settings.SCRIPT_FILE, text: libraryResource(Settings.SCRIPT_RESOURCE))
    return scmVars
}

/** An executor on an agent with the configured label, or on any agent. */
private void onAgent(Settings settings, Closure body) {
    if (settings.agentLabel) {
        node(settings.agentLabel, body)
    } else {
        node(body)
    }
}
