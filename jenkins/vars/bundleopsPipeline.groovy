// bundleopsPipeline: plan, unit tests, then the planned steps of each selected bundle on its target.
//
// A project's whole Jenkinsfile (see docs/jenkins.md and bundleopsPipeline.txt):
//
//   @Library('bundleops@v0.1.0') _
//   bundleopsPipeline(projectRoot: '.')
//
// Wiring only: `bundleops plan` decides the bundles, their targets and steps, and `bundleops run`
// runs one job's steps with the red path; this script runs exactly what the plan lists, one
// `parallel` branch per bundle of a target (a repository whose root is its bundle has one).
// Rules kept throughout:
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
    List<Plan> bundles = planAndUnitTests(settings)
    int stages = 0
    for (String target : Settings.TARGETS) {
        List<Plan> targeting = Plan.onTarget(bundles, target)
        if (targeting) {
            stage('bundleops ' + target) {
                runTarget(settings, target, targeting, 2 * stages)
            }
            stages += 1
        }
    }
    if (!stages) {
        echo('bundleops: the plan has no target steps (' + Plan.describeAll(bundles) + '): nothing more to run')
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
        onPreparedAgent(settings, settings.environment() + settings.targetEnvironment('staging') + ['BUNDLEOPS_SWEEP_OLDER_THAN=' + settings.sweepOlderThan]) {
            withCredentials(databricksCredentials(settings, 'staging')) {
                sh 'bash .bundleops/ci/bundleops.sh sweep'
            }
        }
    }
}

/**
 * After the deploy, for a Pipeline job (not multibranch) that the timer starts and people run by
 * hand, with the String build parameter ROLLBACK_TO (docs/jenkins.md, "Drift check" and "Rollback"):
 * - a build without ROLLBACK_TO (the timer's: its default is empty) checks prod for drift: read-only,
 *   no approval, no lock; drift found (exit 1) fails the build;
 * - a build with ROLLBACK_TO (`previous` or a commit of the deployment history) shows what the
 *   rollback changes, waits for prod's approval, then rolls prod back under prod's lock.
 * ROLLBACK_TO is text a person typed: it reaches the shell only through withEnv.
 *
 *   bundleopsPipeline.operations(projectRoot: '.')
 */
def operations(Map config = [:]) {
    List<String> problems = Settings.problems(config)
    if (problems) {
        error('bundleopsPipeline.operations: ' + problems.join('; '))
    }
    Settings settings = Settings.from(config)
    String rollbackTo = params.ROLLBACK_TO ? String.valueOf(params.ROLLBACK_TO).trim() : ''
    List<String> prod = settings.environment() + settings.targetEnvironment('prod')
    if (!rollbackTo) {
        stage('bundleops drift') {
            onProd(settings, prod) {
                sh 'bash .bundleops/ci/bundleops.sh drift'
            }
        }
        return
    }
    List<String> rollback = prod + ['BUNDLEOPS_ROLLBACK_TO=' + rollbackTo]
    stage('bundleops rollback preview') {
        onProd(settings, rollback + ['BUNDLEOPS_PREVIEW_ONLY=true']) {
            sh 'bash .bundleops/ci/bundleops.sh rollback'
        }
    }
    stage('bundleops rollback') {
        approve(settings, 'prod')
        lock(resource: settings.lockName('prod', env.JOB_NAME, false), inversePrecedence: true) {
            onProd(settings, rollback) {
                sh 'bash .bundleops/ci/bundleops.sh rollback'
            }
        }
    }
}

/** `body` on an agent with this build's checkout, bundleops, `environment` and prod's credentials. */
private void onProd(Settings settings, List<String> environment, Closure body) {
    onPreparedAgent(settings, environment) {
        withCredentials(databricksCredentials(settings, 'prod')) {
            body()
        }
    }
}

