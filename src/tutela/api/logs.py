"""The server's log lines on stderr, one JSON object each, for the same log pipeline as the
access log (one JSON object per request on stdout).

An exception is logged by its type and stack, never its message: a driver's message can quote
a statement's values.
"""

from __future__ import annotations

import json
import logging
import traceback
from datetime import UTC, datetime


class JsonLines(logging.Formatter):
    """`{"time", "level", "logger", "message"}`, plus `exception` and `stack` when the record
    carries one."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, str] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info and record.exc_info[0] is not None:
            entry["exception"] = record.exc_info[0].__name__
            entry["stack"] = "".join(traceback.format_tb(record.exc_info[2]))
        return json.dumps(entry, ensure_ascii=False)
