"""The policy store: table versions, API keys and the audit log, over any SQLAlchemy URL.

SQLite in var/ by default; PostgreSQL through MASSAGE_RULES_DATABASE_URL. Only portable SQL.
Every change of policy is one transaction that also bumps `policy_state.generation`, which
workers poll to reload. Published versions are never updated or deleted.
"""
from __future__ import annotations

import hashlib
import json
import os
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, event, func, insert, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from .schema import api_keys, audit_log, documents, policy_state

BASE = "base"
SEED_EFFECTIVE = date.min      # the seeded policy applies to every date of service
MIGRATIONS = Path(__file__).with_name("migrations")


def now() -> datetime:
    return datetime.now(timezone.utc)


def content_hash(document: dict) -> str:
    return hashlib.sha256(json.dumps(document, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


@dataclass(frozen=True)
class Version:
    id: int
    payer_id: str          # "base" or the payer whose overlay it is
    kind: str              # "table" or "value_set"
    name: str
    version: int
    effective_from: date
    document: dict
    content_hash: str
    author_key_id: str
    comment: str
    created_at: datetime

    @property
    def label(self) -> str:
        return f"{self.payer_id}@{self.version}"

    def summary(self) -> dict:
        return {"version": self.version, "label": self.label, "effective_from": self.effective_from.isoformat(),
                "content_hash": self.content_hash, "author_key_id": self.author_key_id, "comment": self.comment,
                "created_at": self.created_at.isoformat()}


@dataclass(frozen=True)
class ApiKey:
    id: str
    name: str
    role: str
    payers: tuple[str, ...]
    key_hash: str
    created_at: datetime
    revoked_at: datetime | None


@dataclass(frozen=True)
class Actor:
    """Who changes policy, as the audit log records it."""
    key_id: str
    name: str


SYSTEM = Actor("system", "system")


class StoreConflict(Exception):
    """Another writer took the same version number first."""


def _version(row) -> Version:
    m = row._mapping
    return Version(m["id"], m["payer_id"], m["kind"], m["name"], m["version"], m["effective_from"],
                   json.loads(m["document"]), m["content_hash"], m["author_key_id"], m["comment"], m["created_at"])


def _key(row) -> ApiKey:
    m = row._mapping
    return ApiKey(m["id"], m["name"], m["role"], tuple(json.loads(m["payers"])), m["key_hash"], m["created_at"],
                  m["revoked_at"])


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class Store:
    def __init__(self, url: str):
        self.url = url
        if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
            Path(url[len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)
        # a server may drop idle connections: check them on checkout (a file database cannot)
        self.engine: Engine = create_engine(url, future=True, pool_pre_ping=not url.startswith("sqlite"))
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        # gunicorn forks after the app is loaded: a child must not reuse the parent's connections
        os.register_at_fork(after_in_child=lambda: self.engine.dispose(close=False))

    def close(self) -> None:
        self.engine.dispose()

    def migrate(self) -> None:
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        with self.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")

    def ping(self) -> bool:
        try:
            self.generation()
            return True
        except Exception:  # noqa: BLE001 - readiness only reports it
            return False

    # -- policy --------------------------------------------------------------------------------
    def generation(self) -> int:
        with self.engine.connect() as c:
            return c.execute(select(policy_state.c.generation).where(policy_state.c.id == 1)).scalar_one()

    def all_versions(self) -> list[Version]:
        with self.engine.connect() as c:
            return [_version(r) for r in c.execute(select(documents).order_by(documents.c.id))]

    def is_empty(self) -> bool:
        with self.engine.connect() as c:
            return c.execute(select(func.count()).select_from(documents)).scalar_one() == 0

    def versions(self, payer_id: str, kind: str, name: str) -> list[Version]:
        with self.engine.connect() as c:
            rows = c.execute(select(documents).where(documents.c.payer_id == payer_id, documents.c.kind == kind,
                                                     documents.c.name == name).order_by(documents.c.version))
            return [_version(r) for r in rows]

    def add_versions(self, entries: list[dict], actor: Actor, action: str) -> list[Version]:
        """Store new versions (each: payer_id, kind, name, document, effective_from, comment) at once.

        One transaction: either every version, its audit record and the generation bump are
        committed, or nothing is.
        """
        stored = []
        try:
            with self.engine.begin() as c:
                for entry in entries:
                    current = c.execute(select(func.max(documents.c.version)).where(
                        documents.c.payer_id == entry["payer_id"], documents.c.kind == entry["kind"],
                        documents.c.name == entry["name"])).scalar()
                    number = (current or 0) + 1
                    values = {"payer_id": entry["payer_id"], "kind": entry["kind"], "name": entry["name"],
                              "version": number, "effective_from": entry["effective_from"],
                              "document": json.dumps(entry["document"], ensure_ascii=False),
                              "content_hash": content_hash(entry["document"]), "author_key_id": actor.key_id,
                              "comment": entry.get("comment", ""), "created_at": now()}
                    new_id = c.execute(insert(documents).values(**values)).inserted_primary_key[0]
                    c.execute(insert(audit_log).values(
                        at=values["created_at"], key_id=actor.key_id, key_name=actor.name, action=action,
                        payer_id=entry["payer_id"], table_name=entry["name"], from_version=current,
                        to_version=number, summary=entry.get("summary", "")))
                    stored.append(Version(new_id, values["payer_id"], values["kind"], values["name"], number,
                                          values["effective_from"], entry["document"], values["content_hash"],
                                          actor.key_id, values["comment"], values["created_at"]))
                c.execute(update(policy_state).where(policy_state.c.id == 1)
                          .values(generation=policy_state.c.generation + 1))
        except IntegrityError as exc:
            raise StoreConflict(str(exc.orig)) from None
        return stored

    # -- keys ----------------------------------------------------------------------------------
    def create_key(self, role: str, payers: list[str], name: str, actor: Actor = SYSTEM) -> tuple[ApiKey, str]:
        """A new key; the full key text is returned once and only its hash is kept."""
        key_id = secrets.token_hex(6)
        secret = secrets.token_urlsafe(32)
        created = now()
        with self.engine.begin() as c:
            c.execute(insert(api_keys).values(id=key_id, name=name, role=role, payers=json.dumps(payers),
                                              key_hash=hash_secret(secret), created_at=created, revoked_at=None))
            c.execute(insert(audit_log).values(at=created, key_id=actor.key_id, key_name=actor.name,
                                               action="key_create", payer_id=None, table_name=None,
                                               from_version=None, to_version=None,
                                               summary=f"key {key_id} ({name}): role {role}, payers {', '.join(payers)}"))
        return ApiKey(key_id, name, role, tuple(payers), hash_secret(secret), created, None), f"mrk_{key_id}_{secret}"

    def key(self, key_id: str) -> ApiKey | None:
        with self.engine.connect() as c:
            row = c.execute(select(api_keys).where(api_keys.c.id == key_id)).first()
            return _key(row) if row else None

    def keys(self) -> list[ApiKey]:
        with self.engine.connect() as c:
            return [_key(r) for r in c.execute(select(api_keys).order_by(api_keys.c.created_at))]

    def revoke_key(self, key_id: str, actor: Actor = SYSTEM) -> bool:
        with self.engine.begin() as c:
            done = c.execute(update(api_keys).where(api_keys.c.id == key_id, api_keys.c.revoked_at.is_(None))
                             .values(revoked_at=now())).rowcount
            if done:
                c.execute(insert(audit_log).values(at=now(), key_id=actor.key_id, key_name=actor.name,
                                                   action="key_revoke", payer_id=None, table_name=None,
                                                   from_version=None, to_version=None, summary=f"key {key_id} revoked"))
            return bool(done)

    def has_admin_key(self) -> bool:
        with self.engine.connect() as c:
            return c.execute(select(func.count()).select_from(api_keys).where(
                api_keys.c.role == "admin", api_keys.c.revoked_at.is_(None))).scalar_one() > 0

    # -- audit ---------------------------------------------------------------------------------
    def audit(self, payer_id: str | None = None, limit: int = 500) -> list[dict]:
        query = select(audit_log).order_by(audit_log.c.id.desc()).limit(limit)
        if payer_id is not None:
            query = query.where(audit_log.c.payer_id == payer_id)
        with self.engine.connect() as c:
            return [{k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in r._mapping.items()}
                    for r in c.execute(query)]


def _sqlite_pragmas(dbapi_connection, _record):
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.close()
