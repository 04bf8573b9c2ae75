"""Two processes writing to one home at once keep one intact audit chain: every acknowledged
write is stored, no entry is lost or duplicated, and sequence numbers stay contiguous. This is
what the chain lock (SQLite's write lock, PostgreSQL's advisory lock) and the forward-only head
checkpoint (`flock`) promise.
"""

from __future__ import annotations

import itertools
import multiprocessing
import time
import traceback
from typing import Any

from tutela import Settings, Tutela
from tutela.testing import PiiCanary

PROCESSES = 2
ADDS = 150
READ_EVERY = 10  # one read after every tenth add
READS = ADDS // READ_EVERY
PAUSE = 0.01


def _worker(
    index: int,
    settings: Settings,
    customers: list[dict[str, Any]],
    start: Any,  # multiprocessing.Barrier
    results: Any,  # multiprocessing.Queue
) -> None:
    """Open the home, wait for the other process, then add as fast as possible, reading one
    subject back after every burst of `READ_EVERY` adds."""
    ids: list[str] = []
    try:
        with Tutela.open(settings=settings) as tutela:
            start.wait(timeout=60)
            for n, values in enumerate(customers, start=1):
                ids.append(tutela.add(values))
                if n % READ_EVERY == 0:
                    got = tutela.read(ids[-1], ["email"], purpose="order_fulfilment", role="admin")
                    if got != {"email": values["email"]}:
                        raise AssertionError(f"read back the wrong value for {ids[-1]}")
                    # A breath between bursts: SQLite's busy handler polls in sleeps of a few
                    # ms, so without one a waiter never finds the lock free and the processes
                    # would simply run one after the other.
                    time.sleep(PAUSE)
        results.put((index, ids, None))
    except BaseException:
        # The traceback only: Tutela's errors never carry values, so no canary leaks here.
        results.put((index, ids, traceback.format_exc(limit=5)))


def test_two_processes_appending_at_once_keep_the_chain_whole(
    tutela: Tutela, settings: Settings, canary: PiiCanary
) -> None:
    """Each process's adds and reads interleave with the other's; afterwards the chain
    verifies, has exactly one entry per operation and every returned id can be read."""
    initial = tutela.verify_audit()
    assert initial.ok
    batches = [[canary.customer(p * ADDS + n) for n in range(ADDS)] for p in range(PROCESSES)]
    ctx = multiprocessing.get_context("spawn")
    start = ctx.Barrier(PROCESSES)
    results = ctx.Queue()
    workers = [
        ctx.Process(target=_worker, args=(i, settings, batch, start, results))
        for i, batch in enumerate(batches)
    ]
    for worker in workers:
        worker.start()
    try:
        outcomes = sorted(results.get(timeout=120) for _ in workers)
    finally:
        for worker in workers:
            worker.join(timeout=30)
            if worker.is_alive():
                worker.kill()
    errors = [error for _, _, error in outcomes if error]
    assert not errors, errors[0]
    assert [w.exitcode for w in workers] == [0] * PROCESSES
    acknowledged = [sid for _, ids, _ in outcomes for sid in ids]
    assert len(acknowledged) == len(set(acknowledged)) == PROCESSES * ADDS

    report = tutela.verify_audit()
    expected = initial.entries + PROCESSES * (ADDS + READS)
    assert (report.ok, report.entries, report.first_broken) == (True, expected, None), report
    assert report.head_seq == expected  # the checkpoint ends at the true head, never behind
    entries = list(tutela.audit_entries())
    assert [e.seq for e in entries] == list(range(1, expected + 1))
    added = [e.event.subject_id for e in entries if e.event.action == "subject.add"]
    assert sorted(added) == sorted(acknowledged)
    first = set(outcomes[0][1])
    owners = [sid in first for sid in added]
    switches = sum(1 for a, b in itertools.pairwise(owners) if a != b)
    assert switches >= 2, "the two processes did not overlap; the test proved nothing"

    by_id = dict(zip(acknowledged, [c for batch in batches for c in batch], strict=True))
    records = tutela.read_many(acknowledged, ["email"], purpose="order_fulfilment", role="admin")
    wrong = [sid for sid in acknowledged if records.get(sid) != {"email": by_id[sid]["email"]}]
    assert not wrong, f"{len(wrong)} acknowledged subject(s) unreadable or wrong, e.g. {wrong[0]}"
