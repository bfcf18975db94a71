"""Import report and the file layouts (columns) of each kind of record."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Kind = Literal["items", "locations", "ships", "stock", "blueprints"]
# Kinds read from files other tools publish: imported, never exported.
CommunityKind = Literal["uex-prices", "scunpacked-blueprints"]
ImportKind = Kind | CommunityKind
FileFormat = Literal["csv", "json"]
Action = Literal["create", "update", "unchanged"]
JobStatus = Literal["queued", "running", "done", "failed"]
# validate: reading and checking the file's rows; apply: writing the changed records.
JobPhase = Literal["validate", "apply"]
# One row of a file as read: (row number, column -> text or None).
Row = tuple[int, dict[str, str | None]]

# Column order of exports; imports accept them in any order. The first required column of
# each kind names the record in reports.
COLUMNS: dict[str, tuple[str, ...]] = {
    "items": ("name", "unit", "category", "volume_scu", "aliases", "description"),
    "locations": ("path", "kind", "trip_cost"),
    "ships": ("name", "ship_type", "cargo_capacity_scu", "location"),
    "stock": ("item", "location", "quality", "quantity"),
    # ingredients: "<quantity> <item name or alias>[ q>=<min quality>]", separated by ";".
    "blueprints": ("name", "kind", "output", "output_quantity", "minutes", "run_cost",
                   "ingredients", "description"),
    # UEX's commodity price table (commodities_prices): one terminal x commodity per row.
    "uex-prices": (
        "terminal_name", "commodity_name", "price_buy", "price_sell", "scu_buy", "scu_sell",
    ),
}
# Other tools' files carry many more columns (ids, dates, averages): those are skipped.
IGNORES_UNKNOWN_COLUMNS = frozenset({"uex-prices"})
REQUIRED: dict[str, tuple[str, ...]] = {
    "items": ("name",),
    "locations": ("path", "kind"),
    "ships": ("name", "ship_type"),
    "stock": ("item", "location", "quantity"),
    "blueprints": ("name", "output", "output_quantity"),
    "uex-prices": ("terminal_name", "commodity_name", "price_buy"),
}


class RowError(BaseModel):
    """One bad value: where it is, what it was and why it is refused."""

    row: int = Field(description="CSV: line number (header is 1); JSON: 1-based array index")
    column: str
    value: str | None = None
    reason: str
    suggestions: list[str] = Field(default_factory=list, description="Closest known names")


class RowChange(BaseModel):
    """What importing one row does (or would do, in a dry run)."""

    row: int
    record: str
    action: Action
    detail: str | None = None


class ImportReport(BaseModel):
    """The outcome of a dry run or an apply: every bad row, and every row's effect."""

    kind: ImportKind
    format: FileFormat
    applied: bool
    valid: bool
    rows: int
    created: int
    updated: int
    unchanged: int
    errors: list[RowError]
    changes: list[RowChange]


class ImportJobOut(BaseModel):
    """A background import: where it has got to and, once finished, its report."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    kind: ImportKind
    format: FileFormat
    apply: bool = Field(description="false: a dry run (report only)")
    status: JobStatus
    phase: JobPhase | None = None
    rows_total: int = Field(description="validate: rows of the file; apply: rows to write")
    rows_done: int = Field(
        description="how far the phase has got (PostgreSQL updates it while running; "
                    "SQLite only between phases: follow the org socket's import.progress)")
    error: str | None = Field(default=None, description="why a job failed")
    report: ImportReport | None = Field(
        default=None,
        description="done: the import's report; failed on bad rows: the dry run listing them",
    )
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
