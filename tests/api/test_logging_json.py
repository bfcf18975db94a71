"""The JSON log lines (python-json-logger with our field names and the request id)."""

from __future__ import annotations

import json
import logging

from api.core.logging import JsonFormatter, _request_id


def test_a_log_line_is_one_json_object_with_our_fields() -> None:
    record = logging.makeLogRecord({
        "name": "quartermaster.test", "levelname": "WARNING", "levelno": logging.WARNING,
        "msg": "stock %s", "args": ("low",), "error": ValueError("boom"),
        "color_message": "\x1b[31mstock low\x1b[0m"})
    token = _request_id.set("req-1")
    try:
        line = JsonFormatter().format(record)
    finally:
        _request_id.reset(token)
    payload = json.loads(line)
    assert payload["level"] == "WARNING"
    assert payload["logger"] == "quartermaster.test"
    assert payload["message"] == "stock low"
    assert payload["request_id"] == "req-1"
    assert payload["error"] == "boom"  # extras are kept, rendered with str()
    assert "T" in payload["time"] and payload["time"].endswith("+00:00")
    assert "color_message" not in payload and "levelname" not in payload
