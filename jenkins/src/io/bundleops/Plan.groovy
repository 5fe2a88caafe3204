package io.bundleops

import groovy.json.JsonSlurperClassic

/**
 * The plan of one selected bundle, one entry of `bundles` in the JSON `bundleops plan --format json`
 * writes (project_root, key, target, steps, requires_approval, deployment). A repository whose root
 * is its bundle has one entry, project root '.', key 'root'. The library decides nothing itself: it
 * runs the jobs listed here, for the targets named here; `bundleops run` runs each job's steps.
 *
 * Serializable with plain loops, like Settings: it is kept across input, lock, node and parallel.
 * The JSON is read with JsonSlurperClassic, whose maps and lists are serializable (JsonSlurper's
 * lazy maps are not, so CPS could not keep them).
 */
class Plan implements Serializable {
    private static final long serialVersionUID = 1L

    /** Steps this library knows how to run, in the order bundleops plans them. */
    static final List<String> STEPS = ['unit', 'validate', 'preview', 'deploy', 'test', 'publish']
    static final List<String> REQUIRED = ['project_root', 'key', 'target', 'steps', 'requires_approval']

    /** Relative to the folder bundleops planned (the setting projectRoot); '.' for a root bundle. */
    String projectRoot = '.'
    /** The project root made safe for names: report folders, stashes, coverage ids. */
    String key = 'root'
    /** '' when the plan chose no target (e.g. a pull request from a fork: unit tests only). */
    String target = ''
    List<String> steps = []
    boolean requiresApproval = false
    /** The pull request's own deployment of the target (e.g. pr-7); '' for the shared target. */
    String deployment = ''
    /** Why this target and these steps (the rule and the context bundleops saw), and why this bundle was selected. */
    String reason = ''
    String why = ''

    /**
     * Why the plan JSON cannot be used, or null. A step the library does not know means bundleops
     * is newer than this library: better to stop than to skip a step silently.
     */
    static String problem(String json) {
        Object document = parseJson(json)
        if (!(document instanceof Map) || !(((Map) document).bundles instanceof List)) {
            return Settings.PLAN_JSON + " has no 'bundles' list: was it written by `bundleops plan --format json`?"
        }
        for (Object entry : (List) ((Map) document).bundles) {
            String found = entryProblem(entry)
            if (found) {
                return found
            }
        }
        return null
    }

    /** The selected bundles of a plan JSON whose problem() was null, in the plan's order. */
    static List<Plan> selected(String json) {
        List<Plan> plans = []
        for (Object entry : (List) ((Map) parseJson(json)).bundles) {
            Map values = (Map) entry
            Plan plan = new Plan()
            plan.projectRoot = String.valueOf(values.project_root)
            plan.key = String.valueOf(values.key)
            plan.target = values.target ?: ''
            plan.steps = new ArrayList<String>((List<String>) values.steps)
            plan.requiresApproval = values.requires_approval == true
            plan.deployment = values.deployment ?: ''
            plan.reason = values.reason ?: ''
            plan.why = values.why ?: ''
            plans.add(plan)
        }
        return plans
    }

    /** The bundles whose plan has steps to run on `target`, in the plan's order. */
    static List<Plan> onTarget(List<Plan> plans, String target) {
        List<Plan> found = []
        for (Plan plan : plans) {
            if (plan.target == target && plan.hasTargetSteps()) {
                found.add(plan)
            }
        }
        return found
    }

    /** Bundles whose plan runs `step`. */
    static List<Plan> running(List<Plan> plans, String step) {
        List<Plan> found = []
        for (Plan plan : plans) {
            if (plan.runs(step)) {
                found.add(plan)
            }
        }
        return found
    }

    /** A person approves a target once for all its bundles: when one bundle's plan asks, and always before prod. */
    static boolean needApproval(List<Plan> plans) {
        for (Plan plan : plans) {
            if (plan.needsApproval()) {
                return true
            }
        }
        return false
    }

    /** The pull request's deployment the bundles share, or '' (the target's shared lock) when they differ. */
    static String sharedDeployment(List<Plan> plans) {
        String shared = plans ? plans[0].deployment : ''
        for (Plan plan : plans) {
            if (plan.deployment != shared) {
                return ''
            }
        }
        return shared
    }

