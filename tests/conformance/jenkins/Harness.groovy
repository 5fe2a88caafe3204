/*
 * A Jenkins Pipeline harness for bundleops' shared library, in the manner of JenkinsPipelineUnit
 * (which, like Jenkins, comes from Maven Central: not reachable here). Run with Debian's `groovy`
 * (2.4, the Groovy line Jenkins ships):
 *
 *   groovy Harness.groovy run --jenkinsfile F --library bundleops=DIR --scm REPO --build BUILD.json --workdir W
 *   groovy Harness.groovy lint --library-dir DIR
 *
 * `run` executes a Jenkinsfile as a multibranch build would:
 * - `@Library('<name>@<version>') _` is the source override point: each library named there must
 *   be mapped with --library to a folder (vars/, src/, resources/), else the run is refused. The
 *   library's src/ is on the class path; each vars/<name>.groovy is a global variable whose
 *   `call` runs when the Jenkinsfile calls <name>(...).
 * - Steps are stubs with Jenkins' names, parameters and failure messages. `sh` runs for real
 *   (/bin/sh -xe on a script file in <workspace>@tmp, as durable-task does) with exactly the
 *   build's environment plus withEnv/withCredentials/node overlays; `checkout scm` clones --scm
 *   into the node's workspace and returns GIT_COMMIT etc. (a scripted pipeline gets them only that
 *   way; GIT_BRANCH is BRANCH_NAME in a multibranch build, else the build file's `scmBranch`, the
 *   Git plugin's `origin/<branch>` of a plain Pipeline job); `params` is the build file's `params`
 *   (a parameterized job's values); stash/unstash copy files; junit/recordCoverage/archiveArtifacts check that their files
 *   exist and parse; `input` auto-approves as the build file's approver; `lock`, `milestone` and
 *   `timeout` only run their body. Values bound by withCredentials are masked in the log.
 * - Every `node` block gets a fresh workspace (as if on another agent): files reach a later
 *   node only through stash/unstash, never by accident.
 * - What the harness does not model fails loudly (exit 3, "HARNESS REFUSED"): an unknown step or
 *   global variable, an unknown step parameter, a GString as a shell script, a step that needs a
 *   workspace outside `node`, `parallel` with failFast: true, input parameters, lock labels. Jenkins
 *   itself would accept some of these; the harness would rather say it cannot judge them than pass.
 * - `parallel` (workflow-cps: a map of branch names to closures, optional failFast) runs its
 *   branches one after another in the map's order; each runs to its end whatever the others do,
 *   then the step fails with the first failed branch's error, as Jenkins does without failFast.
 *   Jenkins interleaves the branches (on one CPS thread, each on its own `node`); the harness
 *   checks what each branch does, not their timing.
 * - Not modelled: CPS serialization and the script-security sandbox (a global library is trusted),
 *   concurrent builds (locks and milestones never wait), real timeouts.
 * Every step call is recorded (stage, parallel branch, node or not, locks held, working folder), printed at the end
 * and written to <workdir>/calls.json. Exit 0: SUCCESS; 1: FAILURE/UNSTABLE/ABORTED; 3: refused.
 *
 * `lint` compiles every vars/ and src/ file without running it (src/ on the class path) and prints
 * one JSON line per `sh` call (the kind of its script argument) and per class (Serializable or not).
 */

import groovy.io.FileType
import groovy.json.JsonOutput
import groovy.json.JsonSlurper
import groovy.util.slurpersupport.GPathResult
import java.util.regex.Matcher
import java.util.regex.Pattern
import org.codehaus.groovy.ast.ClassCodeVisitorSupport
import org.codehaus.groovy.ast.ClassHelper
import org.codehaus.groovy.ast.ClassNode
import org.codehaus.groovy.ast.expr.ConstantExpression
import org.codehaus.groovy.ast.expr.Expression
import org.codehaus.groovy.ast.expr.MapEntryExpression
import org.codehaus.groovy.ast.expr.MethodCallExpression
import org.codehaus.groovy.ast.expr.NamedArgumentListExpression
import org.codehaus.groovy.ast.expr.TupleExpression
import org.codehaus.groovy.classgen.GeneratorContext
import org.codehaus.groovy.control.CompilationFailedException
import org.codehaus.groovy.control.CompilationUnit
import org.codehaus.groovy.control.CompilerConfiguration
import org.codehaus.groovy.control.Phases
import org.codehaus.groovy.control.SourceUnit

/** The harness cannot model what the pipeline asked for: never a pass, never a plain failure. */
class HarnessRefusal extends RuntimeException {
    HarnessRefusal(String message) { super(message) }
}

/** A step failed the way it fails in Jenkins (AbortException: a message, no stack trace). */
class StepFailed extends RuntimeException {
    StepFailed(String message) { super(message) }
}

/** Base class of the Jenkinsfile and of every vars/ script: steps and globals come from the run. */
abstract class PipelineScript extends Script {
    def methodMissing(String name, Object args) {
        return PipelineRun.current.invokeStep(name, args as Object[])
    }

    Object getProperty(String name) {
        PipelineRun run = PipelineRun.current
        if (run != null && run.hasGlobal(name)) {
            return run.global(name)
        }
        try {
            return super.getProperty(name)
        } catch (MissingPropertyException missing) {
            if (missing.property == name) {
                throw new HarnessRefusal("unknown global variable '${name}': the harness provides ${run?.globalNames()}")
            }
            throw missing
        }
    }
}

/** `env`: the build's environment with the overlays of the enclosing withEnv/withCredentials/node. */
class EnvGlobal extends GroovyObjectSupport implements Serializable {
    Object getProperty(String name) { return PipelineRun.current.currentEnv()[name] }
    void setProperty(String name, Object value) { PipelineRun.current.setBuildEnv(name, value) }
    Object getAt(String name) { return getProperty(name) }
    String toString() { return 'env' }
}

