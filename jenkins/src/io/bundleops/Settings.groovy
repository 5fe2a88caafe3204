package io.bundleops

/**
 * The settings of one bundleopsPipeline call: the keys a Jenkinsfile may set, their defaults, and
 * every value derived from them (environment entries, credential ids, lock names, approvers).
 *
 * Pure data and string handling, no pipeline step: classes under src/ run as CPS code in Jenkins,
 * where an instance kept in a local variable is serialized whenever the build waits (input, lock,
 * a new node). So the class is Serializable, has only a no-argument constructor and uses plain
 * loops instead of closures (JENKINS-26313 constructors, JENKINS-44924 closures in some methods).
 */
class Settings implements Serializable {
    private static final long serialVersionUID = 1L

    /** The bundleops release this library belongs to: consumers pin the library at v<VERSION>. */
    static final String VERSION = '0.1.0'
    /** pip requirement that installs bundleops; pinned to this library's release. */
    static final String DEFAULT_SOURCE = 'bundleops[local]==0.1.0'
    static final List<String> TARGETS = ['dev', 'staging', 'prod']
    static final List<String> AUTH_TYPES = ['oauth-m2m', 'env-oidc', 'pat']
    /** Every key bundleopsPipeline accepts; anything else is refused (a typo must not be ignored). */
    static final List<String> KEYS = [
        'projectRoot', 'bundleopsSource', 'pipIndexCredentialsId', 'python', 'agentLabel', 'authType',
        'sonar', 'sonarCredentialsId', 'sonarHostUrl', 'approvalTimeoutHours', 'sweepOlderThan', 'parallel', 'targets',
    ]
    /** Keys of one entry of `targets:`. */
    static final List<String> TARGET_KEYS = ['credentialsId', 'host', 'clientId', 'submitter', 'lock']

    /** The folder of bundleops' reports (BUNDLEOPS_REPORT_DIR's default); each bundle of a repository reports in <folder>/<key>/. */
    static final String REPORT_DIR = 'test-results'
    /** Written by `bundleops plan --format json` (the plan stage). */
    static final String PLAN_JSON = 'test-results/bundleops-plan.json'
    /** Where the library's shell script is written in each workspace (libraryResource -> writeFile). */
    static final String SCRIPT_FILE = '.bundleops/ci/bundleops.sh'
    static final String SCRIPT_RESOURCE = 'io/bundleops/bundleops.sh'
    /** Reports `bundleops unit` writes (relative to the bundle's folder). */
    static final String UNIT_REPORT_DIR = '.bundleops/reports/unit'
    static final String UNIT_STASH = 'bundleops-unit-reports'
    /** The plan `bundleops run --job preview` saves in the bundle's report folder; shown before the approval, applied after it (`--gated`). */
    static final String REVIEWED_PLAN = 'bundle-plan.json'
    static final String REVIEWED_PLAN_STASH = 'bundleops-reviewed-plan'
    /** Bundles at a time (`parallel` setting): the branches of one `parallel` step, and `bundleops run --parallel` for the unit tests. */
    static final int DEFAULT_PARALLEL = 10

    String projectRoot = '.'
    String bundleopsSource = DEFAULT_SOURCE
    /** Secret-text credential holding the private index pip installs bundleops from; empty: the agent's pip configuration. */
    String pipIndexCredentialsId = ''
    String python = 'python3'
    String agentLabel = ''
    String authType = 'oauth-m2m'
    boolean sonar = false
    String sonarCredentialsId = 'sonar-token'
    String sonarHostUrl = ''
    int approvalTimeoutHours = 72
    /** bundleopsPipeline.sweep: pull-request deployments older than this are destroyed (bundleops checks the value). */
    String sweepOlderThan = '7d'
    int parallel = DEFAULT_PARALLEL
    Map<String, Map<String, String>> targets = [:]

