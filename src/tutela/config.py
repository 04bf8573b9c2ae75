"""Settings: built once from the environment and the home's `tutela.toml`, then passed down.

Nothing here runs at import time. `Settings.load` takes the environment as a mapping so tests
(and embedding applications) can supply their own instead of `os.environ`.
"""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

from tutela.connectors.settings import ConnectorList
from tutela.errors import ConfigError

ENV_PREFIX = "TUTELA_"
CONFIG_FILE = "tutela.toml"
DATAMAP_FILE = "datamap.yaml"
KEY_FILE = "keys.json"
DATABASE_FILE = "tutela.db"
AUDIT_HEAD_FILE = "audit.head"
BACKUP_DIR = "backups"
ERASURE_LEDGER_FILE = "erasure-ledger.jsonl"


def default_home(environ: Mapping[str, str]) -> Path:
    """The home used when neither `--home` nor `TUTELA_HOME` is given."""
    return _expand_user(Path("~/.tutela"), environ)


def _expand_user(path: Path, environ: Mapping[str, str]) -> Path:
    """`~` from the given environment's HOME (falling back to the process's own)."""
    if path.parts and path.parts[0] == "~" and environ.get("HOME"):
        return Path(environ["HOME"], *path.parts[1:])
    return path.expanduser()


RequestKind = Literal[
    "access", "portability", "rectification", "erasure", "restriction", "objection"
]


def _approval_default() -> list[RequestKind]:
    return ["erasure"]


