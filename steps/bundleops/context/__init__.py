"""Which CI system, which event, which branch: read once from the environment, the same fields on every vendor."""

from bundleops.context.detect import detect
from bundleops.context.model import CIContext

__all__ = ["CIContext", "detect"]