/** `currentBuild`: the result only gets worse, as in Jenkins. */
class BuildGlobal implements Serializable {
    static final List<String> ORDER = ['SUCCESS', 'UNSTABLE', 'FAILURE', 'NOT_BUILT', 'ABORTED']
    String result = null
    int number = 1
    String displayName = '#1'
    String description = null
    String absoluteUrl = null

    void setResult(String value) {
        if (!ORDER.contains(value)) {
            throw new HarnessRefusal("currentBuild.result = '${value}': not one of ${ORDER}")
        }
        if (result == null || ORDER.indexOf(value) > ORDER.indexOf(result)) {
            result = value
        }
        PipelineRun.current?.record('currentBuild.result', [result: value])
    }

    String getCurrentResult() { return result ?: 'SUCCESS' }
}

/** `scm`: the multibranch project's SCM for this build's branch or pull request. */
class ScmGlobal implements Serializable {
    String url
    String toString() { return "GitSCM(${url})" }
}

/** What usernamePassword(...) / string(...) return: a binding withCredentials resolves. */
class CredentialBinding implements Serializable {
    String kind
    Map params
    Map describe() { return [kind: kind] + params }
}

/** Ant-style patterns (`**`, `*`, `?`, comma-separated), as Jenkins' file steps take them. */
class AntGlob {
    static final List<String> DEFAULT_EXCLUDES = ['**/.git/**', '**/.git', '**/.svn/**', '**/.hg/**', '**/CVS/**']

    static Pattern toRegex(String antPattern) {
        String pattern = antPattern.trim().replace('\\', '/')
        while (pattern.startsWith('./')) {
            pattern = pattern.substring(2)
        }
        if (pattern.endsWith('/')) {
            pattern += '**'
        }
        StringBuilder regex = new StringBuilder()
        int i = 0
        while (i < pattern.length()) {
            if (pattern.startsWith('**/', i)) {
                regex.append('(?:.*/)?')
                i += 3
            } else if (pattern.startsWith('**', i)) {
                regex.append('.*')
                i += 2
            } else if (pattern.charAt(i) == '*' as char) {
                regex.append('[^/]*')
                i += 1
            } else if (pattern.charAt(i) == '?' as char) {
                regex.append('[^/]')
                i += 1
            } else {
                regex.append(Pattern.quote(pattern.substring(i, i + 1)))
                i += 1
            }
        }
        return Pattern.compile(regex.toString())
    }

    static List<Pattern> patterns(String list) {
        if (!list) {
            return []
        }
        return list.split(',').findAll { it.trim() }.collect { toRegex(it) }
    }

    /** Paths (relative, with /) of the files under base matching includes and no excludes, sorted. */
    static List<String> find(File base, String includes, String excludes = null, boolean defaultExcludes = true) {
        if (!base.isDirectory()) {
            return []
        }
        List<Pattern> include = patterns(includes)
        List<Pattern> exclude = patterns(excludes) + (defaultExcludes ? DEFAULT_EXCLUDES.collect { toRegex(it) } : [])
        List<String> found = []
        String root = base.canonicalFile.path
        base.eachFileRecurse(FileType.FILES) { File file ->
            String relative = file.canonicalFile.path.substring(root.length() + 1).replace(File.separator, '/')
            if (include.any { it.matcher(relative).matches() } && !exclude.any { it.matcher(relative).matches() }) {
                found.add(relative)
            }
        }
        return found.sort()
    }
}

/** One build: its state, its steps, its record. */
class PipelineRun {
    static PipelineRun current

    /** Parameters of every step the harness knows (Jenkins' own names); anything else is refused. */
    static final Map<String, List<String>> PARAMS = [
        sh: ['script', 'returnStdout', 'returnStatus', 'encoding', 'label'],
        echo: ['message'],
        error: ['message'],
        stage: ['name'],
        node: ['label'],
        dir: ['path'],
        withEnv: ['overrides'],
        withCredentials: ['bindings'],
        usernamePassword: ['credentialsId', 'usernameVariable', 'passwordVariable'],
        string: ['credentialsId', 'variable'],
        lock: ['resource', 'inversePrecedence', 'skipIfLocked', 'variable', 'label', 'quantity', 'extra', 'priority'],
        input: ['message', 'id', 'ok', 'submitter', 'submitterParameter', 'parameters'],
        timeout: ['time', 'unit', 'activity'],
        milestone: ['ordinal', 'label', 'unsafe'],
        checkout: ['scm', 'changelog', 'poll'],
        stash: ['name', 'includes', 'excludes', 'allowEmpty', 'useDefaultExcludes'],
        unstash: ['name'],
        junit: ['testResults', 'allowEmptyResults', 'keepLongStdio', 'healthScaleFactor', 'skipPublishingChecks', 'skipMarkingBuildUnstable', 'checksName', 'keepProperties', 'keepTestNames', 'stdioRetention'],
        recordCoverage: ['tools', 'id', 'name', 'sourceCodeRetention', 'sourceCodeEncoding', 'sourceDirectories', 'enabledForFailure', 'failOnError', 'skipPublishingChecks', 'ignoreParsingErrors', 'skipSymbolicLinks', 'checksName', 'qualityGates'],
        archiveArtifacts: ['artifacts', 'excludes', 'allowEmptyArchive', 'fingerprint', 'onlyIfSuccessful', 'defaultExcludes', 'caseSensitive', 'followSymlinks'],
        libraryResource: ['resource', 'encoding'],
        writeFile: ['file', 'text', 'encoding'],
        readFile: ['file', 'encoding'],
        fileExists: ['file'],
        parallel: ['failFast'],
    ]
    /** The parameter a lone positional argument fills (`sh 'x'` is `sh(script: 'x')`). */
    static final Map<String, String> DEFAULT_PARAM = [
        sh: 'script', echo: 'message', error: 'message', stage: 'name', node: 'label', dir: 'path',
        withEnv: 'overrides', withCredentials: 'bindings', lock: 'resource', input: 'message',
        milestone: 'ordinal', checkout: 'scm', unstash: 'name', junit: 'testResults',
        archiveArtifacts: 'artifacts', libraryResource: 'resource', readFile: 'file', fileExists: 'file',
    ]
    static final List<String> BLOCK_STEPS = ['stage', 'node', 'dir', 'withEnv', 'withCredentials', 'lock', 'timeout']
    /** Steps that need a workspace: Jenkins refuses them outside `node` ("Required context class hudson.FilePath is missing"). */
    static final List<String> NEEDS_NODE = ['sh', 'dir', 'checkout', 'stash', 'unstash', 'junit', 'recordCoverage', 'archiveArtifacts', 'writeFile', 'readFile', 'fileExists']
    /** Binding symbols: they build an argument of withCredentials and are not steps of their own. */
    static final List<String> SYMBOLS = ['usernamePassword', 'string']
    static final List<String> TIME_UNITS = ['NANOSECONDS', 'MICROSECONDS', 'MILLISECONDS', 'SECONDS', 'MINUTES', 'HOURS', 'DAYS']

