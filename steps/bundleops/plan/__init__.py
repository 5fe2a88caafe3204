"""Event + branch -> target and steps: the single table of promotion rules, and the prod guard."""

from bundleops.plan.guard import check_target
from bundleops.plan.planner import Plan, make_plan

__all__ = ["Plan", "check_target", "make_plan"]
