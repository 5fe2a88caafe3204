"""Unit tests: plain pytest, no Spark (`bundleops unit` runs them in CI)."""

import pytest

from orders_lakeflow.rules import Tables, is_revenue_status


@pytest.mark.parametrize("status", ["completed", "shipped", " Completed ", "SHIPPED"])
def test_completed_and_shipped_orders_count_as_revenue(status):
    assert is_revenue_status(status)


@pytest.mark.parametrize("status", ["cancelled", "refunded", "pending", "", None])
def test_other_statuses_do_not_count(status):
    assert not is_revenue_status(status)


def test_table_names_are_three_part():
    tables = Tables("staging", "orders_lakeflow")
    assert tables.orders == "staging.orders_lakeflow.orders"
    assert tables.daily_revenue == "staging.orders_lakeflow.daily_revenue"


def test_a_name_with_a_dot_is_refused():
    with pytest.raises(ValueError, match="not a plain"):
        Tables("staging", "a.b")
