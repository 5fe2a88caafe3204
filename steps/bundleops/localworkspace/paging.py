"""Token paging as the list endpoints of Unity Catalog and Pipelines answer it.

A list answers at most `max_results` items and a `next_page_token` while more remain; the SDK's
iterators follow the token until it is absent. The token is opaque to clients: here it is the
offset of the next item. Paging over a snapshot taken per request is enough for a simulation:
an item created between two pages may be missed or seen twice, as the real APIs also allow.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence, TypeVar

from bundleops.localworkspace.http import ApiError

T = TypeVar("T")


def _integer(query: Mapping[str, str], name: str, shown: str | None = None) -> int | None:
    raw = query.get(name)
    if raw in (None, ""):
        return None
    try:
        return int(raw)
    except ValueError:
        raise ApiError(400, "INVALID_PARAMETER_VALUE", f"{shown or name} must be an integer, not {raw!r}") from None


def page(items: Sequence[T], query: Mapping[str, str], *, default_size: int, max_size: int, size_name: str = "max_results") -> tuple[list[T], str | None]:
    """The page `query` asks for (`max_results`, `page_token`) and the token of the next one.

    `max_results` 0 or absent means the server's page size (Unity Catalog documents 0 as "the
    server's configured value"); a negative one, one above `max_size`, or a token this server
    did not hand out is INVALID_PARAMETER_VALUE. The error names the size as the endpoint calls
    it (`size_name`: runs/list calls it `limit`).
    """
    size = _integer(query, "max_results", size_name) or default_size
    if size < 0 or size > max_size:
        raise ApiError(400, "INVALID_PARAMETER_VALUE", f"{size_name} must be between 0 and {max_size}, not {size}")
    start = _integer(query, "page_token") or 0
    if start < 0 or start > len(items):
        raise ApiError(400, "INVALID_PARAMETER_VALUE", f"page_token {query.get('page_token')!r} is not a token this list handed out")
    end = start + size
    return list(items[start:end]), (str(end) if end < len(items) else None)


def page_body(key: str, items: Sequence[Any], query: Mapping[str, str], *, default_size: int, max_size: int) -> dict[str, Any]:
    """A list endpoint's answer: the page under `key`, and `next_page_token` while more remain."""
    found, next_token = page(items, query, default_size=default_size, max_size=max_size)
    return {key: found, "next_page_token": next_token} if next_token else {key: found}