    final File workdir
    final File scmRepository
    final Map<String, File> libraries
    final Map<String, String> buildEnv = new LinkedHashMap<>()
    final Map<String, Map> credentials
    final String approver
    final Map<String, Object> globals = [:]
    final List<Map> calls = []

    private final List<Map<String, String>> overlays = []
    private final List<List<String>> secretStack = []
    private final List<File> cwdStack = []
    private final List<String> stageStack = []
    private final List<String> branchStack = []
    private final List<String> locksHeld = []
    private int nodeDepth = 0
    private int agentCount = 0
    private int shCount = 0
    private int lastMilestone = 0
    private final BuildGlobal currentBuild = new BuildGlobal()
    /** A plain Pipeline job's branch as the Git plugin names it (`origin/main`); a multibranch build's is BRANCH_NAME. */
    private final String scmBranch

    PipelineRun(File workdir, File scmRepository, Map<String, File> libraries, Map build) {
        this.workdir = workdir
        this.scmRepository = scmRepository
        this.libraries = libraries
        ((Map) build.env ?: [:]).each { key, value -> buildEnv[key as String] = value as String }
        this.credentials = (Map) build.credentials ?: [:]
        this.approver = build.approver ?: 'approver'
        this.scmBranch = build.scmBranch as String
        globals.env = new EnvGlobal()
        globals.params = Collections.unmodifiableMap((Map) build.params ?: [:])
        globals.currentBuild = currentBuild
        globals.scm = new ScmGlobal(url: scmRepository.path)
        currentBuild.number = (buildEnv.BUILD_NUMBER ?: '1') as int
        currentBuild.displayName = '#' + currentBuild.number
        currentBuild.absoluteUrl = buildEnv.BUILD_URL
    }

    // -- globals and dispatch -------------------------------------------------------------------
    boolean hasGlobal(String name) { return globals.containsKey(name) }

    Object global(String name) { return globals[name] }

    List<String> globalNames() { return globals.keySet().sort() }

    Object invokeStep(String name, Object[] args) {
        Object variable = globals[name]
        if (variable instanceof PipelineScript) {
            return variable.invokeMethod('call', args)
        }
        if (name == 'parallel') {
            return parallel(args)
        }
        if (!PARAMS.containsKey(name)) {
            throw new HarnessRefusal("unknown step '${name}': the harness stubs only ${(PARAMS.keySet() - SYMBOLS).sort()} " +
                "(and the library's global variables ${globals.keySet().findAll { globals[it] instanceof PipelineScript }.sort()}). " +
                'Jenkins may have it from a plugin; model it in tests/conformance/jenkins/Harness.groovy before the library uses it.')
        }
        Map params = stepParams(name, args)
        Closure body = args && args[-1] instanceof Closure ? (Closure) args[-1] : null
        if (BLOCK_STEPS.contains(name) && body == null) {
            throw new HarnessRefusal("step '${name}' needs a body ({ ... })")
        }
        if (!BLOCK_STEPS.contains(name) && body != null) {
            throw new HarnessRefusal("step '${name}' takes no body")
        }
        if (NEEDS_NODE.contains(name) && nodeDepth == 0) {
            throw new HarnessRefusal("step '${name}' outside node: Required context class hudson.FilePath is missing. Perhaps you forgot to surround the code with a step that provides this, such as: node")
        }
        if (SYMBOLS.contains(name)) {
            return new CredentialBinding(kind: name, params: params)
        }
        return this."step_${name}"(params, body)
    }

    /** Named arguments, or one positional argument filling the step's default parameter; checked against PARAMS. */
    private static Map stepParams(String name, Object[] args) {
        List<Object> positional = args.findAll { !(it instanceof Closure) } as List
        Map params = [:]
        if (positional.size() == 1 && positional[0] instanceof Map && !(name in ['withEnv', 'withCredentials'])) {
            params.putAll((Map) positional[0])
        } else if (positional.size() == 1) {
            if (!DEFAULT_PARAM.containsKey(name)) {
                throw new HarnessRefusal("step '${name}' takes named parameters ${PARAMS[name]}")
            }
            params[DEFAULT_PARAM[name]] = positional[0]
        } else if (positional.size() > 1) {
            throw new HarnessRefusal("step '${name}' called with ${positional.size()} positional arguments")
        }
        List<String> unknown = params.keySet().collect { it as String } - PARAMS[name]
        if (unknown) {
            throw new HarnessRefusal("step '${name}': unknown parameter(s) ${unknown} (known: ${PARAMS[name]})")
        }
        return params
    }

    // -- record ---------------------------------------------------------------------------------
    Map record(String step, Map details) {
        Map call = [index: calls.size() + 1, step: step, stage: stageStack ? stageStack[-1] : null, branch: branchStack ? branchStack.join('/') : null,
                    inNode: nodeDepth > 0, locks: new ArrayList<>(locksHeld),
                    cwd: cwdStack ? cwdStack[-1].path : null] + details
        calls.add(call)
        log("[Pipeline] ${step}" + (details.summary ? " ${details.summary}" : ''))
        return call
    }

    void log(String line) {
        String masked = line
        secretStack.flatten().each { String secret ->
            if (secret) {
                masked = masked.replace(secret, '****')
            }
        }
        println masked
        System.out.flush()
    }