    /** What is wrong with a Jenkinsfile's settings, one message per problem; empty when they are usable. */
    static List<String> problems(Map config) {
        List<String> found = []
        if (config == null) {
            return found
        }
        for (Object key : config.keySet()) {
            if (!KEYS.contains(key)) {
                found.add("unknown setting '" + key + "' (settings: " + KEYS.join(', ') + ')')
            }
        }
        for (String key : ['bundleopsSource', 'python', 'authType', 'sonarCredentialsId', 'sweepOlderThan']) {
            if (config.containsKey(key) && !nonEmptyString(config[key])) {
                found.add(key + ' must be a non-empty string')
            }
        }
        for (String key : ['agentLabel', 'sonarHostUrl', 'pipIndexCredentialsId']) {
            if (config.containsKey(key) && config[key] != null && !(config[key] instanceof CharSequence)) {
                found.add(key + ' must be a string')
            }
        }
        if (config.containsKey('projectRoot')) {
            String rootProblem = projectRootProblem(config.projectRoot)
            if (rootProblem) {
                found.add(rootProblem)
            }
        }
        if (config.containsKey('authType') && !AUTH_TYPES.contains(String.valueOf(config.authType))) {
            found.add("authType '" + config.authType + "' is not one of " + AUTH_TYPES.join(', '))
        }
        if (config.containsKey('sonar') && !(config.sonar instanceof Boolean)) {
            found.add('sonar must be true or false')
        }
        if (config.containsKey('approvalTimeoutHours')) {
            Object hours = config.approvalTimeoutHours
            if (!(hours instanceof Integer) || ((Integer) hours) < 1) {
                found.add('approvalTimeoutHours must be a whole number of hours >= 1')
            }
        }
        if (config.containsKey('parallel') && (!(config.parallel instanceof Integer) || ((Integer) config.parallel) < 1)) {
            found.add('parallel must be a whole number of bundles >= 1')
        }
        if (config.containsKey('targets')) {
            found.addAll(targetProblems(config.targets))
        }
        return found
    }

    /** The settings of a call whose problems() were empty. */
    static Settings from(Map config) {
        Settings settings = new Settings()
        if (config == null) {
            return settings
        }
        if (config.containsKey('projectRoot')) {
            settings.projectRoot = normalizedRoot(String.valueOf(config.projectRoot))
        }
        if (config.containsKey('bundleopsSource')) {
            settings.bundleopsSource = String.valueOf(config.bundleopsSource)
        }
        if (config.pipIndexCredentialsId != null) {
            settings.pipIndexCredentialsId = String.valueOf(config.pipIndexCredentialsId).trim()
        }
        if (config.containsKey('sweepOlderThan')) {
            settings.sweepOlderThan = String.valueOf(config.sweepOlderThan)
        }
        if (config.containsKey('python')) {
            settings.python = String.valueOf(config.python)
        }
        if (config.agentLabel != null) {
            settings.agentLabel = String.valueOf(config.agentLabel).trim()
        }
        if (config.containsKey('authType')) {
            settings.authType = String.valueOf(config.authType)
        }
        if (config.containsKey('sonar')) {
            settings.sonar = (Boolean) config.sonar
        }
        if (config.containsKey('sonarCredentialsId')) {
            settings.sonarCredentialsId = String.valueOf(config.sonarCredentialsId)
        }
        if (config.sonarHostUrl != null) {
            settings.sonarHostUrl = String.valueOf(config.sonarHostUrl)
        }
        if (config.containsKey('approvalTimeoutHours')) {
            settings.approvalTimeoutHours = (Integer) config.approvalTimeoutHours
        }
        if (config.containsKey('parallel')) {
            settings.parallel = (Integer) config.parallel
        }
        if (config.targets != null) {
            Map given = (Map) config.targets
            for (Object name : given.keySet()) {
                Map<String, String> entry = [:]
                Map values = (Map) given[name]
                for (Object key : values.keySet()) {
                    if (values[key] != null) {
                        entry[String.valueOf(key)] = String.valueOf(values[key])
                    }
                }
                settings.targets[String.valueOf(name)] = entry
            }
        }
        return settings
    }

    /**
     * Environment of every bundleops script: settings reach the shell as data, never as shell text.
     * `root` is the folder the script works on: the planned folder, or one bundle's (bundleRoot).
     */
    List<String> environment(String root = projectRoot) {
        List<String> entries = [
            'BUNDLEOPS_PROJECT_ROOT=' + root,
            'BUNDLEOPS_SOURCE=' + bundleopsSource,
            'BUNDLEOPS_PYTHON=' + python,
            'BUNDLEOPS_SONAR=' + sonar,
            'BUNDLEOPS_PARALLEL=' + parallel,
            'DATABRICKS_AUTH_TYPE=' + authType,
        ]
        if (sonarHostUrl) {
            entries.add('SONAR_HOST_URL=' + sonarHostUrl)
        }
        return entries
    }

    /**
     * The commit the build checked out. Scripted pipelines get GIT_COMMIT only as the return value
     * of `checkout scm` (JENKINS-26100), and `bundleops context` reads it from the environment.
     */
    static List<String> scmEnvironment(Map scmVars) {
        List<String> entries = []
        if (scmVars == null) {
            return entries
        }
        for (String name : ['GIT_COMMIT', 'GIT_BRANCH', 'GIT_URL']) {
            if (scmVars[name]) {
                entries.add(name + '=' + scmVars[name])
            }
        }
        return entries
    }

    /** The environment of one bundle's leg: its folder, and its own report folder (BUNDLEOPS_REPORT_DIR). */
    List<String> bundleEnvironment(Plan bundle) {
        return environment(bundleRoot(bundle)) + ['BUNDLEOPS_REPORT_DIR=' + bundle.reportDir()]
    }

