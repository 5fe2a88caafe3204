"""The deploying identity as `${workspace.current_user.*}` exposes it.

`short_name` follows the real CLI: the part of the user name before `@` (a service principal's
display name when it has one), lower-cased, every run of non-letters/digits turned into one `_`.
A service principal is recognised as the real CLI does: its user name is a UUID.
"""

from __future__ import annotations

import re
import uuid
from typing import Any


def is_service_principal(user_name: str) -> bool:
    try:
        uuid.UUID(user_name)
    except ValueError:
        return False
    return True


def short_name(user_name: str, display_name: str = "") -> str:
    name = display_name if is_service_principal(user_name) and display_name else user_name
    local = name.split("@", 1)[0].lower()
    return re.sub(r"_+", "_", re.sub(r"[\W_]", "_", local)).strip("_")


def current_user(user_name: str, user_id: str, display_name: str = "") -> dict[str, Any]:
    """The `workspace.current_user` block of the resolved configuration."""
    short = short_name(user_name, display_name)
    user: dict[str, Any] = {
        "domain_friendly_name": re.sub(r"[^a-z0-9]", "-", short.lower()),
        "id": user_id,
        "short_name": short,
        "userName": user_name,
    }
    if display_name:
        user["displayName"] = display_name
    return user