    /** The plans in runs of at most `size`, in order: the legs one `parallel` runs at a time. */
    static List<List<Plan>> batches(List<Plan> plans, int size) {
        List<List<Plan>> found = []
        for (Plan plan : plans) {
            if (!found || found[-1].size() >= size) {
                found.add([])
            }
            found[-1].add(plan)
        }
        return found
    }

    /** The build's plan for the log: the one bundle's plan and its reason, or each selected bundle's with why it was selected. */
    static String describeAll(List<Plan> plans) {
        if (plans.size() == 1 && plans[0].key == 'root') {
            return plans[0].describe() + '\n  ' + plans[0].reason
        }
        List<String> lines = [plans.size() + ' bundle(s) selected']
        for (Plan plan : plans) {
            lines.add('  ' + plan.projectRoot + ': ' + plan.describe())
            lines.add('    ' + plan.why + '; ' + plan.reason)
        }
        return lines.join('\n')
    }

    boolean runs(String step) {
        return steps.contains(step)
    }

    boolean hasTarget() {
        return target != ''
    }

    /** A person approves before the target stage when the plan says so, and always before prod. */
    boolean needsApproval() {
        return requiresApproval || target == 'prod'
    }

    /** Steps that act on the target (all but unit, which runs before any approval). */
    boolean hasTargetSteps() {
        for (String step : steps) {
            if (step != 'unit') {
                return true
            }
        }
        return false
    }

    /** The unit reports are merged by this bundle's publish in its target leg (each test counted once). */
    boolean publishesUnitReports() {
        return hasTarget() && runs('publish')
    }

    /** Where `bundleops run` writes this bundle's reports: test-results/ for a root bundle, test-results/<key>/ in a repository of bundles. */
    String reportDir() {
        return key == 'root' ? Settings.REPORT_DIR : Settings.REPORT_DIR + '/' + key
    }

    /** Where `bundleops unit` writes this bundle's reports, relative to the planned folder. */
    String unitReportDir() {
        return projectRoot == '.' ? Settings.UNIT_REPORT_DIR : projectRoot + '/' + Settings.UNIT_REPORT_DIR
    }

    /** A name made unique per bundle (stashes, coverage ids): the root bundle keeps the plain name. */
    String own(String name) {
        return key == 'root' ? name : name + '-' + key
    }

    /** A title naming the bundle (coverage views): the root bundle keeps the plain title. */
    String title(String name) {
        return key == 'root' ? name : name + ' (' + projectRoot + ')'
    }

    String describe() {
        return 'target ' + (target ?: 'none') + (deployment ? ' (deployment ' + deployment + ')' : '') + ', steps ' + (steps ? steps.join(' ') : 'none') + ', approval ' + (needsApproval() ? 'required' : 'not required')
    }

    private static String entryProblem(Object entry) {
        if (!(entry instanceof Map)) {
            return "the plan's bundles list holds " + entry + ', not a bundle'
        }
        Map values = (Map) entry
        for (String key : REQUIRED) {
            if (!values.containsKey(key)) {
                return "a bundle of the plan has no '" + key + "': use the library release that matches bundleops"
            }
        }
        if (values.target && !Settings.TARGETS.contains(values.target)) {
            return "the plan's target '" + values.target + "' of " + values.project_root + ' is not one of ' + Settings.TARGETS.join(', ')
        }
        if (!(values.steps instanceof List)) {
            return "the plan's steps of " + values.project_root + ' are not a list'
        }
        for (Object step : (List) values.steps) {
            if (!STEPS.contains(step)) {
                return "the plan lists the step '" + step + "', which this library cannot run: use the library release that matches bundleops"
            }
        }
        if (!(values.requires_approval instanceof Boolean)) {
            return "the plan's requires_approval of " + values.project_root + " is '" + values.requires_approval + "', not true or false"
        }
        return null
    }

    private static Object parseJson(String json) {
        try {
            return new JsonSlurperClassic().parseText(json ?: '')
        } catch (Exception unreadable) {
            return null
        }
    }
}
