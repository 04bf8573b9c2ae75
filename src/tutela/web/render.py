"""Rendering the privacy notice and the records of processing for people and programs.

HTML and Markdown come from the Jinja2 templates in `templates/` (HTML autoescaped; Markdown
values escaped by the `md` filter); JSON and CSV come straight from the service's data. The
HTML needs no script and no inline style when a stylesheet URL is given (the API's CSP allows
neither); standalone files (the CLI's `--output`) embed the stylesheet instead.
"""

from __future__ import annotations

import json
import re
from functools import cache
from importlib import resources

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from tutela.transparency import Notice, Ropa

NOTICE_FORMATS = ("html", "md", "json")
ROPA_FORMATS = ("csv", "json", "html")
STYLESHEET = "notice.css"

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>#|~&!])")
_MD_LEADING = re.compile(r"^([-+=]|\d+[.)])")


@cache
def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("tutela.web", "templates"),
        autoescape=select_autoescape(
            enabled_extensions=("html",),
            disabled_extensions=("md",),
            default_for_string=True,
            default=True,
        ),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["md"] = markdown_text
    env.filters["is_email"] = _is_email
    return env


def markdown_text(value: object) -> str:
    """A value as inert Markdown text on one line: no HTML, link, emphasis or block syntax."""
    text = " ".join(str(value).split())
    text = _MD_SPECIAL.sub(r"\\\1", text)
    return _MD_LEADING.sub(lambda m: m.group(1)[:-1] + "\\" + m.group(1)[-1], text)


def _is_email(value: object) -> bool:
    text = str(value)
    return re.fullmatch(r"[^@\s<>\"']+@[^@\s<>\"']+\.[^@\s<>\"']+", text) is not None


@cache
def stylesheet() -> str:
    """The notice and ROPA stylesheet (package data)."""
    return resources.files("tutela.web").joinpath("static", STYLESHEET).read_text("utf-8")


def render_notice(notice: Notice, fmt: str, *, stylesheet_url: str | None = None) -> str:
    """The notice as `html`, `md` or `json`.

    Args:
        notice: the notice to show.
        fmt: one of `NOTICE_FORMATS`.
        stylesheet_url: HTML only: link this stylesheet instead of embedding it (for pages
            served under a CSP that forbids inline style).

    Raises:
        ValueError: unknown format.
    """
    if fmt == "json":
        return json.dumps(notice.as_dict(), indent=2, ensure_ascii=False) + "\n"
    if fmt in ("html", "md"):
        template = _environment().get_template(f"notice.{fmt}")
        return template.render(
            notice=notice.content,
            version=notice.version,
            stylesheet_url=stylesheet_url,
            css=None if stylesheet_url else stylesheet(),
        )
    raise ValueError(f"unknown notice format '{fmt}' (one of {', '.join(NOTICE_FORMATS)})")


def render_ropa(ropa: Ropa, fmt: str) -> str:
    """The records of processing as `csv`, `json` or `html` (a standalone page).

    Raises:
        ValueError: unknown format.
    """
    if fmt == "csv":
        return ropa.to_csv()
    if fmt == "json":
        return json.dumps(ropa.as_dict(), indent=2, ensure_ascii=False) + "\n"
    if fmt == "html":
        return _environment().get_template("ropa.html").render(ropa=ropa, css=stylesheet())
    raise ValueError(f"unknown ROPA format '{fmt}' (one of {', '.join(ROPA_FORMATS)})")
