"""`tutela.requests`: data-subject requests in the Python SDK, one unit of work per call."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from tutela.actor import Actor
from tutela.core.uow import UnitOfWork
from tutela.errors import VerificationFailed
from tutela.rights.service import PUBLIC, RequestView, RightsDesk, Status, Verification

SDK = "sdk"


class Requests:
    """Receive, verify, approve, fulfil and track requests. Reached as `Tutela(...).requests`."""

    def __init__(self, desk: RightsDesk, unit_of_work: Callable[[], UnitOfWork]) -> None:
        self.desk = desk
        self._uow = unit_of_work

    def create(
        self, request_type: str, email: str, *, jurisdiction: str | None = None
    ) -> RequestView:
        """Receive a request; a one-time code goes to `email`. The answer is the same whether
        or not the email belongs to a customer."""
        with self._uow() as uow:
            return self.desk.create(uow, request_type, email, jurisdiction=jurisdiction)

    def verify(self, request_id: str, code: str, *, actor: Actor = PUBLIC) -> RequestView:
        """Present the code; on success the request moves on (and is fulfilled at once where
        no approval is needed).

        Raises:
            VerificationFailed: wrong or expired code, or locked after too many (the count of
            wrong tries is kept).
        """
        with self._uow() as uow:
            outcome = self.desk.verify(uow, request_id, code, actor=actor)
        if outcome is not Verification.VERIFIED:
            raise VerificationFailed(request_id, outcome.value)
        return self.show(request_id)

    def approve(self, request_id: str, *, actor: Actor | None = None) -> RequestView:
        with self._uow() as uow:
            return self.desk.approve(uow, request_id, actor or Actor(SDK, "admin"))

    def reject(self, request_id: str, reason: str, *, actor: Actor | None = None) -> RequestView:
        with self._uow() as uow:
            return self.desk.reject(uow, request_id, reason, actor or Actor(SDK, "admin"))

    def extend(self, request_id: str, reason: str, *, actor: Actor | None = None) -> RequestView:
        with self._uow() as uow:
            return self.desk.extend(uow, request_id, reason, actor or Actor(SDK, "admin"))

    def complete(self, request_id: str, note: str, *, actor: Actor | None = None) -> RequestView:
        with self._uow() as uow:
            return self.desk.complete(uow, request_id, note, actor or Actor(SDK, "admin"))

    def retry(self, request_id: str, *, actor: Actor | None = None) -> RequestView:
        """Run again a fulfilment a connected system failed."""
        with self._uow() as uow:
            return self.desk.retry(uow, request_id, actor or Actor(SDK, "admin"))

    def retry_held(self, *, actor: Actor | None = None) -> dict[str, str]:
        """Retry every request waiting on a failed system, each in its own transaction;
        returns each request's status afterwards (the worker runs this)."""
        who = actor or Actor(SDK, "admin")
        with self._uow() as uow:
            held = self.desk.held(uow, who)
        done = {}
        for request_id in held:
            with self._uow() as uow:
                done[request_id] = self.desk.retry(uow, request_id, who).status.value
        return done

    def download_ready(self, token: str) -> bool:
        with self._uow() as uow:
            return self.desk.download_ready(uow, token)

    def download(self, token: str) -> tuple[str, bytes]:
        """The zip behind an emailed link, once.

        Raises:
            DownloadUnavailable: used, expired or unknown.
        """
        with self._uow() as uow:
            return self.desk.download(uow, token)

    def purge(self) -> dict[str, int]:
        """Delete expired download packages, sign-in codes and sessions."""
        with self._uow() as uow:
            return self.desk.purge(uow)

    def lift_restriction(self, subject_id: str, *, actor: Actor | None = None) -> None:
        with self._uow() as uow:
            self.desk.lift_restriction(uow, subject_id, actor or Actor(SDK, "admin"))

    def show(self, request_id: str, *, actor: Actor | None = None) -> RequestView:
        with self._uow() as uow:
            return self.desk.get(uow, request_id, actor or Actor(SDK, "admin"))

    def listing(
        self, *, statuses: Sequence[Status] | None = None, actor: Actor | None = None
    ) -> list[RequestView]:
        with self._uow() as uow:
            return self.desk.listing(uow, actor or Actor(SDK, "admin"), statuses=statuses)

    def overdue(self, *, within_days: int = 7, actor: Actor | None = None) -> list[RequestView]:
        """Open requests that are late or due within `within_days`."""
        with self._uow() as uow:
            return self.desk.due_soon(uow, actor or Actor(SDK, "admin"), within_days=within_days)
