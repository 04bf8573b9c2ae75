"""`tutela.portal`: the privacy center and admin sessions in the Python SDK, one unit of work
per call (the web pages call these)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from tutela.actor import Actor
from tutela.core.uow import UnitOfWork
from tutela.rights.portal import (
    CUSTOMER,
    STAFF,
    Access,
    Choice,
    HeldField,
    Portal,
    Session,
)
from tutela.rights.service import RequestType, RequestView, Verification


class PrivacyCenter:
    """Reached as `Tutela(...).portal`."""

    def __init__(self, portal: Portal, unit_of_work: Callable[[], UnitOfWork]) -> None:
        self.portal = portal
        self._uow = unit_of_work

    def start_sign_in(self, email: str) -> str:
        with self._uow() as uow:
            return self.portal.start_sign_in(uow, email)

    def finish_sign_in(self, challenge_id: str, code: str) -> tuple[Verification, str | None]:
        with self._uow() as uow:
            return self.portal.finish_sign_in(uow, challenge_id, code)

    def staff_sign_in(self, actor: Actor) -> str:
        with self._uow() as uow:
            return self.portal.staff_sign_in(uow, actor)

    def customer(self, token: str | None) -> Session | None:
        with self._uow() as uow:
            return self.portal.session(uow, token, kind=CUSTOMER)

    def staff(self, token: str | None) -> Session | None:
        with self._uow() as uow:
            return self.portal.session(uow, token, kind=STAFF)

    def sign_out(self, token: str) -> None:
        with self._uow() as uow:
            self.portal.sign_out(uow, token)

    def my_data(self, session: Session) -> list[HeldField]:
        with self._uow() as uow:
            return self.portal.my_data(uow, session)

    def access_history(self, session: Session) -> list[Access]:
        with self._uow() as uow:
            return self.portal.access_history(uow, session)

    def choices(self, session: Session) -> list[Choice]:
        with self._uow() as uow:
            return self.portal.choices(uow, session)

    def choose(self, session: Session, choices: Mapping[str, bool]) -> None:
        with self._uow() as uow:
            self.portal.choose(uow, session, choices)

    def submit(
        self, session: Session, request_type: RequestType
    ) -> tuple[RequestView, bytes | None]:
        with self._uow() as uow:
            return self.portal.submit(uow, session, request_type)

    def correct(self, session: Session, values: dict[str, Any]) -> RequestView:
        with self._uow() as uow:
            return self.portal.correct(uow, session, values)

    def my_requests(self, session: Session) -> list[RequestView]:
        with self._uow() as uow:
            return self.portal.my_requests(uow, session)

    def kept_on_erasure(self) -> dict[str, list[str]]:
        return self.portal.kept_on_erasure()