    // -- environment ----------------------------------------------------------------------------
    Map<String, String> currentEnv() {
        Map<String, String> merged = new LinkedHashMap<>(buildEnv)
        overlays.each { merged.putAll(it) }
        return merged
    }

    void setBuildEnv(String name, Object value) {
        record('env', [name: name, summary: "env.${name} = ..."])
        buildEnv[name] = value == null ? null : value.toString()
    }

    private Object withOverlay(Map<String, String> overlay, List<String> secrets, Closure body) {
        overlays.add(overlay)
        secretStack.add(secrets)
        try {
            return body.call()
        } finally {
            overlays.remove(overlays.size() - 1)
            secretStack.remove(secretStack.size() - 1)
        }
    }

    private File cwd() { return cwdStack[-1] }

    private File resolve(Object path) {
        File file = new File(path.toString())
        return file.absolute ? file : new File(cwd(), path.toString())
    }

    private static String requireString(String step, String param, Object value) {
        if (!(value instanceof CharSequence)) {
            throw new HarnessRefusal("step '${step}': ${param} must be a string, got ${value?.getClass()?.name}")
        }
        return value.toString()
    }

    // -- steps: flow ----------------------------------------------------------------------------
    Object step_echo(Map p, Closure body) {
        record('echo', [message: String.valueOf(p.message)])
        log(String.valueOf(p.message))
        return null
    }

    Object step_error(Map p, Closure body) {
        record('error', [message: String.valueOf(p.message)])
        throw new StepFailed(String.valueOf(p.message))
    }

    Object step_stage(Map p, Closure body) {
        String name = requireString('stage', 'name', p.name)
        record('stage', [name: name, summary: "{ (${name})"])
        stageStack.add(name)
        try {
            return body.call()
        } finally {
            stageStack.remove(stageStack.size() - 1)
            log('[Pipeline] } // stage')
        }
    }

    Object step_node(Map p, Closure body) {
        agentCount += 1
        String agent = "agent-${agentCount}"
        String job = (buildEnv.JOB_NAME ?: 'job').replaceAll('[^A-Za-z0-9_.-]', '_')
        File workspace = new File(workdir, "agents/${agent}/workspace/${job}")
        workspace.mkdirs()
        new File(workspace.path + '@tmp').mkdirs()
        record('node', [label: p.label, agent: agent, workspace: workspace.path, summary: "Running on ${agent} in ${workspace.path}"])
        Map<String, String> overlay = [NODE_NAME: agent, NODE_LABELS: ([agent] + (p.label ? [p.label.toString()] : [])).join(' '),
                                       EXECUTOR_NUMBER: '0', WORKSPACE: workspace.path, WORKSPACE_TMP: workspace.path + '@tmp']
        nodeDepth += 1
        cwdStack.add(workspace)
        try {
            return withOverlay(overlay, [], body)
        } finally {
            cwdStack.remove(cwdStack.size() - 1)
            nodeDepth -= 1
            log('[Pipeline] } // node')
        }
    }

    Object step_dir(Map p, Closure body) {
        File folder = resolve(requireString('dir', 'path', p.path)).canonicalFile
        folder.mkdirs()
        record('dir', [path: p.path.toString(), summary: "Running in ${folder.path}"])
        cwdStack.add(folder)
        try {
            return body.call()
        } finally {
            cwdStack.remove(cwdStack.size() - 1)
        }
    }

    Object step_withEnv(Map p, Closure body) {
        Object overrides = p.overrides
        if (!(overrides instanceof List)) {
            throw new HarnessRefusal("withEnv takes a list of 'NAME=value' strings, got ${overrides?.getClass()?.name}")
        }
        Map<String, String> overlay = new LinkedHashMap<>()
        ((List) overrides).each { Object entry ->
            String text = requireString('withEnv', 'overrides entry', entry)
            int equals = text.indexOf('=')
            String name = equals > 0 ? text.substring(0, equals) : ''
            if (!(name ==~ /[A-Za-z_][A-Za-z0-9_]*/)) {
                throw new HarnessRefusal("withEnv entry '${name}': the harness models only NAME=value (no PATH+X prepending)")
            }
            overlay[name] = text.substring(equals + 1)
        }
        record('withEnv', [names: overlay.keySet() as List, summary: overlay.keySet().join(', ')])
        return withOverlay(overlay, [], body)
    }

    Object step_withCredentials(Map p, Closure body) {
        Object bindings = p.bindings
        if (!(bindings instanceof List) || !((List) bindings).every { it instanceof CredentialBinding }) {
            throw new HarnessRefusal('withCredentials takes a list of usernamePassword(...) / string(...) bindings')
        }
        Map<String, String> overlay = new LinkedHashMap<>()
        List<String> secrets = []
        List<Map> described = []
        ((List<CredentialBinding>) bindings).each { CredentialBinding binding ->
            described.add(binding.describe())
            bind(binding, overlay, secrets)
        }
        record('withCredentials', [bindings: described, summary: described.collect { it.credentialsId }.join(', ')])
        return withOverlay(overlay, secrets, body)
    }

    private void bind(CredentialBinding binding, Map<String, String> overlay, List<String> secrets) {
        String id = requireString(binding.kind, 'credentialsId', binding.params.credentialsId)
        Map stored = credentials[id]
        if (stored == null) {
            throw new StepFailed("Could not find credentials entry with ID '${id}'")
        }
        if (binding.kind == 'usernamePassword') {
            if (!stored.containsKey('username') || !stored.containsKey('password')) {
                throw new StepFailed("Credentials '${id}' is of type 'Secret text' where 'Username with password' was expected")
            }
            overlay[requireString('usernamePassword', 'usernameVariable', binding.params.usernameVariable)] = stored.username as String
            overlay[requireString('usernamePassword', 'passwordVariable', binding.params.passwordVariable)] = stored.password as String
            secrets.add(stored.password as String)
        } else {
            if (!stored.containsKey('secret')) {
                throw new StepFailed("Credentials '${id}' is of type 'Username with password' where 'Secret text' was expected")
            }
            overlay[requireString('string', 'variable', binding.params.variable)] = stored.secret as String
            secrets.add(stored.secret as String)
        }
    }

