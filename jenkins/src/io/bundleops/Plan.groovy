package io.bundleops

/**
 * The plan of one build, read from the dotenv file `bundleops plan --outputs` writes
 * (target, steps, requires_approval, run_<step>). The library decides nothing itself: it runs the
 * steps listed here, for the target named here.
 *
 * Serializable with plain loops, like Settings: it is kept across input, lock and node.
 */
class Plan implements Serializable {
    private static final long serialVersionUID = 1L

    /** Steps this library knows how to run, in the order bundleops plans them. */
    static final List<String> STEPS = ['unit', 'validate', 'preview', 'deploy', 'test', 'publish']
    static final List<String> REQUIRED = ['target', 'steps', 'requires_approval']

    /** '' when the plan chose no target (e.g. a pull request from a fork: unit tests only). */
    String target = ''
    List<String> steps = []
    boolean requiresApproval = false
    /** The pull request's own deployment of the target (e.g. pr-7); '' for the shared target. */
    String deployment = ''

    /**
     * Why the plan file cannot be used, or null. A step the library does not know means bundleops
     * is newer than this library: better to stop than to skip a step silently.
     */
    static String problem(String dotenv) {
        Map<String, String> values = parseLines(dotenv)
        for (String key : REQUIRED) {
            if (!values.containsKey(key)) {
                return Settings.PLAN_FILE + " has no '" + key + "': was it written by `bundleops plan --outputs`?"
            }
        }
        String target = values.target
        if (target && !Settings.TARGETS.contains(target)) {
            return "the plan's target '" + target + "' is not one of " + Settings.TARGETS.join(', ')
        }
        for (String step : words(values.steps)) {
            if (!STEPS.contains(step)) {
                return "the plan lists the step '" + step + "', which this library cannot run: use the library release that matches bundleops"
            }
        }
        if (!['true', 'false'].contains(values.requires_approval)) {
            return "the plan's requires_approval is '" + values.requires_approval + "', not true or false"
        }
        return null
    }

    /** The plan in a dotenv text whose problem() was null. */
    static Plan parse(String dotenv) {
        Map<String, String> values = parseLines(dotenv)
        Plan plan = new Plan()
        plan.target = values.target ?: ''
        plan.steps = words(values.steps)
        plan.requiresApproval = values.requires_approval == 'true'
        plan.deployment = values.deployment ?: ''
        return plan
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

    /** The preview is shown before the approval, and the approved deploy applies it. */
    boolean previewsBeforeApproval() {
        return runs('preview') && needsApproval()
    }

    String describe() {
        return 'target ' + (target ?: 'none') + (deployment ? ' (deployment ' + deployment + ')' : '') + ', steps ' + (steps ? steps.join(' ') : 'none') + ', approval ' + (needsApproval() ? 'required' : 'not required')
    }

    private static Map<String, String> parseLines(String dotenv) {
        Map<String, String> values = [:]
        if (dotenv == null) {
            return values
        }
        for (String line : dotenv.split('\n')) {
            String trimmed = line.trim()
            int equals = trimmed.indexOf('=')
            if (trimmed && !trimmed.startsWith('#') && equals > 0) {
                values[trimmed.substring(0, equals)] = trimmed.substring(equals + 1)
            }
        }
        return values
    }

    private static List<String> words(String text) {
        List<String> found = []
        if (text == null) {
            return found
        }
        for (String word : text.trim().split(' ')) {
            if (word) {
                found.add(word)
            }
        }
        return found
    }
}
