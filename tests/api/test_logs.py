"""The server's log format: one JSON object per line; an exception by its type and stack only."""

from __future__ import annotations

import json
import logging
import sys

from tutela.api.logs import JsonLines
from tutela.testing import PiiCanary


def _record(message: str, *args: object, exc_info: object = None) -> logging.LogRecord:
    return logging.LogRecord(
        "tutela.api",
        logging.ERROR,
        __file__,
        1,
        message,
        args,
        exc_info,  # type: ignore[arg-type]
    )


def test_a_record_is_one_json_object() -> None:
    line = JsonLines().format(_record("unhandled %s in request %s", "KeyError", "abc"))
    entry = json.loads(line)
    assert "\n" not in line
    assert entry["level"] == "ERROR" and entry["logger"] == "tutela.api"
    assert entry["message"] == "unhandled KeyError in request abc"
    assert entry["time"].endswith("+00:00")


def test_an_exception_is_logged_by_type_and_stack_never_by_its_message(
    canary: PiiCanary,
) -> None:
    secret = canary.customer()["email"]
    try:
        raise ValueError(f"duplicate key value (email)=({secret})")
    except ValueError:
        record = _record("unhandled ValueError", exc_info=sys.exc_info())
    line = JsonLines().format(record)
    entry = json.loads(line)
    assert entry["exception"] == "ValueError"
    assert "test_logs.py" in entry["stack"] and "raise ValueError" in entry["stack"]
    assert secret not in line
