"""Which backups to keep: the newest of each of the last N days, ISO weeks and months.

The classic grandfather-father-son scheme (as restic's `forget --keep-daily/weekly/monthly`):
a backup is kept if it is the newest of its day among the `daily` most recent days that have
a backup, or likewise for weeks and months; one backup may count for all three.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Keep:
    daily: int = 7
    weekly: int = 4
    monthly: int = 6


def _bucket_keep(
    stamps: Sequence[tuple[datetime, str]], count: int, bucket: Callable[[datetime], object]
) -> set[str]:
    kept: set[str] = set()
    seen: set[object] = set()
    for at, name in stamps:  # newest first
        if len(seen) >= count:
            break
        key = bucket(at)
        if key not in seen:
            seen.add(key)
            kept.add(name)
    return kept


def to_keep(backups: Iterable[tuple[datetime, str]], keep: Keep) -> set[str]:
    """Names of the backups the policy keeps; the others may be pruned. The newest backup is
    always kept, whatever the policy says."""
    stamps = sorted(backups, reverse=True)
    if not stamps:
        return set()
    kept = {stamps[0][1]}
    kept |= _bucket_keep(stamps, keep.daily, lambda at: at.date())
    kept |= _bucket_keep(stamps, keep.weekly, lambda at: at.isocalendar()[:2])
    kept |= _bucket_keep(stamps, keep.monthly, lambda at: (at.year, at.month))
    return kept
