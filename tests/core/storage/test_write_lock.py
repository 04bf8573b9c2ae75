"""The SQLite write lock: excludes other processes (another open file stands for one), can be
tried without waiting, and may be released by a thread other than the one that waited."""

from __future__ import annotations

import threading
from pathlib import Path

from tutela.core.storage.engine import WriteLock


def test_try_acquire_fails_while_another_process_holds_the_lock(tmp_path: Path) -> None:
    ours, theirs = WriteLock(tmp_path / "db.lock"), WriteLock(tmp_path / "db.lock")
    try:
        with theirs:
            assert not ours.try_acquire()
        assert ours.try_acquire()
        assert not theirs.try_acquire()
        ours.release()
        assert theirs.try_acquire()
        theirs.release()
    finally:
        ours.close()
        theirs.close()


def test_try_acquire_fails_while_another_thread_of_this_process_holds_it(tmp_path: Path) -> None:
    lock = WriteLock(tmp_path / "db.lock")
    try:
        lock.acquire()
        seen: list[bool] = []
        thread = threading.Thread(target=lambda: seen.append(lock.try_acquire()))
        thread.start()
        thread.join()
        assert seen == [False]
        lock.release()
    finally:
        lock.close()


def test_a_lock_waited_for_in_a_thread_is_released_by_another(tmp_path: Path) -> None:
    ours, theirs = WriteLock(tmp_path / "db.lock"), WriteLock(tmp_path / "db.lock")
    try:
        theirs.acquire()
        waiter = threading.Thread(target=ours.acquire)
        waiter.start()
        waiter.join(timeout=0.2)
        assert waiter.is_alive()  # still waiting: the other holder has it
        theirs.release()
        waiter.join(timeout=5)
        assert not waiter.is_alive()
        assert not theirs.try_acquire()
        ours.release()  # from this thread, not the one that acquired
        assert theirs.try_acquire()
        theirs.release()
    finally:
        ours.close()
        theirs.close()