/** Stages "bundleops plan" and "bundleops unit", on one agent: the unit tests need no workspace credentials. */
private List<Plan> planAndUnitTests(Settings settings) {
    List<Plan> bundles = null
    onAgent(settings) {
        stage('bundleops plan') {
            Map scmVars = prepareWorkspace()
            withEnv(settings.environment() + Settings.scmEnvironment(scmVars)) {
                installBundleops(settings)
                sh 'bash .bundleops/ci/bundleops.sh plan'
            }
            String json = readFile(file: Settings.PLAN_JSON)
            String problem = Plan.problem(json)
            if (problem) {
                error('bundleops: ' + problem)
            }
            bundles = Plan.selected(json)
            echo('bundleops plan: ' + Plan.describeAll(bundles))
        }
        stage('bundleops unit') {
            List<Plan> testing = Plan.running(bundles, 'unit')
            if (!testing) {
                echo('bundleops: unit tests are not planned')
                return
            }
            try {
                // Every bundle's unit tests, settings.parallel at a time (`bundleops run --job unit`).
                withEnv(settings.environment()) {
                    sh 'bash .bundleops/ci/bundleops.sh unit'
                }
            } catch (Exception failure) {
                reportFailedUnitTests(settings, testing)
                throw failure
            }
            keepUnitReports(settings, testing)
        }
    }
    return bundles
}

/**
 * Failed unit tests end the build in the unit stage (no target stage runs). Where publish is
 * planned, `bundleops run --job unit` ran it (without SonarQube: the analysis follows a green unit
 * stage), so the build's test report shows the failed tests; elsewhere the unit reports as they are.
 */
private void reportFailedUnitTests(Settings settings, List<Plan> testing) {
    for (Plan bundle : testing) {
        if (!recordReports(bundle)) {
            recordUnitReports(settings, bundle)
        }
    }
}

/**
 * The unit reports: carried to the target stage when the bundle's publish will merge them there
 * (each test is counted once), otherwise recorded here so every build shows its tests.
 */
private void keepUnitReports(Settings settings, List<Plan> testing) {
    List<String> carried = []
    for (Plan bundle : testing) {
        if (bundle.publishesUnitReports()) {
            carried.add(bundle.unitReportDir() + '/**')
        } else {
            recordUnitReports(settings, bundle)
        }
    }
    if (carried) {
        dir(settings.projectRoot) {
            stash(name: Settings.UNIT_STASH, includes: carried.join(','), allowEmpty: true)
        }
    }
}

/** One bundle's unit reports as `bundleops unit` wrote them. */
private void recordUnitReports(Settings settings, Plan bundle) {
    dir(settings.projectRoot) {
        String reports = bundle.unitReportDir()
        if (fileExists(reports + '/junit.xml')) {
            junit(testResults: reports + '/junit.xml')
            if (fileExists(reports + '/coverage.xml')) {
                recordCoverage(tools: [[parser: 'COBERTURA', pattern: reports + '/coverage.xml']], id: bundle.own('bundleops-unit'), name: bundle.title('bundleops unit coverage'))
            }
        }
    }
}

/**
 * One target for its bundles: the previews before the approval (when planned), the approval (if
 * any), then the target's lock, then one parallel branch per bundle, each on an agent with the
 * target's credentials. `milestones`: the ordinals this build's earlier targets used.
 */
private void runTarget(Settings settings, String target, List<Plan> bundles, int milestones) {
    boolean gated = Plan.needApproval(bundles)
    if (gated) {
        List<Plan> previewing = Plan.running(bundles, 'preview')
        if (previewing) {
            inParallel(settings, previewing) { Plan bundle -> previewBeforeApproval(settings, target, bundle) }
        }
        approve(settings, target)
    }
    // A newer build that got this far first makes this one give up (pipeline-milestone-step).
    milestone(ordinal: milestones + 1, label: 'bundleops: approved for ' + target)
    lock(resource: settings.lockName(target, env.JOB_NAME, env.BRANCH_NAME != null, Plan.sharedDeployment(bundles)), inversePrecedence: true) {
        // The newest waiting build gets the lock first; this milestone then aborts older ones, so
        // an older commit is never deployed over a newer one.
        milestone(ordinal: milestones + 2, label: 'bundleops: deploying to ' + target)
        inParallel(settings, bundles) { Plan bundle -> runBundle(settings, target, bundle, gated) }
    }
}

/**
 * One `parallel` branch per bundle, named by its folder. Jenkins' `parallel` has no limit of its
 * own, so the bundles run in batches of settings.parallel, one `parallel` step after the other.
 * failFast is off: a failing bundle ends only its own branch, the others and the later batches
 * still run, then the stage fails, naming the failed bundles. An abort stops at once.
 */
