"""Which top-level keys of a YAML file only hold anchors (`definitions: {x: &x {...}}`).

The real CLI accepts such keys without the `unknown field` warning, because they only exist to
define reusable blocks, and it recurses into containers whose elements are all anchors
(libs/dyn/convert/normalize.go `isAnchorContainer`; acceptance validate/anchor_containers).
PyYAML forgets anchors once a document is built, so this reads the event stream instead.
"""

from __future__ import annotations

from collections.abc import Iterator

import yaml


def _anchor_container(event: yaml.Event, events: Iterator[yaml.Event]) -> bool:
    """Consume the node that starts with `event`; True when it is an anchor or holds only anchor containers."""
    if isinstance(event, (yaml.ScalarEvent, yaml.AliasEvent)):
        return bool(getattr(event, "anchor", None)) and isinstance(event, yaml.ScalarEvent)
    anchored = bool(event.anchor)
    is_map = isinstance(event, yaml.MappingStartEvent)
    elements = 0
    all_anchor_containers = True
    for child in events:
        if isinstance(child, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            break
        if is_map:
            _anchor_container(child, events)  # the key
            child = next(events)
        elements += 1
        all_anchor_containers = _anchor_container(child, events) and all_anchor_containers
    return anchored or (elements > 0 and all_anchor_containers)


def anchor_only_keys(text: str) -> frozenset[str]:
    """Top-level keys whose value is an anchor or a non-empty container of anchors only."""
    events = iter(yaml.parse(text, Loader=yaml.SafeLoader))
    for event in events:
        if isinstance(event, yaml.MappingStartEvent):
            break
    else:
        return frozenset()
    keys = set()
    for event in events:
        if isinstance(event, yaml.MappingEndEvent):
            break
        key = event.value if isinstance(event, yaml.ScalarEvent) else None
        if _anchor_container(next(events), events) and key is not None:
            keys.add(key)
    return frozenset(keys)
