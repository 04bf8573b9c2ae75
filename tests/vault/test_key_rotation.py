"""KEK rotation under concurrency: one rotation at a time, across processes and servers, and a
rotation that meets a version it did not make stops with a clear error instead of looping."""

from __future__ import annotations

import threading

import pytest

from tutela import Tutela, errors
from tutela.testing import PiiCanary

READ = {"purpose": "order_fulfilment", "role": "admin"}


def test_a_second_rotation_while_one_runs_is_refused_and_the_first_completes(
    tutela: Tutela, canary: PiiCanary
) -> None:
    records = [canary.customer(i) for i in range(3)]
    ids = tutela.add_many(records)
    started, release = threading.Event(), threading.Event()
    reports = []

    def hold(done: int, total: int) -> None:
        started.set()
        release.wait(10)

    first = threading.Thread(target=lambda: reports.append(tutela.rotate_keys(progress=hold)))
    first.start()
    try:
        assert started.wait(10)
        with pytest.raises(errors.KeyRotationRunning, match="another key rotation is running"):
            tutela.rotate_keys()
    finally:
        release.set()
        first.join(10)

    assert [(r.kek_version, r.rewrapped) for r in reports] == [(2, 3)]
    assert tutela.keys.versions() == [1, 2]  # the refused rotation made no version
    tutela.retire_key(1)
    assert tutela.read(ids[2], ["email"], **READ) == {"email": records[2]["email"]}
    assert tutela.rotate_keys().kek_version == 3  # the lock was released
    assert tutela.verify_audit().ok


def test_a_version_made_outside_the_rotation_stops_it_instead_of_looping(
    tutela: Tutela, canary: PiiCanary
) -> None:
    records = [canary.customer(i) for i in range(3)]
    ids = tutela.add_many(records)

    def another_version(done: int, total: int) -> None:
        if done == 0:
            tutela.keys.new_version()  # as a tool working on the key file directly would

    with pytest.raises(errors.KeyRotationRunning, match="--rewrap-only"):
        tutela.rotate_keys(progress=another_version)
    report = tutela.rotate_keys(rewrap_only=True)

    assert (report.kek_version, report.rewrapped) == (3, 3)
    tutela.retire_key(1)
    tutela.retire_key(2)
    assert tutela.keys.versions() == [3]
    assert tutela.read(ids[0], ["email"], **READ) == {"email": records[0]["email"]}
