"""Audit entries never keep what a caller typed where a name belongs: a subject id that is not
one, a field or purpose the data map does not declare. Such text may be anything, personal
data included (an email pasted as an id), and audit entries are never erased. The denial is
still recorded, with a marker in place of the text. (The `tutela` fixture checks every audit
row for the canary values.)"""

from __future__ import annotations

import pytest

from tutela import Tutela, errors
from tutela.core.audit import MALFORMED_ID, UNDECLARED
from tutela.testing import PiiCanary

PURPOSE = "order_fulfilment"


def _newest(tutela: Tutela):  # type: ignore[no-untyped-def]
    return list(tutela.audit_entries())[-1].event


def test_a_subject_id_that_is_not_one_is_recorded_as_malformed(
    tutela: Tutela, canary: PiiCanary
) -> None:
    pasted = canary.customer()["email"]
    canary.values.append(pasted)
    with pytest.raises(errors.SubjectNotFound):
        tutela.read(pasted, ["email"], purpose=PURPOSE, role="admin")
    event = _newest(tutela)
    assert (event.action, event.outcome, event.subject_id) == (
        "subject.read",
        "denied",
        MALFORMED_ID,
    )


def test_a_well_formed_unknown_id_is_recorded_as_given(tutela: Tutela) -> None:
    unknown = "sub_" + "a" * 26
    with pytest.raises(errors.SubjectNotFound):
        tutela.read(unknown, ["email"], purpose=PURPOSE, role="admin")
    assert _newest(tutela).subject_id == unknown


def test_undeclared_field_and_purpose_names_are_recorded_as_undeclared(
    tutela: Tutela, canary: PiiCanary
) -> None:
    sid = tutela.add(canary.customer())
    typed = [canary.customer(i)["email"] for i in (1, 2, 3)]
    canary.values.extend(typed)

    with pytest.raises(errors.FieldNotInDataMap):
        tutela.read(sid, ["email", typed[0]], purpose=PURPOSE, role="admin")
    fields = _newest(tutela).fields
    with pytest.raises(errors.PurposeNotInDataMap):
        tutela.read(sid, ["email"], purpose=typed[1], role="admin")
    purpose = _newest(tutela).purpose
    with pytest.raises(errors.FieldNotInDataMap):
        tutela.find(typed[2], "x", purpose=PURPOSE, role="admin")
    found = _newest(tutela)

    assert tuple(fields) == ("email", UNDECLARED)
    assert purpose == UNDECLARED
    assert (found.action, found.outcome, tuple(found.fields)) == (
        "subject.find",
        "denied",
        (UNDECLARED,),
    )
    assert tutela.verify_audit().ok
