"""Business rules of the pipeline, in plain Python so unit tests need no Spark."""

from __future__ import annotations

import re
from dataclasses import dataclass

# Order statuses that count as revenue; anything else (cancelled, refunded, pending) does not.
REVENUE_STATUSES: frozenset[str] = frozenset({"completed", "shipped"})

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def is_revenue_status(status: str | None) -> bool:
    """Whether an order with this status counts as revenue (case and surrounding spaces ignored)."""
    return status is not None and status.strip().lower() in REVENUE_STATUSES


@dataclass(frozen=True)
class Tables:
    """The pipeline's three-part table names in one catalog and schema."""

    catalog: str
    schema: str

    def __post_init__(self) -> None:
        for part in (self.catalog, self.schema):
            if not _IDENTIFIER.match(part):
                raise ValueError(f"not a plain catalog or schema name: {part!r}")

    def name(self, table: str) -> str:
        return f"{self.catalog}.{self.schema}.{table}"

    @property
    def orders(self) -> str:
        return self.name("orders")

    @property
    def customers(self) -> str:
        return self.name("customers")

    @property
    def daily_revenue(self) -> str:
        return self.name("daily_revenue")