    Object step_lock(Map p, Closure body) {
        for (String unmodelled : ['label', 'quantity', 'extra', 'variable', 'skipIfLocked']) {
            if (p.containsKey(unmodelled)) {
                throw new HarnessRefusal("lock: parameter '${unmodelled}' is not modelled by the harness")
            }
        }
        String resource = requireString('lock', 'resource', p.resource)
        record('lock', [resource: resource, inversePrecedence: p.inversePrecedence ?: false, summary: "Lock acquired on [Resource: ${resource}]"])
        locksHeld.add(resource)
        try {
            return body.call()
        } finally {
            locksHeld.remove(locksHeld.size() - 1)
            log("Lock released on resource [Resource: ${resource}]")
        }
    }

    Object step_timeout(Map p, Closure body) {
        if (!(p.time instanceof Integer) || !TIME_UNITS.contains(String.valueOf(p.unit ?: 'MINUTES'))) {
            throw new HarnessRefusal("timeout(time: <int>, unit: ${TIME_UNITS}) expected, got ${p}")
        }
        record('timeout', [time: p.time, unit: String.valueOf(p.unit ?: 'MINUTES'), summary: "Timeout set to expire in ${p.time} ${p.unit ?: 'MINUTES'}"])
        return body.call()
    }

    /**
     * `parallel(name: { ... }, ..., failFast: false)`: workflow-cps' "map from branch names to closures
     * and an optional argument failFast which will terminate all branches upon a failure in any other
     * branch". Without failFast every branch runs to its end, then the step fails with a failed
     * branch's error (the first, here). Branches run in the map's order (see the header);
     * failFast: true, which aborts the running branches, is refused: the harness cannot interleave.
     */
    Object parallel(Object[] args) {
        if (args.length != 1 || !(args[0] instanceof Map)) {
            throw new HarnessRefusal('parallel: the harness models only parallel(<map of branch name to closure>[, failFast: ...])')
        }
        Map given = (Map) args[0]
        if (given.failFast) {
            throw new HarnessRefusal('parallel: failFast: true (aborting the running branches) is not modelled by the harness')
        }
        Map<String, Object> branches = given.findAll { it.key != 'failFast' }
        if (!branches.values().every { it instanceof Closure }) {
            throw new HarnessRefusal("parallel: every branch must be a closure, got ${branches.collectEntries { [it.key, it.value?.getClass()?.simpleName] }}")
        }
        record('parallel', [branches: branches.keySet().collect { it as String }, failFast: given.failFast ?: false, summary: branches.keySet().join(', ')])
        Throwable first = null
        branches.each { Object name, Object body ->
            branchStack.add(name as String)
            log("[Pipeline] { (Branch: ${name})")
            try {
                ((Closure) body).call()
            } catch (HarnessRefusal refused) {
                throw refused
            } catch (Throwable failure) {
                first = first ?: failure
                log("Failed in branch ${name}")
            } finally {
                branchStack.remove(branchStack.size() - 1)
                log('[Pipeline] } // parallel branch')
            }
        }
        if (first != null) {
            throw first
        }
        return null
    }

    Object step_milestone(Map p, Closure body) {
        int ordinal = p.ordinal == null ? lastMilestone + 1 : p.ordinal as int
        if (ordinal <= lastMilestone) {
            throw new StepFailed("Invalid ordinal ${ordinal}, as the previous one was ${lastMilestone}")
        }
        lastMilestone = ordinal
        record('milestone', [ordinal: ordinal, label: p.label, summary: "${ordinal} ${p.label ?: ''}"])
        return null
    }

    Object step_input(Map p, Closure body) {
        if (p.parameters) {
            throw new HarnessRefusal('input: parameters are not modelled by the harness (it only approves)')
        }
        record('input', [message: String.valueOf(p.message), ok: p.ok, submitter: p.submitter,
                         submitterParameter: p.submitterParameter, approver: approver,
                         summary: "${p.message} -> approved by ${approver}"])
        if (p.submitter && !(p.submitter.toString().split(',')*.trim().contains(approver))) {
            throw new StepFailed("input: ${approver} is not in submitter '${p.submitter}' (the build file's approver must be allowed)")
        }
        return p.submitterParameter ? approver : null
    }

    // -- steps: workspace -----------------------------------------------------------------------
    Object step_sh(Map p, Closure body) {
        Object script = p.script
        if (script instanceof GString) {
            throw new HarnessRefusal("sh with a GString (Groovy string interpolation into shell text): \"${script.strings.join('${...}')}\". " +
                'Single-quote the script and pass values with withEnv.')
        }
        String text = requireString('sh', 'script', script)
        if (p.returnStdout && p.returnStatus) {
            throw new HarnessRefusal('sh: returnStdout and returnStatus together')
        }
        shCount += 1
        Map<String, String> environment = currentEnv()
        record('sh', [script: text, envNames: environment.keySet().sort(), summary: ''])
        File tmp = new File(environment.WORKSPACE_TMP, "durable-${shCount}")
        tmp.mkdirs()
        File scriptFile = new File(tmp, 'script.sh')
        scriptFile.text = text
        List<String> command = text.startsWith('#!') ? [scriptFile.path] : ['/bin/sh', '-xe', scriptFile.path]
        scriptFile.setExecutable(true)
        ProcessBuilder builder = new ProcessBuilder(command).directory(cwd())
        builder.environment().clear()
        environment.each { key, value -> if (value != null) { builder.environment().put(key, value) } }
        builder.redirectErrorStream(!p.returnStdout)
        Process process = builder.start()
        process.outputStream.close()
        StringBuilder stdout = new StringBuilder()
        Thread stderrPump = null
        if (p.returnStdout) {
            stderrPump = Thread.start { process.errorStream.eachLine { log(it) } }
            process.inputStream.eachLine('UTF-8') { stdout.append(it).append('\n') }
        } else {
            process.inputStream.eachLine('UTF-8') { log(it) }
        }
        int code = process.waitFor()
        stderrPump?.join()
        if (p.returnStatus) {
            return code
        }
        if (code != 0) {
            throw new StepFailed("script returned exit code ${code}")
        }
        return p.returnStdout ? stdout.toString() : null
    }

