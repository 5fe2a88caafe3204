"""`bundleops drift`: what changed in the workspace outside a deploy (UI edits, deletions), reported on a schedule."""
