"""Every error Tutela raises, in one hierarchy.

Messages name fields, purposes, roles and subject ids, never a personal value. Only the
interfaces' mappers (CLI exit codes, later the API's problem+json) catch the root.

    TutelaError
    ├── ConfigError
    │   ├── HomeNotFound
    │   └── HomeExists
    ├── DataMapError
    │   ├── DataMapInvalid              (carries every problem with its location)
    │   ├── FieldNotInDataMap
    │   ├── PurposeNotInDataMap
    │   ├── RoleNotInDataMap
    │   └── NoticeLanguageUnsupported   (the privacy notice is not available in that language)
    ├── ValidationFailed                (a value of a declared field is not of its type)
    │   └── BatchRejected               (carries each rejected row's number and field)
    ├── SubjectError
    │   ├── SubjectNotFound
    │   └── SubjectErased
    ├── ApiKeyNotFound
    ├── Unauthenticated                 (no usable API key: HTTP 401)
    │   ├── ApiKeyMissing
    │   ├── ApiKeyInvalid
    │   ├── ApiKeyAmbiguous             (more than one Authorization header)
    │   ├── ApiKeyExpired
    │   └── ApiKeyRevoked
    ├── AccessDenied                    (every denial is audited)
    │   ├── NotPermitted                (the role lacks a permission: writes, keys, audit)
    │   ├── RoleNotAllowed
    │   ├── FieldNotAllowedForPurpose
    │   ├── FieldNotSearchable
    │   ├── ConsentNotActive
    │   ├── ProcessingRestricted        (Art. 18 restriction, or kept only for the law)
    │   └── ConsentProofRequired        (a collector key without the subject's receipt id)
    ├── RightsError
    │   ├── RequestNotFound
    │   ├── RequestStateInvalid         (the step does not apply in the request's status)
    │   ├── RequestTypeUnknown
    │   ├── ReasonRequired
    │   ├── VerificationFailed          (wrong or expired code, or locked)
    │   ├── DownloadUnavailable         (a one-time link used, expired or unknown)
    │   └── SessionEnded                (privacy-center or admin session no longer valid)
    ├── ConsentError
    │   ├── PurposeNotWithdrawable      (the purpose's basis is not the customer's choice)
    │   └── ConsentRequestInvalid
    ├── CryptoError
    │   ├── DecryptionFailed            (one opaque error for every way opening fails)
    │   ├── KeyFileInsecure
    │   ├── KeyMismatch
    │   ├── KeyVersionInUse
    │   ├── KeyRotationRunning          (another rotation holds the lock: one at a time)
    │   ├── KeysManagedElsewhere        (KEKs from TUTELA_MASTER_KEY: versions change there)
    │   └── EscrowFailed                (key shares: too few, from different sets, or malformed)
    ├── StorageError
    │   ├── SchemaOutdated
    │   └── AuditChainBroken            (raised by callers that require a valid chain)
    ├── MailNotSent                     (names the server and the failure, never the recipient)
    ├── BackupError                     (names the backup and the part; never a value)
    │   ├── BackupNotFound
    │   ├── BackupDamaged               (header, chunk N, manifest or trailer; or truncated)
    │   ├── BackupKeyMissing            (names the key a backup or its data needs)
    │   ├── BackupTargetNotEmpty        (a restore would overwrite data: --force)
    │   └── BackupFailed                (a backup could not be taken or written)
    └── ConnectorError                  (a business database; names the connector, never a value)
        ├── ConnectorMisconfigured      (table or column missing, or unfit for the erase action)
        ├── ConnectorUnreachable        (cannot connect: down, refused, timed out, no such file)
        └── ConnectorFailed             (the database refused a statement: its error class only)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


class TutelaError(Exception):
    """Root of every error Tutela raises on purpose."""


# -- configuration -------------------------------------------------------------------------


class ConfigError(TutelaError):
    """The home directory or settings are not usable."""


class HomeNotFound(ConfigError):
    """No initialised Tutela home at the given path."""


class HomeExists(ConfigError):
    """`init` refuses to overwrite an existing home."""


# -- data map ------------------------------------------------------------------------------


class DataMapError(TutelaError):
    """The data map is invalid or a request names something it does not declare."""


@dataclass(frozen=True)
class Problem:
    """One problem found in a data map, with its location (e.g. `purposes.x.fields[2]`)."""

    location: str
    message: str

    def __str__(self) -> str:
        return f"{self.location}: {self.message}" if self.location else self.message


class DataMapInvalid(DataMapError):
    """The data map document has one or more problems."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems)
        count = len(self.problems)
        first = str(self.problems[0]) if self.problems else "unknown problem"
        more = f" (and {count - 1} more)" if count > 1 else ""
        super().__init__(f"data map is invalid: {first}{more}")


