"""CI-native output: every line bundleops prints goes through here.

`current()` returns the writer for the CI system bundleops runs on; `install_redaction()` makes
sure no secret value reaches stdout or stderr, whoever writes it.
"""

from bundleops.output.redact import install_redaction, redact, register_secret
from bundleops.output.writers import CIWriter, current

__all__ = ["CIWriter", "current", "install_redaction", "redact", "register_secret"]
