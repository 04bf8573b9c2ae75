"""`GET /privacy/notice`: the page customers read, served without an API key, as HTML under
the strict CSP (its stylesheet linked, no script), or as JSON or Markdown; cacheable, with the
notice version as ETag."""

from __future__ import annotations

import json

import pytest
from api_support import assert_problem
from fastapi.testclient import TestClient

from tutela import Tutela
from tutela.web.render import render_notice, stylesheet

CSS_URL = "/privacy/static/notice.css"


def test_the_notice_is_public_html_with_its_version_as_etag(
    client: TestClient, tutela: Tutela
) -> None:
    response = client.get("/privacy/notice")  # no Authorization header
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    notice = tutela.privacy_notice()
    assert response.headers["etag"] == f'"{notice.version}"'
    assert response.headers.get_list("cache-control") == ["public, max-age=300"]
    assert response.text == render_notice(notice, "html", stylesheet_url=CSS_URL)
    page = response.text
    assert '<html lang="en">' in page
    assert f'<link rel="stylesheet" href="{CSS_URL}">' in page
    assert "<script" not in page and "<style" not in page and " style=" not in page
    for purpose in tutela.datamap.purposes.values():
        assert purpose.description in page


def test_the_html_csp_allows_what_the_page_uses_and_nothing_inline(client: TestClient) -> None:
    csp = client.get("/privacy/notice").headers["content-security-policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";") if " " in d.strip())
    assert directives["style-src"] == "'self'"  # the linked stylesheet, no inline style
    assert "'unsafe-inline'" not in csp


def test_the_stylesheet_is_served(client: TestClient) -> None:
    response = client.get(CSS_URL)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/css; charset=utf-8"
    assert response.text == stylesheet()
    assert "max-width" in response.text
    again = client.get(CSS_URL, headers={"If-None-Match": response.headers["etag"]})
    assert again.status_code == 304


@pytest.mark.parametrize(
    ("params", "accept", "fmt"),
    [
        ({"format": "json"}, None, "json"),
        ({"format": "md"}, None, "md"),
        ({"format": "html"}, None, "html"),
        ({}, "application/json", "json"),
        ({}, "text/markdown", "md"),
        ({}, "text/html,application/xhtml+xml,*/*;q=0.8", "html"),
        ({}, "text/html;q=0.5, application/json", "json"),
        ({}, "*/*", "html"),
        ({}, "image/png", "html"),
        ({"format": "md"}, "application/json", "md"),  # the query wins
    ],
)
def test_formats_by_query_or_accept(
    client: TestClient, tutela: Tutela, params: dict[str, str], accept: str | None, fmt: str
) -> None:
    headers = {"Accept": accept} if accept else {}
    response = client.get("/privacy/notice", params=params, headers=headers)
    assert response.status_code == 200
    notice = tutela.privacy_notice()
    media = {"html": "text/html", "json": "application/json", "md": "text/markdown"}[fmt]
    assert response.headers["content-type"].split(";")[0] == media
    assert response.headers["etag"] == f'"{notice.version}"'
    assert response.headers["cache-control"] == "public, max-age=300"
    assert "Accept" in response.headers["vary"]
    if fmt == "json":
        assert response.json() == notice.as_dict()
    else:
        assert response.text == render_notice(
            notice, fmt, stylesheet_url="/privacy/static/notice.css"
        )


def test_json_notice_carries_the_whole_content(client: TestClient, tutela: Tutela) -> None:
    body = client.get("/privacy/notice", params={"format": "json"}).json()
    assert body["version"] == tutela.notice.version
    assert body["datamap_version"] == tutela.datamap_version
    assert [p["key"] for p in body["purposes"]] == list(tutela.datamap.purposes)
    assert json.dumps(body)  # plain JSON


def test_a_current_etag_gets_304(client: TestClient) -> None:
    etag = client.get("/privacy/notice").headers["etag"]
    response = client.get("/privacy/notice", headers={"If-None-Match": etag})
    assert response.status_code == 304
    assert response.content == b""
    assert response.headers["etag"] == etag
    stale = client.get("/privacy/notice", headers={"If-None-Match": '"0000000000000000"'})
    assert stale.status_code == 200


def test_an_unknown_format_is_a_problem(client: TestClient) -> None:
    assert_problem(client.get("/privacy/notice", params={"format": "pdf"}), 422)


def test_the_notice_is_in_the_openapi_document(client: TestClient) -> None:
    operation = client.get("/openapi.json").json()["paths"]["/privacy/notice"]["get"]
    assert "security" not in operation
    assert set(operation["responses"]["200"]["content"]) == {
        "text/html",
        "application/json",
        "text/markdown",
    }
