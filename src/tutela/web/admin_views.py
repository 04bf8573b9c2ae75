"""What the admin pages show of a data-subject request: rows of the queue, the fields, outcome
and timeline of one request, and which staff actions apply to it (presentation only: whether
an action is allowed is decided again by the rights service when it is posted).

Nothing here holds a personal value: a `RequestView` carries ids, statuses, dates and notes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from tutela.rights.service import OPEN, RequestView, Status

DUE_SOON_DAYS = 7
FILTERS: tuple[str, ...] = ("open", "all", *(s.value for s in Status))
ACTIONS = ("approve", "reject", "extend", "complete", "retry")
DONE = {
    "approved": "Request approved.",
    "rejected": "Request rejected; the requester is told the reason.",
    "extended": "Due date extended.",
    "completed": "Request completed.",
    "retried": "Fulfilment run again.",
}
PAST = {
    "approve": "approved",
    "reject": "rejected",
    "extend": "extended",
    "complete": "completed",
    "retry": "retried",
}


def when(at: datetime | None) -> str:
    return "—" if at is None else at.strftime("%Y-%m-%d %H:%M UTC")


def day(on: date | None) -> str:
    return "—" if on is None else on.isoformat()


def words(value: str) -> str:
    return value.replace("_", " ")


def is_open(view: RequestView) -> bool:
    return view.status in OPEN


def is_held(view: RequestView) -> bool:
    """Waiting for a retry because a connected database failed."""
    return view.status is Status.IN_PROGRESS and view.outcome.get("retry") is True


def urgency(view: RequestView, today: date) -> str:
    """ "late", "soon" (due within a week) or "" (not urgent, or closed)."""
    if not is_open(view):
        return ""
    left = view.days_left(today)
    if left < 0:
        return "late"
    return "soon" if left <= DUE_SOON_DAYS else ""


@dataclass(frozen=True)
class QueueRow:
    id: str
    type: str
    status: str
    regime: str
    received: str
    due: str
    days_left: int | None  # None: closed
    urgency: str
    held: bool


def queue_rows(views: Sequence[RequestView], today: date) -> list[QueueRow]:
    """The queue, most urgent first: open requests by days left, then closed ones."""
    ordered = sorted(
        views,
        key=lambda v: (not is_open(v), v.due_on, v.received_at, v.id),
    )
    return [
        QueueRow(
            id=v.id,
            type=words(v.type.value),
            status=words(v.status.value),
            regime=v.regime.upper(),
            received=day(v.received_at.date()),
            due=day(v.due_on),
            days_left=v.days_left(today) if is_open(v) else None,
            urgency=urgency(v, today),
            held=is_held(v),
        )
        for v in ordered
    ]


def actions(view: RequestView) -> frozenset[str]:
    """The staff actions whose forms the detail page offers for this request."""
    found = set()
    if view.status is Status.AWAITING_APPROVAL:
        found.add("approve")
    if is_open(view):
        found.add("reject")
        if view.extension_reason is None:
            found.add("extend")
    if view.status is Status.IN_PROGRESS:
        found.add("complete")
        if is_held(view):
            found.add("retry")
    return frozenset(found)


def fields(view: RequestView, today: date) -> list[tuple[str, str]]:
    """Every field of the request, labelled, as text."""
    left = view.days_left(today)
    days = "— (closed)"
    if is_open(view):
        days = f"{left} (late)" if left < 0 else str(left)
    return [
        ("Request id", view.id),
        ("Type", words(view.type.value)),
        ("Status", words(view.status.value)),
        ("Regime", view.regime.upper()),
        ("Subject id", view.subject_id or "— (no single customer matched)"),
        ("Received", when(view.received_at)),
        ("Verified", when(view.verified_at)),
        ("Acknowledge by", day(view.acknowledge_by)),
        ("Due on", day(view.due_on)),
        ("Days left", days),
        ("Latest possible extension", day(view.latest_extension)),
        ("Extension reason", view.extension_reason or "— (not extended)"),
        ("Closed", when(view.closed_at)),
    ]


def _text(value: Any) -> str:
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_text(v)}" for k, v in value.items()) or "none"
    if isinstance(value, list | tuple):
        return ", ".join(_text(v) for v in value) or "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def outcome(view: RequestView) -> list[tuple[str, str]]:
    """The outcome's entries as text, except the per-system report (see `systems`)."""
    return [
        (words(k), _text(v))
        for k, v in sorted(view.outcome.items())
        if k not in {"systems", "retry"}
    ]


def systems(view: RequestView) -> list[dict[str, str]]:
    """What each connected database did (name, ok, action, rows, error), as text."""
    report = view.outcome.get("systems")
    if not isinstance(report, list):
        return []
    return [
        {
            "name": str(r.get("name", "")),
            "ok": "done" if r.get("ok") else "failed",
            "action": str(r.get("action") or "—"),
            "rows": "—" if r.get("rows") is None else str(r.get("rows")),
            "error": str(r.get("error") or ""),
        }
        for r in report
        if isinstance(r, dict)
    ]
