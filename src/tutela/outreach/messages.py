"""The emails customers get, built from the `string.Template` files in `templates/`.

Each message has a `.txt` and an `.html` template holding only its content; `_layout.*` adds
the controller's name and contact around it. Values go into the text part as they are and into
the HTML part escaped (`html.escape`), so a name or reason can never add markup. (Services may
not import Jinja2, hence `string.Template`.)
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from datetime import UTC, date, datetime
from functools import cache
from importlib.resources import files
from string import Template

from tutela.datamap.spec import Controller
from tutela.outreach.mailer import Message

# How each data-subject request is named ("your …") and what acting on it did.
REQUEST_TYPES: Mapping[str, tuple[str, str]] = {
    "access": (
        "request for access to your personal data",
        "We have gathered the personal data we hold about you.",
    ),
    "portability": (
        "request for a portable copy of your personal data",
        "We have prepared the personal data you gave us in a machine-readable format that you "
        "can take to another service.",
    ),
    "rectification": (
        "request to correct your personal data",
        "We have corrected your personal data as you asked.",
    ),
    "erasure": (
        "request to delete your personal data",
        "We have deleted your personal data as you asked.",
    ),
    "restriction": (
        "request to restrict the processing of your personal data",
        "We have restricted the processing of your personal data as you asked.",
    ),
    "objection": (
        "objection to the processing of your personal data",
        "We have stopped processing your personal data for the purposes you objected to.",
    ),
}

DEFAULT_AUTHORITY = "your data protection supervisory authority"

_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def verification_code(controller: Controller, to: str, code: str, valid_minutes: int) -> Message:
    """A one-time code to confirm the address (a data-subject request, a privacy-center sign-in).

    Args:
        controller: the business sending it.
        to: the recipient's address.
        code: the code (6 digits, as `OutboxMailer.codes_for` expects).
        valid_minutes: how long the code works.
    """
    return _render(
        "verification_code",
        to,
        f"Your verification code for {_one_line(controller.name)}",
        controller,
        {"code": code, "valid_minutes": str(valid_minutes)},
    )


def request_received(
    controller: Controller, to: str, request_id: str, request_type: str, due: date
) -> Message:
    """Confirms a data-subject request was received and says when the answer is due.

    Raises:
        ValueError: `request_type` is not one of `REQUEST_TYPES`.
    """
    return _render(
        "request_received",
        to,
        f"{_one_line(controller.name)}: we have received your request",
        controller,
        {
            "request_id": request_id,
            "request_wording": _wording(request_type)[0],
            "due": _date(due),
        },
    )


def request_completed(  # noqa: PLR0917 - the positional signature callers were given
    controller: Controller,
    to: str,
    request_id: str,
    request_type: str,
    download_url: str | None,
    link_expires_at: datetime | None,
) -> Message:
    """Says a request was completed; with a download link (works once, expires) if there is one.

    Args:
        download_url: an `https://` (or `http://`) link to the export, or None.
        link_expires_at: when the link stops working (naive times are taken as UTC), or None.

    Raises:
        ValueError: an unknown `request_type`, or a download URL that is not http(s).
    """
    wording, outcome = _wording(request_type)
    download_text = download_html = ""
    if download_url is not None:
        if not download_url.startswith(("https://", "http://")):
            raise ValueError("the download URL must be an http(s) URL")
        note = (
            f"The link works once and expires on {_datetime(link_expires_at)}."
            if link_expires_at is not None
            else "The link works once."
        )
        fragment = {"download_url": download_url, "link_note": note}
        download_text = "\n" + _template("_download.txt").substitute(fragment).rstrip() + "\n"
        download_html = _template("_download.html").substitute(_escaped(fragment)).rstrip()
    return _render(
        "request_completed",
        to,
        f"{_one_line(controller.name)}: your request is complete",
        controller,
        {"request_id": request_id, "request_wording": wording, "outcome": outcome},
        markup={"download": (download_text, download_html)},
    )


def request_extended(  # noqa: PLR0917 - like its siblings
    controller: Controller, to: str, request_id: str, request_type: str, due: date, reason: str
) -> Message:
    """Tells the customer the answer will take longer, until when and why (GDPR Art. 12(3):
    within the first month; CCPA: within the first 45 days).

    Raises:
        ValueError: `request_type` is not one of `REQUEST_TYPES`.
    """
    return _render(
        "request_extended",
        to,
        f"{_one_line(controller.name)}: we need more time for your request",
        controller,
        {
            "request_id": request_id,
            "request_wording": _wording(request_type)[0],
            "due": _date(due),
            "reason": reason,
            "authority": controller.supervisory_authority or DEFAULT_AUTHORITY,
        },
    )


def request_rejected(
    controller: Controller, to: str, request_id: str, request_type: str, reason: str
) -> Message:
    """Says a request was refused, why, and that the customer may complain to the authority.

    Raises:
        ValueError: `request_type` is not one of `REQUEST_TYPES`.
    """
    return _render(
        "request_rejected",
        to,
        f"{_one_line(controller.name)}: we cannot act on your request",
        controller,
        {
            "request_id": request_id,
            "request_wording": _wording(request_type)[0],
            "reason": reason,
            "authority": controller.supervisory_authority or DEFAULT_AUTHORITY,
        },
    )


def _render(
    kind: str,
    to: str,
    subject: str,
    controller: Controller,
    values: Mapping[str, str],
    *,
    markup: Mapping[str, tuple[str, str]] | None = None,
) -> Message:
    """Fill the message's templates and the layout: values raw in text, escaped in HTML.

    `markup` holds fragments already rendered as (text, HTML) by this module, their own
    values escaped; nothing else goes into the HTML unescaped.
    """
    common = {
        "controller_name": controller.name,
        "contact": controller.contact,
        "dpo_note": f" · Data protection officer: {controller.dpo}" if controller.dpo else "",
    }
    text_values = {**common, **values}
    html_values = _escaped(text_values)
    for name, (text_part, html_part) in (markup or {}).items():
        text_values[name], html_values[name] = text_part, html_part
    text_content = _template(f"{kind}.txt").substitute(text_values).strip()
    html_content = _template(f"{kind}.html").substitute(html_values).strip()
    text = _template("_layout.txt").substitute(text_values, content=text_content)
    page = _template("_layout.html").substitute(
        html_values, content=html_content, subject=html.escape(subject)
    )
    return Message(to=to, subject=subject, text=text, html=page, kind=kind)


@cache
def _template(name: str) -> Template:
    source = files("tutela.outreach").joinpath("templates", name).read_text(encoding="utf-8")
    return Template(source)


def _escaped(values: Mapping[str, str]) -> dict[str, str]:
    return {key: html.escape(value) for key, value in values.items()}


def _wording(request_type: str) -> tuple[str, str]:
    try:
        return REQUEST_TYPES[request_type]
    except KeyError:
        known = ", ".join(REQUEST_TYPES)
        raise ValueError(f"unknown request type {request_type!r} (known: {known})") from None


def _one_line(value: str) -> str:
    """Whitespace collapsed: a subject is a header, and a line break would end it."""
    return " ".join(value.split())


def _date(day: date) -> str:
    """`3 March 2026`: the same in every locale the server may run in."""
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def _datetime(moment: datetime) -> str:
    """`3 March 2026 at 15:30 UTC` (naive times are taken as UTC)."""
    utc = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    return f"{_date(utc.date())} at {utc:%H:%M} UTC"