class FieldNotInDataMap(DataMapError):
    """A write or read named a field the data map does not declare (`fields`: every such
    field of the request, `field` the first)."""

    def __init__(self, field: str, *, more: Sequence[str] = ()) -> None:
        self.field = field
        self.fields = (field, *more)
        others = f" (and {len(more)} more)" if more else ""
        super().__init__(f"field '{field}' is not declared in the data map{others}")


class PurposeNotInDataMap(DataMapError):
    """A read named a purpose the data map does not declare."""

    def __init__(self, purpose: str) -> None:
        self.purpose = purpose
        super().__init__(f"purpose '{purpose}' is not declared in the data map")


class RoleNotInDataMap(DataMapError):
    """A role the data map does not declare (e.g. for a new API key)."""

    def __init__(self, role: str) -> None:
        self.role = role
        super().__init__(f"role '{role}' is not declared in the data map")


class NoticeLanguageUnsupported(DataMapError):
    """The privacy notice generated from the data map is not available in that language."""

    def __init__(self, language: str, supported: Sequence[str]) -> None:
        self.language = language
        self.supported = tuple(supported)
        super().__init__(
            f"the privacy notice is not available in language '{language}' "
            f"(supported: {', '.join(self.supported)})"
        )


# -- values --------------------------------------------------------------------------------


class ValidationFailed(TutelaError):
    """A value does not match its field's declared type. The value itself is never quoted.

    `problems`: every (field, reason) of the request, the first being `field` and `reason`.
    """

    _more: tuple[tuple[str, str], ...] = ()

    def __init__(self, field: str, reason: str, *, more: Sequence[tuple[str, str]] = ()) -> None:
        self.field = field
        self.reason = reason
        self._more = tuple(more)
        others = f" (and {len(more)} more)" if more else ""
        super().__init__(f"field '{field}': {reason}{others}")

    @property
    def problems(self) -> tuple[tuple[str, str], ...]:
        return ((self.field, self.reason), *self._more)


@dataclass(frozen=True)
class RejectedRow:
    """One row of a bulk import that was refused: its 1-based number, field and reason."""

    row: int
    field: str
    reason: str

    def __str__(self) -> str:
        where = f"field '{self.field}'" if self.field else "row"
        return f"row {self.row}: {where}: {self.reason}"


class BatchRejected(ValidationFailed):
    """A bulk import batch had invalid rows; nothing of the batch was stored."""

    def __init__(self, rejected: Sequence[RejectedRow]) -> None:
        self.rejected = tuple(rejected)
        first = self.rejected[0] if self.rejected else RejectedRow(0, "", "unknown")
        rows = len({r.row for r in self.rejected})
        TutelaError.__init__(self, f"{rows} row(s) rejected, nothing stored; first: {first}")
        self.field = first.field
        self.reason = first.reason
        self._more = tuple((r.field, r.reason) for r in self.rejected[1:])


# -- subjects ------------------------------------------------------------------------------


class SubjectError(TutelaError):
    """The subject named by a request cannot be used."""

    def __init__(self, subject_id: str, message: str) -> None:
        self.subject_id = subject_id
        super().__init__(message)


class SubjectNotFound(SubjectError):
    """No subject with this id."""

    def __init__(self, subject_id: str) -> None:
        super().__init__(subject_id, f"subject '{subject_id}' not found")


class SubjectErased(SubjectError):
    """The subject was erased; its keys and values are gone."""

    def __init__(self, subject_id: str) -> None:
        super().__init__(subject_id, f"subject '{subject_id}' was erased")


class ApiKeyNotFound(TutelaError):
    """No API key with this id (listing or revoking)."""

    def __init__(self, key_id: str) -> None:
        self.key_id = key_id
        super().__init__(f"API key '{key_id}' not found")


# -- authentication ------------------------------------------------------------------------


class Unauthenticated(TutelaError):
    """The request carries no usable API key."""


class ApiKeyMissing(Unauthenticated):
    def __init__(self) -> None:
        super().__init__("an API key is required: 'Authorization: Bearer <key>'")