    Object step_checkout(Map p, Closure body) {
        if (!(p.scm instanceof ScmGlobal)) {
            throw new HarnessRefusal("checkout: the harness models only `checkout scm`, got ${p.scm}")
        }
        File workspace = cwd()
        if (!new File(workspace, '.git').exists()) {
            git(workspace.parentFile, 'clone', '--quiet', '--no-hardlinks', scmRepository.path, workspace.path)
        }
        String commit = git(scmRepository, 'rev-parse', 'HEAD')
        git(workspace, 'checkout', '--quiet', '--detach', commit)
        Map result = [GIT_COMMIT: commit, GIT_BRANCH: buildEnv.BRANCH_NAME ?: scmBranch, GIT_URL: scmRepository.path]
        record('checkout', [commit: commit, summary: "Checking out Revision ${commit}"])
        return result
    }

    private String git(File directory, String... args) {
        ProcessBuilder builder = new ProcessBuilder(['git'] + (args as List)).directory(directory).redirectErrorStream(true)
        builder.environment().clear()
        builder.environment().putAll([PATH: System.getenv('PATH') ?: '/usr/bin:/bin', HOME: System.getenv('HOME') ?: '/tmp'])
        Process process = builder.start()
        String output = process.inputStream.text
        if (process.waitFor() != 0) {
            throw new StepFailed("git ${args.join(' ')} failed: ${output}")
        }
        return output.trim()
    }

    Object step_writeFile(Map p, Closure body) {
        File file = resolve(requireString('writeFile', 'file', p.file))
        String text = requireString('writeFile', 'text', p.text)
        record('writeFile', [file: p.file.toString(), length: text.length(), summary: p.file.toString()])
        file.parentFile.mkdirs()
        file.setText(text, 'UTF-8')
        return null
    }

    Object step_readFile(Map p, Closure body) {
        File file = resolve(requireString('readFile', 'file', p.file))
        record('readFile', [file: p.file.toString(), summary: p.file.toString()])
        if (!file.isFile()) {
            throw new StepFailed("java.nio.file.NoSuchFileException: ${file.path}")
        }
        return file.getText('UTF-8')
    }

    Object step_fileExists(Map p, Closure body) {
        File file = resolve(requireString('fileExists', 'file', p.file))
        record('fileExists', [file: p.file.toString(), exists: file.exists(), summary: "${p.file} -> ${file.exists()}"])
        return file.exists()
    }

    Object step_libraryResource(Map p, Closure body) {
        String resource = requireString('libraryResource', 'resource', p.resource)
        File found = libraries.values().collect { new File(it, "resources/${resource}") }.find { it.isFile() }
        record('libraryResource', [resource: resource, summary: resource])
        if (found == null) {
            throw new StepFailed("No such library resource ${resource} could be found.")
        }
        return found.getText('UTF-8')
    }

    Object step_stash(Map p, Closure body) {
        String name = requireString('stash', 'name', p.name)
        List<String> files = AntGlob.find(cwd(), (p.includes ?: '**') as String, p.excludes as String, p.useDefaultExcludes != false)
        record('stash', [name: name, includes: p.includes, files: files, summary: "${name}: ${files.size()} file(s)"])
        if (!files && !p.allowEmpty) {
            throw new StepFailed("No files included in stash ‘${name}’")
        }
        File store = new File(workdir, "stashes/${name}")
        store.deleteDir()
        files.each { copy(new File(cwd(), it), new File(store, it)) }
        store.mkdirs()
        return null
    }

    Object step_unstash(Map p, Closure body) {
        String name = requireString('unstash', 'name', p.name)
        File store = new File(workdir, "stashes/${name}")
        List<String> files = AntGlob.find(store, '**', null, false)
        record('unstash', [name: name, files: files, summary: "${name}: ${files.size()} file(s)"])
        if (!store.isDirectory()) {
            throw new StepFailed("No such saved stash ‘${name}’")
        }
        files.each { copy(new File(store, it), new File(cwd(), it)) }
        return null
    }

    private static void copy(File from, File to) {
        to.parentFile.mkdirs()
        to.bytes = from.bytes
    }

    Object step_junit(Map p, Closure body) {
        String pattern = requireString('junit', 'testResults', p.testResults)
        List<String> files = AntGlob.find(cwd(), pattern)
        int tests = 0
        int failed = 0
        files.each { String relative ->
            GPathResult root = parseXml(new File(cwd(), relative), 'junit')
            if (!(root.name() in ['testsuites', 'testsuite'])) {
                throw new StepFailed("${relative} is not a JUnit report (root <${root.name()}>)")
            }
            def cases = root.name() == 'testsuite' ? root.testcase : root.testsuite.testcase
            tests += cases.size()
            failed += cases.findAll { it.failure.size() > 0 || it.error.size() > 0 }.size()
        }
        record('junit', [testResults: pattern, files: files, tests: tests, failed: failed,
                         summary: "${pattern}: ${files.size()} file(s), ${tests} test(s), ${failed} failed"])
        if (!files && !p.allowEmptyResults) {
            throw new StepFailed("No test report files were found. Configuration error?")
        }
        if (failed > 0 && !p.skipMarkingBuildUnstable) {
            currentBuild.setResult('UNSTABLE')
        }
        return [totalCount: tests, failCount: failed]
    }