private void inParallel(Settings settings, List<Plan> bundles, Closure leg) {
    List<String> failed = []
    Exception first = null
    for (List<Plan> batch : Plan.batches(bundles, settings.parallel)) {
        Map branches = [failFast: false]
        for (Plan bundle : batch) {
            Plan each = bundle
            branches[each.projectRoot] = {
                try {
                    leg(each)
                } catch (Exception failure) {
                    failed.add(each.projectRoot)
                    throw failure
                }
            }
        }
        try {
            parallel(branches)
        } catch (Exception failure) {
            if (failure instanceof InterruptedException) {
                throw failure
            }
            first = first ?: failure
        }
    }
    if (first != null) {
        echo('bundleops: ' + failed.size() + ' of ' + bundles.size() + ' bundle(s) failed: ' + failed.join(', '))
        throw first
    }
}

/**
 * Validate and the preview of one bundle on an agent before the approval: the approver reads the
 * plan in this build's log and summary, and the stashed plan file is what the approved deploy
 * applies. Holds no lock: it only reads the workspace; the deploy stops if the workspace changed since.
 */
private void previewBeforeApproval(Settings settings, String target, Plan bundle) {
    onPreparedAgent(settings, settings.bundleEnvironment(bundle) + settings.targetEnvironment(target)) {
        withCredentials(databricksCredentials(settings, target)) {
            sh 'bash .bundleops/ci/bundleops.sh preview'
        }
        stash(name: bundle.own(Settings.REVIEWED_PLAN_STASH), includes: bundle.reportDir() + '/' + Settings.REVIEWED_PLAN)
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

/**
 * One bundle's branch: on an agent with the target's credentials, `bundleops run --job target`
 * (validate, preview, deploy, test, publish as planned, with the red path; after an approval,
 * `--gated`: the deploy applies the reviewed plan), then the bundle's reports.
 */
private void runBundle(Settings settings, String target, Plan bundle, boolean gated) {
    onPreparedAgent(settings, settings.bundleEnvironment(bundle) + settings.targetEnvironment(target) + (gated ? ['BUNDLEOPS_GATED=true'] : [])) {
        if (bundle.runs('unit') && bundle.publishesUnitReports()) {
            dir(settings.projectRoot) {
                unstash(Settings.UNIT_STASH)
            }
        }
        if (gated && bundle.runs('preview')) {
            unstash(bundle.own(Settings.REVIEWED_PLAN_STASH))
        }
        try {
            withCredentials(databricksCredentials(settings, target) + sonarCredentials(settings)) {
                sh 'bash .bundleops/ci/bundleops.sh target'
            }
        } finally {
            recordReports(bundle)
        }
    }
}

/**
 * The merged reports `bundleops publish` wrote in the bundle's report folder (JUnit, Cobertura
 * coverage under an id of its own, the folder archived); false when publish was not planned or
 * did not get that far.
 */
private boolean recordReports(Plan bundle) {
    String reports = bundle.reportDir()
    if (!bundle.runs('publish') || !fileExists(reports + '/junit.xml')) {
        return false
    }
    junit(testResults: reports + '/junit.xml')
    if (fileExists(reports + '/coverage.xml')) {
        recordCoverage(tools: [[parser: 'COBERTURA', pattern: reports + '/coverage.xml']], id: bundle.own('bundleops'), name: bundle.title('bundleops coverage'))
    }
    archiveArtifacts(artifacts: reports + '/**', allowEmptyArchive: true)
    return true
}

/** SONAR_TOKEN for `bundleops run --sonar` (publish's analysis and the quality gate), when configured. */
private List sonarCredentials(Settings settings) {
    return settings.sonar ? [string(credentialsId: settings.sonarCredentialsId, variable: 'SONAR_TOKEN')] : []
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

/** An agent with this build's checkout and bundleops installed; `environment` and the checkout's commit set around `body`. */
private void onPreparedAgent(Settings settings, List<String> environment, Closure body) {
    onAgent(settings) {
        Map scmVars = prepareWorkspace()
        withEnv(environment + Settings.scmEnvironment(scmVars)) {
            installBundleops(settings)
            body()
        }
    }
}

/** An executor on an agent with the configured label, or on any agent. */
private void onAgent(Settings settings, Closure body) {
    if (settings.agentLabel) {
        node(settings.agentLabel, body)
    } else {
        node(body)
    }
}