class ApiKeyInvalid(Unauthenticated):
    """Malformed, unknown, or wrong secret: deliberately one answer for all three."""

    def __init__(self) -> None:
        super().__init__("the API key is not valid")


class ApiKeyAmbiguous(Unauthenticated):
    """More than one Authorization header: which one a proxy checked is anyone's guess."""

    def __init__(self) -> None:
        super().__init__("a request must carry exactly one Authorization header")


class ApiKeyExpired(Unauthenticated):
    def __init__(self, key_id: str) -> None:
        self.key_id = key_id
        super().__init__(f"API key '{key_id}' has expired")


class ApiKeyRevoked(Unauthenticated):
    def __init__(self, key_id: str) -> None:
        self.key_id = key_id
        super().__init__(f"API key '{key_id}' was revoked")


# -- access --------------------------------------------------------------------------------


class AccessDenied(TutelaError):
    """A read or search was refused by the purpose, role or consent rules. Always audited."""


class NotPermitted(AccessDenied):
    """The role lacks a permission the request needs (writes, erasure, audit, keys)."""

    def __init__(self, role: str, permission: str) -> None:
        self.role, self.permission = role, permission
        super().__init__(f"role '{role}' lacks permission '{permission}'")


class RoleNotAllowed(AccessDenied):
    """The actor's role may not use this purpose."""

    def __init__(self, role: str, purpose: str) -> None:
        self.role, self.purpose = role, purpose
        super().__init__(f"role '{role}' may not use purpose '{purpose}'")


class FieldNotAllowedForPurpose(AccessDenied):
    """A requested field is not declared for the purpose."""

    def __init__(self, field: str, purpose: str) -> None:
        self.field, self.purpose = field, purpose
        super().__init__(f"field '{field}' is not declared for purpose '{purpose}'")


class FieldNotSearchable(AccessDenied):
    """`find` on a field that carries no blind index."""

    def __init__(self, field: str) -> None:
        self.field = field
        super().__init__(f"field '{field}' is not searchable")


class ConsentNotActive(AccessDenied):
    """The subject's consent for the purpose is not active now (basis consent), or the
    subject objected to it (basis legitimate interests)."""

    def __init__(self, subject_id: str, purpose: str) -> None:
        self.subject_id, self.purpose = subject_id, purpose
        super().__init__(
            f"subject '{subject_id}' has no active consent for purpose '{purpose}' "
            "(or objected to it)"
        )


class ProcessingRestricted(AccessDenied):
    """The subject's processing is restricted (GDPR Art. 18, or values kept only for a legal
    obligation after erasure) and the purpose is not one still allowed."""

    def __init__(self, subject_id: str, purpose: str) -> None:
        self.subject_id, self.purpose = subject_id, purpose
        super().__init__(
            f"processing of subject '{subject_id}' is restricted: purpose '{purpose}' "
            "may not read it"
        )


class ConsentProofRequired(AccessDenied):
    """A collector key changed an existing subject's choices without one of that subject's
    receipt ids (the proof a consent widget keeps in its cookie)."""

    def __init__(self, subject_id: str) -> None:
        self.subject_id = subject_id
        super().__init__(
            f"changing the choices of subject '{subject_id}' with a collector key needs "
            "'proof': one of that subject's receipt ids"
        )


# -- consent -------------------------------------------------------------------------------


class ConsentError(TutelaError):
    """A consent request that cannot be recorded as asked."""


class PurposeNotWithdrawable(ConsentError):
    """Consent is granted or withdrawn only for purposes based on consent; objection only
    for legitimate interests. Other bases (contract, legal obligation…) are not a choice."""

    def __init__(self, purpose: str, basis: str) -> None:
        self.purpose = purpose
        super().__init__(
            f"purpose '{purpose}' rests on '{basis}': there is no consent to grant or withdraw"
        )


class ConsentRequestInvalid(ConsentError):
    """The request names no choice, an unknown method, or another malformed part."""


# -- data-subject rights ----------------------------------------------------------------------


class RightsError(TutelaError):
    """A data-subject request cannot be handled as asked."""


class RequestNotFound(RightsError):
    def __init__(self, request_id: str) -> None:
        self.request_id = request_id
        super().__init__(f"request '{request_id}' not found")


class RequestStateInvalid(RightsError):
    """The request is not in a state where this step applies (e.g. approving a closed one)."""

    def __init__(self, request_id: str, status: str, step: str) -> None:
        self.request_id, self.status, self.step = request_id, status, step
        super().__init__(f"request '{request_id}' is {status}: cannot {step} it")