    Object step_recordCoverage(Map p, Closure body) {
        Object tools = p.tools
        if (!(tools instanceof List) || !tools || !((List) tools).every { it instanceof Map }) {
            throw new HarnessRefusal("recordCoverage: tools must be a non-empty list of [parser: ..., pattern: ...], got ${tools}")
        }
        List<Map> described = []
        ((List<Map>) tools).each { Map tool ->
            List<String> unknown = tool.keySet().collect { it as String } - ['parser', 'pattern']
            if (unknown || tool.parser != 'COBERTURA') {
                throw new HarnessRefusal("recordCoverage: the harness models only [parser: 'COBERTURA', pattern: ...], got ${tool}")
            }
            String pattern = requireString('recordCoverage', 'pattern', tool.pattern)
            List<String> files = AntGlob.find(cwd(), pattern)
            if (!files) {
                throw new StepFailed("No files found for pattern '${pattern}'. Configuration error?")
            }
            List<String> rates = files.collect { String relative ->
                GPathResult root = parseXml(new File(cwd(), relative), 'Cobertura')
                if (root.name() != 'coverage') {
                    throw new StepFailed("${relative} is not a Cobertura report (root <${root.name()}>)")
                }
                root.@'line-rate'.text()
            }
            described.add([parser: tool.parser, pattern: pattern, files: files, lineRates: rates])
        }
        record('recordCoverage', [tools: described, id: p.id, name: p.name, summary: described.collect { "${it.parser} ${it.files}" }.join(', ')])
        return null
    }

    Object step_archiveArtifacts(Map p, Closure body) {
        String pattern = requireString('archiveArtifacts', 'artifacts', p.artifacts)
        List<String> files = AntGlob.find(cwd(), pattern, p.excludes as String, p.defaultExcludes != false)
        record('archiveArtifacts', [artifacts: pattern, files: files, summary: "${pattern}: ${files.size()} file(s)"])
        if (!files && !p.allowEmptyArchive) {
            throw new StepFailed("No artifacts found that match the file pattern \"${pattern}\". Configuration error?")
        }
        files.each { copy(new File(cwd(), it), new File(workdir, "build/archive/${it}")) }
        return null
    }

    private static GPathResult parseXml(File file, String kind) {
        try {
            XmlSlurper slurper = new XmlSlurper(false, false)
            slurper.setFeature('http://apache.org/xml/features/disallow-doctype-decl', true)
            return slurper.parse(file)
        } catch (Exception problem) {
            throw new StepFailed("${file.name}: not a readable ${kind} XML file: ${problem.message}")
        }
    }
}

/** Loads libraries and the Jenkinsfile, runs the build, prints and writes the record. */
class HarnessMain {
    static final Pattern LIBRARY_ANNOTATION = ~/@Library\(\s*(?:'([^']*)'|"([^"]*)"|(\[[^\]]*\]))\s*\)(\s*_)?/

    static CompilerConfiguration pipelineCompiler() {
        CompilerConfiguration config = new CompilerConfiguration()
        config.scriptBaseClass = PipelineScript.name
        config.sourceEncoding = 'UTF-8'
        return config
    }

    static GroovyClassLoader libraryLoader(Collection<File> libraryDirs) {
        GroovyClassLoader loader = new GroovyClassLoader(HarnessMain.classLoader, pipelineCompiler())
        libraryDirs.each { File dir ->
            if (new File(dir, 'src').isDirectory()) {
                loader.addClasspath(new File(dir, 'src').path)
            }
        }
        return loader
    }

    /** The Jenkinsfile with each `@Library(...) _` blanked (line numbers kept); the libraries it names. */
    static Map<String, Object> stripLibraries(String text, Map<String, File> mapped) {
        Map<String, String> named = [:]
        Matcher matcher = LIBRARY_ANNOTATION.matcher(text)
        StringBuffer out = new StringBuffer()
        while (matcher.find()) {
            if (matcher.group(3) != null) {
                throw new HarnessRefusal("@Library(${matcher.group(3)}): the harness models one library per annotation")
            }
            String reference = matcher.group(1) ?: matcher.group(2)
            String name = reference.contains('@') ? reference.substring(0, reference.indexOf('@')) : reference
            String version = reference.contains('@') ? reference.substring(reference.indexOf('@') + 1) : null
            if (!mapped.containsKey(name)) {
                throw new HarnessRefusal("@Library('${reference}'): library '${name}' is not mapped (--library ${name}=DIR); mapped: ${mapped.keySet()}")
            }
            named[name] = version
            matcher.appendReplacement(out, Matcher.quoteReplacement(matcher.group(0).replaceAll('[^\n]', ' ')))
        }
        matcher.appendTail(out)
        return [text: out.toString(), libraries: named]
    }

    static int run(Map<String, String> options, Map<String, File> libraries) {
        File workdir = new File(options.workdir)
        workdir.mkdirs()
        Map build = (Map) new JsonSlurper().parse(new File(options.build))
        PipelineRun run = new PipelineRun(workdir, new File(options.scm), libraries, build)
        PipelineRun.current = run
        String outcome = 'SUCCESS'
        int exitCode = 0
        try {
            Map stripped = stripLibraries(new File(options.jenkinsfile).getText('UTF-8'), libraries)
            ((Map<String, String>) stripped.libraries).each { name, version ->
                println "Loading library ${name}@${version} (harness: ${libraries[name]})"
            }
            GroovyClassLoader loader = libraryLoader(libraries.findAll { stripped.libraries.containsKey(it.key) }.values())
            stripped.libraries.keySet().each { String name ->
                File vars = new File(libraries[name], 'vars')
                vars.eachFileMatch(FileType.FILES, ~/.*\.groovy/) { File file ->
                    Class varClass = loader.parseClass(file)
                    PipelineScript variable = (PipelineScript) varClass.newInstance()
                    variable.binding = new Binding()
                    run.globals[file.name - '.groovy'] = variable
                }
            }
            Class jenkinsfile = loader.parseClass(stripped.text as String, 'Jenkinsfile')
            PipelineScript script = (PipelineScript) jenkinsfile.newInstance()
            script.binding = new Binding()
            script.run()
            outcome = run.global('currentBuild').currentResult
        } catch (Throwable thrown) {
            Throwable cause = rootCause(thrown)
            if (cause instanceof HarnessRefusal) {
                println "HARNESS REFUSED: ${cause.message}"
                outcome = 'REFUSED'
                exitCode = 3
            } else if (cause instanceof StepFailed) {
                println "ERROR: ${cause.message}"
                outcome = 'FAILURE'
            } else {
                StringWriter trace = new StringWriter()
                cause.printStackTrace(new PrintWriter(trace))
                println trace.toString()
                outcome = 'FAILURE'
            }
        }
        if (exitCode == 0 && outcome != 'SUCCESS') {
            exitCode = 1
        }
        report(run, workdir)
        println "Finished: ${outcome}"
        return exitCode
    }

