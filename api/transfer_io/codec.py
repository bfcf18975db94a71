"""Reading uploaded CSV/JSON into rows of strings, and writing rows back out.

File-level problems (encoding, NUL bytes, size, shape, unknown or missing columns) raise a
422 naming ``file`` or the column: nothing of such a file is looked at further.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from api.core.errors import InvalidInput, ProblemError
from api.transfer_io import scunpacked
from api.transfer_io.schemas import COLUMNS, IGNORES_UNKNOWN_COLUMNS, REQUIRED
from api.transfer_io.schemas import Row as Row

MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_ROWS = 200_000


class FileTooLarge(ProblemError):  # noqa: N818 - reads like the other problem classes
    """413: the upload is larger than an import accepts."""

    status = 413
    title = "File too large"
    slug = "file-too-large"


def _bad_file(reason: str, **extra: Any) -> InvalidInput:
    return InvalidInput(reason, field="file", **extra)


def _decode(data: bytes) -> str:
    if len(data) > MAX_FILE_BYTES:
        raise FileTooLarge(
            f"The file is {len(data)} bytes; imports accept at most {MAX_FILE_BYTES}",
            limit_bytes=MAX_FILE_BYTES,
        )
    if b"\x00" in data:
        offset = data.index(b"\x00")
        raise _bad_file(f"The file contains a NUL byte at offset {offset}")
    try:
        # utf-8-sig: spreadsheets often save UTF-8 with a byte-order mark.
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _bad_file(
            f"The file is not UTF-8 (byte {exc.start}); save it as UTF-8 CSV or JSON"
        ) from exc


def _check_columns(kind: str, columns: Iterable[str], row: int | None = None) -> None:
    known = COLUMNS[kind]
    if kind in IGNORES_UNKNOWN_COLUMNS:
        return
    where = "" if row is None else f" (row {row})"
    for column in columns:
        if column not in known:
            raise InvalidInput(
                f"Unknown column {column!r}{where}; {kind} files have: {', '.join(known)}",
                field=column,
                record=None if row is None else f"row {row}",
            )


def _cell(kind: str, row: int, column: str, value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, (bool, dict)):
        raise InvalidInput(
            f"Row {row}: {column} must be text or a number", field=column, record=f"row {row}"
        )
    if isinstance(value, list):
        if not all(isinstance(v, str) for v in value):
            raise InvalidInput(
                f"Row {row}: {column} must be a list of text", field=column, record=f"row {row}"
            )
        return "; ".join(value)
    text = str(value).strip()
    return text or None


def read_rows(kind: str, file_format: str, data: bytes) -> list[Row]:
    """Rows of ``data`` as (row number, column -> text or None), columns checked."""
    text = _decode(data)
    if kind == "scunpacked-blueprints" and file_format != "json":
        raise InvalidInput("scunpacked-data publishes blueprints as JSON: send format=json",
                           field="format")
    rows: list[Row] = []
    if file_format == "json":
        try:
            parsed = json.loads(text)
        except json.JSONDecodeError as exc:
            raise _bad_file(f"Malformed JSON at line {exc.lineno}: {exc.msg}") from exc
        if kind == "scunpacked-blueprints":
            return _capped(scunpacked.blueprint_rows(parsed))
        # {"rows": [...]} is ours; UEX's API answers {"status": "ok", "data": [...]}.
        for wrapper in ("rows", "data"):
            if isinstance(parsed, dict) and isinstance(parsed.get(wrapper), list):
                parsed = parsed[wrapper]
        if not isinstance(parsed, list):
            raise _bad_file('A JSON import is an array of objects (or {"rows": [...]})')
        for number, obj in enumerate(parsed, start=1):
            if not isinstance(obj, dict):
                raise InvalidInput(
                    f"Row {number} is not an object", field="file", record=f"row {number}"
                )
            _check_columns(kind, obj, number)
            rows.append((number, {c: _cell(kind, number, c, obj.get(c)) for c in COLUMNS[kind]}))
    else:
        reader = csv.reader(io.StringIO(text, newline=""), strict=True)
        try:
            header = [h.strip() for h in next(reader, [])]
            if not any(header):
                raise _bad_file("The CSV file is empty: it needs a header row")
            _check_columns(kind, header)
            if len(set(header)) != len(header):
                raise _bad_file("The header names a column twice")
            for values in reader:
                number = reader.line_num
                if not any(v.strip() for v in values):
                    continue  # spreadsheets leave blank lines at the end
                if len(values) > len(header):
                    raise InvalidInput(
                        f"Row {number} has {len(values)} cells; the header has {len(header)}",
                        field="file", record=f"row {number}",
                    )
                cells = dict(zip(header, values, strict=False))
                rows.append((number, {c: (cells.get(c) or "").strip() or None
                                      for c in COLUMNS[kind]}))
                if len(rows) > MAX_ROWS:
                    break
        except csv.Error as exc:
            raise InvalidInput(
                f"Malformed CSV at row {reader.line_num}: {exc}",
                field="file", record=f"row {reader.line_num}",
            ) from exc
        missing = [c for c in REQUIRED[kind] if c not in header]
        if missing:
            raise InvalidInput(
                f"Missing column(s) {', '.join(missing)}; {kind} files have: "
                f"{', '.join(COLUMNS[kind])}",
                field=missing[0],
            )
    return _capped(rows)


def _capped(rows: list[Row]) -> list[Row]:
    if len(rows) > MAX_ROWS:
        raise _bad_file(f"The file has more than {MAX_ROWS} rows; split it")
    return rows


def text_of(value: object) -> str | None:
    """How a value is written in an export: decimals without trailing zeros."""
    if value is None:
        return None
    if isinstance(value, Decimal):
        text = format(value.normalize(), "f")
        return text
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    return str(value)


def write_rows(kind: str, file_format: str, rows: list[dict[str, Any]]) -> str:
    """An export file of ``rows`` (column -> value) in the import layout of ``kind``."""
    columns = COLUMNS[kind]
    if file_format == "json":
        out = [
            {c: (r.get(c) if isinstance(r.get(c), list) else text_of(r.get(c))) for c in columns}
            for r in rows
        ]
        return json.dumps(out, ensure_ascii=False, indent=2) + "\n"
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for r in rows:
        writer.writerow([text_of(r.get(c)) or "" for c in columns])
    return buffer.getvalue()