class BackupKeep(BaseModel):
    """How many backups `tutela backup prune` keeps: the newest of each of the last `daily`
    days, `weekly` ISO weeks and `monthly` months (a backup may count for several)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    daily: int = Field(default=7, ge=0, le=3_650)
    weekly: int = Field(default=4, ge=0, le=520)
    monthly: int = Field(default=6, ge=0, le=1_200)

    @model_validator(mode="before")
    @classmethod
    def _parse(cls, value: Any) -> Any:
        """Also '7 daily, 4 weekly, 6 monthly', 'daily=7,weekly=4' or a JSON object."""
        if not isinstance(value, str):
            return value
        text = value.strip()
        if text.startswith("{"):
            return json.loads(text)
        parsed: dict[str, str] = {}
        for part in filter(None, (p.strip() for p in text.split(","))):
            left, sep, right = part.partition("=")
            words = [left.strip(), right.strip()] if sep else part.split()
            if len(words) != 2:
                raise ValueError("write it as '7 daily, 4 weekly, 6 monthly'")
            count, name = (words[1], words[0]) if sep else (words[0], words[1])
            parsed[name] = count
        return parsed


class Settings(BaseSettings):
    """Everything configurable, with its source order: explicit > `TUTELA_*` > `tutela.toml`."""

    model_config = SettingsConfigDict(frozen=True, extra="forbid")

    home: Path
    database_url: SecretStr | None = Field(
        default=None,
        description="SQLAlchemy URL (secret: may hold a password); default: the home SQLite.",
    )
    master_key: SecretStr | None = Field(
        default=None,
        description="KEKs as 'VERSION:BASE64[,VERSION:BASE64…]' instead of the key file.",
    )
    sqlite_synchronous: Literal["OFF", "NORMAL", "FULL"] = Field(
        default="NORMAL",
        description="SQLite fsync policy; NORMAL in WAL mode survives a crash of the process.",
    )
    busy_timeout_ms: int = Field(default=30_000, ge=0)
    sqlite_cache_mb: int = Field(default=64, ge=2, le=65_536, description="SQLite page cache.")
    import_batch_size: int = Field(default=1_000, ge=1, le=100_000)
    api_max_body_bytes: int = Field(
        default=1_048_576, ge=1_024, description="Largest request body the API accepts."
    )
    api_import_max_body_bytes: int = Field(
        default=64 * 1_048_576, ge=1_024, description="Largest body of POST /v1/subjects:import."
    )
    api_rate_limit: str = Field(
        default="6000/minute",
        description="Requests per API key, as the `limits` notation (per server process).",
    )
    api_public_rate_limit: str = Field(
        default="30/minute",
        description="Requests per client address to the public endpoints (data-subject "
        "request intake and verification), as the `limits` notation (per server process).",
    )
    api_key_cache_seconds: float = Field(
        default=1.0,
        ge=0,
        le=60,
        description="How long a process trusts a key it checked; revocations made by another "
        "process take effect within this time.",
    )
    api_telemetry: bool = Field(
        default=False,
        description="FastAPI's native OpenTelemetry spans and metrics, for a process with an "
        "OpenTelemetry SDK configured. Off by default: its spans carry request paths, which "
        "hold subject ids.",
    )
    phone_default_region: str = Field(
        default="GB", description="Region for phone numbers written without a country code."
    )
    requests_need_approval: list[RequestKind] = Field(
        default_factory=_approval_default,
        description="Data-subject request types that staff approve before they are fulfilled.",
    )
    cors_origins: list[str] = Field(
        default_factory=list,
        description="Web origins (e.g. https://shop.example) whose pages may call the API: "
        "where the consent widget is embedded. JSON list in TUTELA_CORS_ORIGINS.",
    )
    mail_outbox_dir: Path | None = Field(
        default=None,
        description="Without smtp_host: write emails as .eml files into this directory instead "
        "of sending them (development and demos).",
    )
    smtp_host: str | None = Field(
        default=None, description="Mail server for customer emails; unset: sending fails loudly."
    )
    smtp_port: int = Field(default=587, ge=1, le=65_535, description="Mail server port.")
    smtp_security: Literal["starttls", "tls", "none"] = Field(
        default="starttls",
        description="STARTTLS (port 587), implicit TLS (port 465), or none (a local relay only).",
    )
    smtp_username: str | None = Field(default=None, description="Mail server login, if any.")
    smtp_password: SecretStr | None = Field(default=None, description="Mail server password.")
    mail_from: str = Field(
        default="privacy@localhost",
        description="Sender of customer emails: 'privacy@shop.example' or "
        "'Shop Privacy <privacy@shop.example>'.",
    )
    public_url: str = Field(
        default="http://127.0.0.1:8000",
        description="Where customers reach this service (links in emails point here), e.g. "
        "https://privacy.shop.example.",
    )
    download_hours: int = Field(
        default=168, ge=1, le=720, description="How long an emailed download link works."
    )
    session_idle_minutes: int = Field(
        default=30, ge=1, le=720, description="Privacy-center and admin sessions end unused."
    )
    cookie_secure: bool = Field(
        default=False,
        description="Send session cookies over HTTPS only (set it wherever TLS is used).",
    )
    smtp_timeout_seconds: float = Field(
        default=10, gt=0, le=300, description="Give up on a mail server that stops answering."
    )
    connectors: ConnectorList = Field(
        default_factory=list,
        description="The business's other SQL databases that access and erasure requests "
        "reach ([[connectors]] tables; a JSON list in TUTELA_CONNECTORS).",
    )
    backup_dir: Path | None = Field(
        default=None,
        description="Where backups are written (default: 'backups' in the home); best on "
        "another disk or machine.",
    )
    backup_keep: BackupKeep = Field(
        default_factory=BackupKeep,
        description="Backups `tutela backup prune` keeps, e.g. '7 daily, 4 weekly, 6 monthly'.",
    )
    backup_interval_hours: float = Field(
        default=24, gt=0, le=24 * 31, description="How often the worker takes a backup."
    )
    backup_alert_to: str | None = Field(
        default=None,
        description="Email address told when a scheduled backup fails (besides the audit log "
        "and the alert file `tutela backup list` shows).",
    )
    erasure_ledger_file: Path | None = Field(
        default=None,
        description="The erasure ledger kept outside the database, replayed after every "
        "restore (default: 'erasure-ledger.jsonl' in the home; best beside the backups).",
    )

    @field_validator("cors_origins", "requests_need_approval", mode="before")
    @classmethod
    def _origins(cls, value: Any) -> Any:
        """From the environment: a JSON list, or names separated by commas."""
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                return json.loads(text)
            return [o.strip() for o in text.split(",") if o.strip()]
        return value

    @field_validator("mail_from")
    @classmethod
    def _mail_from(cls, value: str) -> str:
        """An address, optionally with a display name; no header injection (CR/LF)."""
        from email.headerregistry import Address

        name, spec = "", value.strip()
        if spec.endswith(">") and "<" in spec:
            name, _, spec = spec[:-1].rpartition("<")
        try:
            address = Address(display_name=name.strip().strip('"'), addr_spec=spec.strip())
        except Exception:  # the stdlib parser raises several types; all mean "not an address"
            raise ValueError("not a valid email address") from None
        if not (address.username and address.domain):
            raise ValueError("not a valid email address")
        return str(address)

    @classmethod
    def settings_customise_sources(cls, settings_cls, init_settings, *args, **kwargs):  # type: ignore[no-untyped-def]
        # Only explicit values: `load` gathers the environment and the TOML file itself, so
        # constructing Settings never reads process state behind the caller's back.
        return (init_settings,)

    @classmethod
    def load(
        cls,
        home: Path | str | None = None,
        environ: Mapping[str, str] | None = None,
        **overrides: Any,
    ) -> Settings:
        """Build settings for a home from the environment and the home's `tutela.toml`.

        Args:
            home: the home directory; default `TUTELA_HOME`, then `~/.tutela`.
            environ: the environment to read `TUTELA_*` from; default `os.environ`.
            overrides: explicit values that win over everything else.

        Raises:
            ConfigError: the TOML file or a value is invalid (the message names the setting).
        """
        env = dict(os.environ if environ is None else environ)
        chosen = _expand_user(Path(home or env.get(f"{ENV_PREFIX}HOME") or default_home(env)), env)
        values: dict[str, Any] = {}
        toml_path = chosen / CONFIG_FILE
        if toml_path.is_file():
            try:
                values.update(tomllib.loads(toml_path.read_text(encoding="utf-8")))
            except tomllib.TOMLDecodeError as exc:
                raise ConfigError(f"{toml_path}: {exc}") from None
        for name in cls.model_fields:
            key = f"{ENV_PREFIX}{name.upper()}"
            if key in env and name != "home":
                values[name] = env[key]
        values.update({k: v for k, v in overrides.items() if v is not None})
        values["home"] = chosen
        try:
            return cls(**values)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
            )
            raise ConfigError(f"invalid settings: {problems}") from None

    @property
    def resolved_database_url(self) -> str:
        """The database URL, defaulting to the SQLite file inside the home."""
        if self.database_url is not None:
            return self.database_url.get_secret_value()
        return f"sqlite:///{self.home / DATABASE_FILE}"

    @property
    def key_file(self) -> Path:
        return self.home / KEY_FILE

    @property
    def datamap_file(self) -> Path:
        return self.home / DATAMAP_FILE

    @property
    def audit_head_file(self) -> Path:
        return self.home / AUDIT_HEAD_FILE

    @property
    def resolved_backup_dir(self) -> Path:
        return self.backup_dir if self.backup_dir is not None else self.home / BACKUP_DIR

    @property
    def resolved_erasure_ledger_file(self) -> Path:
        if self.erasure_ledger_file is not None:
            return self.erasure_ledger_file
        return self.home / ERASURE_LEDGER_FILE
