"""YAML merge keys as the real CLI reads them, and loops between resources as its direct engine words them."""

from __future__ import annotations

import pytest

from bundleops.localcli import cycles, yamlfile
from bundleops.localcli.diagnostics import ConfigFileError

ANCHORS = """\
a: &a {x: from-a, only_a: 1}
b: &b {x: from-b, only_b: 2}
"""


def test_in_a_list_of_merged_maps_the_later_map_wins_and_the_mapping_own_keys_win_over_all() -> None:
    document = yamlfile.load(ANCHORS + "merged: {<<: [*a, *b]}\nown: {<<: [*a, *b], x: own}\n", "databricks.yml")
    assert document["merged"] == {"x": "from-b", "only_a": 1, "only_b": 2}  # PyYAML alone gives from-a
    assert document["own"]["x"] == "own"


def test_a_second_merge_key_is_the_real_cli_error_at_that_key() -> None:
    with pytest.raises(ConfigFileError) as raised:
        yamlfile.load(ANCHORS + "merged:\n  <<: *a\n  <<: *b\n", "resources/x.yml")
    assert raised.value.diagnostic.location == "resources/x.yml:5:3"
    assert raised.value.diagnostic.summary.startswith("duplicate YAML merge key ('<<') is not allowed")


def _depends(*labels: str) -> list[dict[str, str]]:
    return [{"node": label[2:-4], "label": label} for label in labels]


def test_a_loop_of_three_jobs_is_worded_from_the_first_key_in_order() -> None:
    loop = cycles.find({
        "resources.jobs.a": _depends("${resources.jobs.c.id}"),
        "resources.jobs.b": _depends("${resources.jobs.a.id}"),
        "resources.jobs.c": _depends("${resources.jobs.b.id}"),
    })
    assert loop == (
        "cycle detected: resources.jobs.b refers to resources.jobs.a via ${resources.jobs.a.id} "
        "resources.jobs.c refers to resources.jobs.b via ${resources.jobs.b.id} "
        "which refers to resources.jobs.c via ${resources.jobs.c.id}"
    )


def test_references_without_a_loop_are_no_error() -> None:
    assert cycles.find({
        "resources.jobs.a": [],
        "resources.jobs.b": _depends("${resources.jobs.a.id}"),
        "resources.jobs.b.permissions": _depends("${resources.jobs.b.id}"),
    }) is None
