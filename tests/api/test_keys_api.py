"""`POST /v1/keys:rotate` when a rotation cannot start: 409 problem+json that says why."""

from __future__ import annotations

import threading
from pathlib import Path

from api_support import Key, assert_problem, issue
from fastapi.testclient import TestClient

from tutela import Settings, Tutela
from tutela.api import create_app
from tutela.core.crypto import generate_key_text


def test_a_rotation_while_another_runs_is_a_409(
    client: TestClient, tutela: Tutela, keys: dict[str, Key]
) -> None:
    started, release = threading.Event(), threading.Event()

    def hold(done: int, total: int) -> None:
        started.set()
        release.wait(10)

    running = threading.Thread(target=lambda: tutela.rotate_keys(progress=hold))
    running.start()
    try:
        assert started.wait(10)
        response = client.post("/v1/keys:rotate", headers=keys["admin"].headers)
    finally:
        release.set()
        running.join(10)

    body = assert_problem(response, 409)
    assert body["type"] == "urn:tutela:problem:key-rotation-running"
    assert body["detail"] == "another key rotation is running: retry once it has finished"
    after = client.post("/v1/keys:rotate", headers=keys["admin"].headers)
    assert after.status_code == 200 and after.json()["kek_version"] == 3


def test_keys_from_the_environment_are_rotated_there_a_409_says_how(tmp_path: Path) -> None:
    settings = Settings.load(
        tmp_path / "home", environ={"TUTELA_MASTER_KEY": f"1:{generate_key_text()}"}
    )
    with Tutela.init(settings=settings) as vault:
        admin = issue(vault, "admin")
        app = create_app(settings, vault=vault)
        with TestClient(app, raise_server_exceptions=False) as client:
            response = client.post("/v1/keys:rotate", headers=admin.headers)

    body = assert_problem(response, 409)
    assert body["type"] == "urn:tutela:problem:keys-managed-elsewhere"
    assert "TUTELA_MASTER_KEY" in body["detail"] and "--rewrap-only" in body["detail"]