    static Throwable rootCause(Throwable thrown) {
        Throwable current = thrown
        while (current != null) {
            if (current instanceof HarnessRefusal || current instanceof StepFailed) {
                return current
            }
            current = current.cause
        }
        return thrown
    }

    static void report(PipelineRun run, File workdir) {
        println '[harness] recorded steps:'
        run.calls.each { Map call ->
            Map shown = call.findAll { !(it.key in ['index', 'step', 'stage', 'inNode', 'locks', 'cwd', 'summary', 'envNames']) }
            println "[harness] ${call.index} ${call.step} stage=${call.stage ?: '-'} node=${call.inNode ? 'yes' : 'no'} locks=${call.locks} ${shown}"
        }
        new File(workdir, 'calls.json').setText(JsonOutput.prettyPrint(JsonOutput.toJson(run.calls)), 'UTF-8')
    }

    /** Compile every vars/ and src/ file (src/ on the class path); one JSON line per sh call and per class. */
    static int lint(File libraryDir) {
        GroovyClassLoader loader = libraryLoader([libraryDir])
        List<File> files = []
        ['vars', 'src'].each { String folder ->
            File root = new File(libraryDir, folder)
            if (root.isDirectory()) {
                root.eachFileRecurse(FileType.FILES) { if (it.name.endsWith('.groovy')) { files.add(it) } }
            }
        }
        int failures = 0
        files.sort().each { File file ->
            CompilationUnit unit = new CompilationUnit(pipelineCompiler(), null, loader)
            unit.addSource(file)
            unit.addPhaseOperation(new CompilationUnit.PrimaryClassNodeOperation() {
                void call(SourceUnit source, GeneratorContext context, ClassNode classNode) {
                    describe(file, source, classNode)
                }
            }, Phases.CANONICALIZATION)
            try {
                unit.compile(Phases.CLASS_GENERATION)
                println JsonOutput.toJson([kind: 'compiled', file: file.path])
            } catch (CompilationFailedException failed) {
                failures += 1
                println JsonOutput.toJson([kind: 'error', file: file.path, message: failed.message])
            }
        }
        return failures ? 1 : 0
    }

    static void describe(File file, SourceUnit source, ClassNode classNode) {
        if (!sameFile(source.name, file)) {
            return  // a class of src/ compiled along from the class path: reported with its own file
        }
        if (!classNode.script && classNode.outerClass == null) {
            println JsonOutput.toJson([kind: 'class', file: file.path, name: classNode.name,
                                       serializable: classNode.implementsInterface(ClassHelper.make(Serializable))])
        }
        new ClassCodeVisitorSupport() {
            protected SourceUnit getSourceUnit() { return source }

            void visitMethodCallExpression(MethodCallExpression call) {
                if (call.methodAsString == 'sh' && call.implicitThis) {
                    Expression script = scriptArgument(call.arguments)
                    println JsonOutput.toJson([kind: 'sh', file: file.path, line: call.lineNumber, column: call.columnNumber,
                                               argument: script?.getClass()?.simpleName,
                                               string: script instanceof ConstantExpression && script.value instanceof String])
                }
                super.visitMethodCallExpression(call)
            }
        }.visitClass(classNode)
    }

    static boolean sameFile(String sourceName, File file) {
        String path = sourceName.startsWith('file:') ? new URI(sourceName).path : sourceName
        return new File(path).canonicalPath == file.canonicalPath
    }

    /** The script of `sh 'x'`, `sh('x')` or `sh(script: 'x', ...)`. */
    static Expression scriptArgument(Expression arguments) {
        if (!(arguments instanceof TupleExpression) || ((TupleExpression) arguments).expressions.isEmpty()) {
            return null
        }
        Expression first = ((TupleExpression) arguments).expressions[0]
        if (first instanceof NamedArgumentListExpression) {
            MapEntryExpression entry = ((NamedArgumentListExpression) first).mapEntryExpressions.find { it.keyExpression.text == 'script' }
            return entry?.valueExpression
        }
        return first
    }

    static Map<String, String> options(String[] args) {
        Map<String, String> parsed = [:]
        List<String> libraries = []
        for (int i = 1; i < args.length; i += 2) {
            if (!args[i].startsWith('--') || i + 1 >= args.length) {
                throw new IllegalArgumentException("expected --name value, got ${args[i]}")
            }
            if (args[i] == '--library') {
                libraries.add(args[i + 1])
            } else {
                parsed[args[i].substring(2)] = args[i + 1]
            }
        }
        parsed.libraries = libraries.join('\n')
        return parsed
    }
}

String usage = 'usage: groovy Harness.groovy run --jenkinsfile F --library NAME=DIR --scm REPO --build BUILD.json --workdir W\n' +
    '       groovy Harness.groovy lint --library-dir DIR'
if (!args || !(args[0] in ['run', 'lint'])) {
    System.err.println usage
    System.exit(2)
}
Map<String, String> options = HarnessMain.options(args)
if (args[0] == 'lint') {
    System.exit(HarnessMain.lint(new File(options['library-dir'])))
}
for (String required : ['jenkinsfile', 'scm', 'build', 'workdir']) {
    if (!options[required]) {
        System.err.println "missing --${required}\n${usage}"
        System.exit(2)
    }
}
Map<String, File> libraries = [:]
options.libraries.split('\n').findAll { it }.each { String mapping ->
    libraries[mapping.substring(0, mapping.indexOf('='))] = new File(mapping.substring(mapping.indexOf('=') + 1))
}
System.exit(HarnessMain.run(options, libraries))
