"""Read a configuration file's YAML as the real CLI's loader does (libs/dyn/yamlloader/loader.go).

PyYAML follows the YAML merge-key spec; the real CLI differs from it in two ways, kept here:

- A second `<<` key in one mapping is an error at that key (`duplicate YAML merge key ...`;
  acceptance validate/duplicate_yaml_merge_key); PyYAML would merge both.
- In `<<: [*a, *b]` a later map wins over an earlier one (the real CLI merges the list in order,
  each map overwriting the keys before it); the spec, and PyYAML, let the earlier one win. Keys
  the mapping writes itself win over all merged ones in both.
"""

from __future__ import annotations

from typing import Any

import yaml

from bundleops.localcli.diagnostics import ConfigFileError
from bundleops.localcli.locations import Locations

MERGE_TAG = "tag:yaml.org,2002:merge"
DUPLICATE_MERGE_KEY = "duplicate YAML merge key ('<<') is not allowed; to merge multiple maps, use a sequence: '<<: [*anchor1, *anchor2]'"


class _DuplicateMergeKey(yaml.YAMLError):
    def __init__(self, mark: yaml.Mark) -> None:
        super().__init__(DUPLICATE_MERGE_KEY)
        self.mark = mark


class _Loader(yaml.SafeLoader):
    def flatten_mapping(self, node: yaml.MappingNode) -> None:
        merge_keys = [key for key, _ in node.value if key.tag == MERGE_TAG]
        if len(merge_keys) > 1:
            raise _DuplicateMergeKey(merge_keys[1].start_mark)
        for number, (key, value) in enumerate(node.value):
            if key.tag == MERGE_TAG and isinstance(value, yaml.SequenceNode):
                # PyYAML lets the first map of the list win; reversed, the last one does (the real CLI's order).
                reordered = yaml.SequenceNode(value.tag, list(reversed(value.value)), value.start_mark, value.end_mark, value.flow_style)
                node.value[number] = (key, reordered)
        super().flatten_mapping(node)


def load(text: str, relative: str, locations: Locations | None = None) -> Any:
    """The document in `text` (the file `relative`, as diagnostics name it); YAML errors propagate
    as yaml.YAMLError, a duplicate merge key as the real CLI's located error. `locations`, when
    given, gets where each value was written, read from the same parse (a file is parsed once)."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        if locations is not None:
            locations.add_node(node, relative)  # before constructing: merge keys are flattened in place
        return loader.construct_document(node)
    except _DuplicateMergeKey as error:
        raise ConfigFileError(DUPLICATE_MERGE_KEY, f"{relative}:{error.mark.line + 1}:{error.mark.column + 1}") from error
    finally:
        loader.dispose()