class RequestTypeUnknown(RightsError):
    def __init__(self, name: str, known: list[str]) -> None:
        super().__init__(f"unknown request type (expected one of {', '.join(known)})")


class ReasonRequired(RightsError):
    """Rejecting or extending a request needs a reason: the customer is told it."""

    def __init__(self, step: str) -> None:
        super().__init__(f"a reason is required to {step} a request")


class VerificationFailed(RightsError):
    """A one-time code was wrong, expired, or the request is locked after too many tries."""

    def __init__(self, request_id: str, outcome: str) -> None:
        self.request_id, self.outcome = request_id, outcome
        super().__init__(f"request '{request_id}': verification {outcome}")


class SessionEnded(RightsError):
    """A privacy-center or admin session that expired, was signed out or ended by an
    erasure: sign in again."""

    def __init__(self) -> None:
        super().__init__("the session has ended: sign in again")


class DownloadUnavailable(RightsError):
    """A download link that was used, has expired, or never existed (they look the same)."""

    def __init__(self) -> None:
        super().__init__("this download link was already used or has expired")


# -- crypto --------------------------------------------------------------------------------


class CryptoError(TutelaError):
    """Keys or ciphertexts cannot be used."""


class DecryptionFailed(CryptoError):
    """A ciphertext did not open. Deliberately says nothing about why."""

    def __init__(self) -> None:
        super().__init__("decryption failed")


class KeyFileInsecure(CryptoError):
    """The key file can be read by group or others."""


class KeyMismatch(CryptoError):
    """The key-encryption key does not match the keys this database was sealed with."""


class KeyVersionInUse(CryptoError):
    """A key version cannot be retired while data keys are still wrapped under it."""


class KeyRotationRunning(CryptoError):
    """A rotation is already under way (in this or another process): one runs at a time."""


class KeysManagedElsewhere(CryptoError):
    """The key-encryption keys come from the environment: versions are added or removed there,
    not by Tutela."""


class EscrowFailed(CryptoError):
    """Key shares could not rebuild a key: too few, from different sets, or malformed."""


# -- storage -------------------------------------------------------------------------------


class StorageError(TutelaError):
    """The database cannot be used as required."""


class SchemaOutdated(StorageError):
    """The database schema is behind the code: run `tutela migrate`."""


class AuditChainBroken(StorageError):
    """The audit chain failed verification."""


# -- outreach ------------------------------------------------------------------------------


class MailNotSent(TutelaError):
    """An email could not be handed to the mail server. The message names the server and the
    kind of failure, never the recipient address or anything of the message's content."""


# -- backups -------------------------------------------------------------------------------


class BackupError(TutelaError):
    """A backup could not be taken, read or restored; the message names the backup file and
    the part (header, chunk, manifest), never a value it holds."""


class BackupNotFound(BackupError):
    """No backup of that name in the backup store."""


class BackupDamaged(BackupError):
    """A backup failed its checks: a chunk does not authenticate, the file is truncated, or
    the manifest does not match what was read. The message names the first problem."""


class BackupKeyMissing(BackupError):
    """The keyring lacks a key the backup needs: the one that wraps the backup key, or a
    version its data keys are wrapped under (retired, or another home's keyring)."""


class BackupTargetNotEmpty(BackupError):
    """A restore would overwrite a database that holds data; `--force` allows it."""


class BackupFailed(BackupError):
    """A backup could not be taken or written (the store, the database or the disk)."""


# -- connectors ----------------------------------------------------------------------------


class ConnectorError(TutelaError):
    """One of the business's other databases (a connector) could not be used as configured.

    `reason` is a safe description of the failure class (e.g. `unreachable`, `table or column
    missing: city`); it never carries the driver's message, a row value or the identity.
    """

    def __init__(self, connector: str, reason: str) -> None:
        self.connector, self.reason = connector, reason
        super().__init__(f"connector '{connector}': {reason}")


class ConnectorMisconfigured(ConnectorError):
    """The table or a column is missing, or a column cannot take the erase action."""


class ConnectorUnreachable(ConnectorError):
    """No connection could be made (server down, refused, timed out, no such file)."""

    def __init__(self, connector: str) -> None:
        super().__init__(connector, "unreachable")


class ConnectorFailed(ConnectorError):
    """The database refused or cancelled a statement; only the error's class is named."""