    /** A bundle's folder relative to the workspace: its project root under the planned folder. */
    String bundleRoot(Plan bundle) {
        if (bundle.projectRoot == '.') {
            return projectRoot
        }
        return projectRoot == '.' ? bundle.projectRoot : projectRoot + '/' + bundle.projectRoot
    }

    /** Environment of the target stage: the plan's target and that target's workspace settings. */
    List<String> targetEnvironment(String target) {
        List<String> entries = ['BUNDLEOPS_TARGET=' + target]
        String host = targetValue(target, 'host')
        if (host) {
            entries.add('DATABRICKS_HOST=' + host)
        }
        String clientId = targetValue(target, 'clientId')
        if (clientId && authType != 'oauth-m2m') {
            entries.add('DATABRICKS_CLIENT_ID=' + clientId)
        }
        return entries
    }

    /** Id of the Jenkins credential that holds the target's Databricks secret. */
    String credentialsId(String target) {
        return targetValue(target, 'credentialsId') ?: 'databricks-' + target
    }

    /** Who may approve a deployment to the target (input's `submitter`); null: anyone who may build the job. */
    String submitter(String target) {
        return targetValue(target, 'submitter') ?: null
    }

    /**
     * Lockable resource of the target. By default one per multibranch project and target, so two
     * builds of one project (a branch and a pull request) never deploy to the shared target at
     * once, while other projects' deployments are not held up. A bundle deployed by several
     * Jenkins projects shares a lock only when they set the same `lock:`. A pull request's own
     * deployment (`deployment`, e.g. pr-7) has a lock of its own: pull requests deploy in
     * parallel, and builds of the same pull request still take turns (the milestones abort the older).
     */
    String lockName(String target, String jobName, boolean multibranch, String deployment = '') {
        String shared = targetValue(target, 'lock') ?: 'bundleops-' + projectName(jobName, multibranch) + '-' + target
        return deployment ? shared + '-' + deployment : shared
    }

    /** The Jenkins project a build belongs to: a multibranch job's full name ends with the branch. */
    static String projectName(String jobName, boolean multibranch) {
        if (!jobName) {
            return 'unnamed'
        }
        int slash = jobName.lastIndexOf('/')
        if (multibranch && slash > 0) {
            return jobName.substring(0, slash)
        }
        return jobName
    }

    private String targetValue(String target, String key) {
        Map<String, String> entry = targets[target]
        return entry == null ? null : entry[key]
    }

    private static boolean nonEmptyString(Object value) {
        return value instanceof CharSequence && value.toString().trim().length() > 0
    }

    /** The project root is joined to workspace paths in shell scripts: relative, inside the workspace. */
    private static String projectRootProblem(Object value) {
        if (!nonEmptyString(value)) {
            return 'projectRoot must be a non-empty string (use \'.\' for the repository root)'
        }
        String root = value.toString()
        if (root.startsWith('/') || root.contains('\\')) {
            return "projectRoot '" + root + "' must be a relative path with / separators"
        }
        for (String segment : root.split('/')) {
            if (segment == '..') {
                return "projectRoot '" + root + "' must stay inside the workspace (no '..')"
            }
        }
        return null
    }

    private static String normalizedRoot(String root) {
        String trimmed = root.trim()
        while (trimmed.startsWith('./')) {
            trimmed = trimmed.substring(2)
        }
        while (trimmed.endsWith('/')) {
            trimmed = trimmed.substring(0, trimmed.length() - 1)
        }
        return trimmed ?: '.'
    }

    private static List<String> targetProblems(Object targetsValue) {
        List<String> found = []
        if (!(targetsValue instanceof Map)) {
            found.add('targets must be a map of target name to settings, e.g. [prod: [credentialsId: \'databricks-prod\']]')
            return found
        }
        Map given = (Map) targetsValue
        for (Object name : given.keySet()) {
            if (!TARGETS.contains(name)) {
                found.add("targets: unknown target '" + name + "' (targets: " + TARGETS.join(', ') + ')')
                continue
            }
            if (!(given[name] instanceof Map)) {
                found.add('targets.' + name + ' must be a map (keys: ' + TARGET_KEYS.join(', ') + ')')
                continue
            }
            Map entry = (Map) given[name]
            for (Object key : entry.keySet()) {
                if (!TARGET_KEYS.contains(key)) {
                    found.add('targets.' + name + ": unknown key '" + key + "' (keys: " + TARGET_KEYS.join(', ') + ')')
                } else if (entry[key] != null && !nonEmptyString(entry[key])) {
                    found.add('targets.' + name + '.' + key + ' must be a non-empty string')
                }
            }
        }
        return found
    }
}
