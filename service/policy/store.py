"""The policy store: document versions, change sets, payer settings, API keys and the audit log,
over any SQLAlchemy URL.

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
from sqlalchemy import create_engine, delete, event, func, insert, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from .schema import api_keys, audit_log, change_sets, documents, payer_settings, policy_state

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
    payer_id: str          # "base" or the payer whose document it is
    kind: str              # "table", "value_set" or "tests"
    name: str
    version: int
    effective_from: date
    document: dict
    content_hash: str
    author_key_id: str
    comment: str
    created_at: datetime
    generation: int = 0    # the policy generation that stored it (drafts: the next one)
    change_id: int | None = None
    file: str | None = None    # the file a folder's document came from (problems name it)

    @property
    def label(self) -> str:
        return f"{self.payer_id}@{self.version}"

    def summary(self) -> dict:
        return {"version": self.version, "label": self.label, "effective_from": self.effective_from.isoformat(),
                "content_hash": self.content_hash, "author_key_id": self.author_key_id, "comment": self.comment,
                "created_at": self.created_at.isoformat(), "change_id": self.change_id}


@dataclass(frozen=True)
class ChangeSet:
    """A unit of policy change: documents for one payer, one effective date, one author."""
    id: int
    payer_id: str
    status: str            # draft | proposed | published | rejected | withdrawn
    effective_from: date
    comment: str
    documents: tuple       # ({"kind", "name", "document", "based_on"}, ...)
    author_key_id: str
    author_owner: str
    created_at: datetime
    updated_at: datetime
    decided_by_key_id: str | None = None
    decided_by_owner: str | None = None
    decided_at: datetime | None = None
    decision_comment: str | None = None
    generation: int | None = None

    @property
    def etag(self) -> str:
        """Changes with every edit and every step of review: what an approver saw is what they approve."""
        return content_hash({"id": self.id, "status": self.status, "effective_from": self.effective_from.isoformat(),
                             "comment": self.comment, "documents": list(self.documents)})[:32]


@dataclass(frozen=True)
class PayerSettings:
    payer_id: str
    four_eyes: bool = False
    time_zone: str = "UTC"


@dataclass(frozen=True)
class ApiKey:
    id: str
    name: str
    role: str
    payers: tuple[str, ...]
    key_hash: str
    created_at: datetime
    revoked_at: datetime | None
    owner: str = ""


@dataclass(frozen=True)
class Actor:
    """Who changes policy, as the audit log records it; `owner` is the person the key was issued to."""
    key_id: str
    name: str
    owner: str = ""


SYSTEM = Actor("system", "system", "system")


class StoreConflict(Exception):
    """Another writer changed the policy first (a version number or the generation moved)."""


def _version(row) -> Version:
    m = row._mapping
    return Version(m["id"], m["payer_id"], m["kind"], m["name"], m["version"], m["effective_from"],
                   json.loads(m["document"]), m["content_hash"], m["author_key_id"], m["comment"], m["created_at"],
                   m["generation"], m["change_id"])


def _change(row) -> ChangeSet:
    m = dict(row._mapping)
    m["documents"] = tuple(json.loads(m["documents"]))
    return ChangeSet(**m)


def _key(row) -> ApiKey:
    m = row._mapping
    return ApiKey(m["id"], m["name"], m["role"], tuple(json.loads(m["payers"])), m["key_hash"], m["created_at"],
                  m["revoked_at"], m["owner"])


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _audit(c, actor: Actor, action: str, summary: str, payer_id: str | None = None, **extra) -> None:
    c.execute(insert(audit_log).values(at=now(), key_id=actor.key_id, key_name=actor.name, action=action,
                                       payer_id=payer_id, summary=summary, **extra))


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

    def publish(self, entries: list[dict], actor: Actor, action: str, expect_generation: int | None = None,
                change_id: int | None = None) -> tuple[list[Version], int]:
        """Store new versions (each: payer_id, kind, name, document, effective_from, comment, summary)
        and return them with the new generation.

        One transaction: the versions, their audit records, the change set's status and the
        generation bump are committed together, or nothing is. With `expect_generation`, it is a
        compare-and-swap: if another publish moved the generation since the caller checked its
        candidate policy, nothing is stored and StoreConflict is raised.
        """
        stored = []
        try:
            with self.engine.begin() as c:
                bump = update(policy_state).where(policy_state.c.id == 1)
                if expect_generation is not None:
                    bump = bump.where(policy_state.c.generation == expect_generation)
                if c.execute(bump.values(generation=policy_state.c.generation + 1)).rowcount != 1:
                    raise StoreConflict("the policy changed while this change was being checked")
                generation = c.execute(select(policy_state.c.generation).where(policy_state.c.id == 1)).scalar_one()
                for entry in entries:
                    current = c.execute(select(func.max(documents.c.version)).where(
                        documents.c.payer_id == entry["payer_id"], documents.c.kind == entry["kind"],
                        documents.c.name == entry["name"])).scalar()
                    number = (current or 0) + 1
                    values = {"payer_id": entry["payer_id"], "kind": entry["kind"], "name": entry["name"],
                              "version": number, "effective_from": entry["effective_from"],
                              "document": json.dumps(entry["document"], ensure_ascii=False),
                              "content_hash": content_hash(entry["document"]), "author_key_id": actor.key_id,
                              "comment": entry.get("comment", ""), "created_at": now(), "generation": generation,
                              "change_id": change_id}
                    new_id = c.execute(insert(documents).values(**values)).inserted_primary_key[0]
                    _audit(c, actor, action, entry.get("summary", ""), entry["payer_id"], table_name=entry["name"],
                           kind=entry["kind"], from_version=current, to_version=number, change_id=change_id)
                    stored.append(_version_of(new_id, values, entry["document"]))
                if change_id is not None:
                    c.execute(update(change_sets).where(change_sets.c.id == change_id).values(
                        status="published", generation=generation, updated_at=now(), decided_at=now(),
                        decided_by_key_id=actor.key_id, decided_by_owner=actor.owner))
        except IntegrityError as exc:
            raise StoreConflict(str(exc.orig)) from None
        return stored, generation

    def add_versions(self, entries: list[dict], actor: Actor, action: str) -> list[Version]:
        """Store versions unconditionally (seeding, and tests that need a store in a given state)."""
        return self.publish(entries, actor, action)[0]

    # -- change sets ---------------------------------------------------------------------------
    def create_change(self, payer_id: str, effective_from: date, comment: str, docs: list[dict],
                      actor: Actor) -> ChangeSet:
        at = now()
        with self.engine.begin() as c:
            change_id = c.execute(insert(change_sets).values(
                payer_id=payer_id, status="draft", effective_from=effective_from, comment=comment,
                documents=json.dumps(docs, ensure_ascii=False), author_key_id=actor.key_id, author_owner=actor.owner,
                created_at=at, updated_at=at)).inserted_primary_key[0]
            _audit(c, actor, "draft", f"change {change_id} drafted: {_names(docs)}", payer_id, change_id=change_id)
        return self.change(change_id)

    def change(self, change_id: int) -> ChangeSet | None:
        with self.engine.connect() as c:
            row = c.execute(select(change_sets).where(change_sets.c.id == change_id)).first()
            return _change(row) if row else None

    def changes(self, payer_id: str, status: str | None = None, limit: int = 200) -> list[ChangeSet]:
        query = select(change_sets).where(change_sets.c.payer_id == payer_id).order_by(change_sets.c.id.desc())
        if status is not None:
            query = query.where(change_sets.c.status == status)
        with self.engine.connect() as c:
            return [_change(r) for r in c.execute(query.limit(limit))]

    def update_change(self, change: ChangeSet, actor: Actor, action: str, summary: str, **values) -> ChangeSet:
        """Move a change on (edit, propose, reject, withdraw) if nobody moved it since `change` was read."""
        with self.engine.begin() as c:
            if "documents" in values:
                values["documents"] = json.dumps(values["documents"], ensure_ascii=False)
            done = c.execute(update(change_sets).where(
                change_sets.c.id == change.id, change_sets.c.status == change.status,
                change_sets.c.updated_at == change.updated_at).values(updated_at=now(), **values)).rowcount
            if not done:
                raise StoreConflict("the change was changed by someone else meanwhile")
            _audit(c, actor, action, summary, change.payer_id, change_id=change.id)
        return self.change(change.id)

    def close_change(self, change_id: int, actor: Actor, status: str, summary: str) -> None:
        """A change that ends without storing versions (published with nothing new)."""
        with self.engine.begin() as c:
            c.execute(update(change_sets).where(change_sets.c.id == change_id).values(
                status=status, updated_at=now(), decided_at=now(), decided_by_key_id=actor.key_id,
                decided_by_owner=actor.owner))
            payer = c.execute(select(change_sets.c.payer_id).where(change_sets.c.id == change_id)).scalar_one()
            _audit(c, actor, status, summary, payer, change_id=change_id)

    # -- payer settings ------------------------------------------------------------------------
    def all_settings(self) -> dict[str, PayerSettings]:
        with self.engine.connect() as c:
            return {r.payer_id: PayerSettings(r.payer_id, bool(r.four_eyes), r.time_zone)
                    for r in c.execute(select(payer_settings))}

    def set_settings(self, settings: PayerSettings, actor: Actor) -> None:
        """Settings change how policy changes are made: audited, and workers reload them like policy."""
        with self.engine.begin() as c:
            c.execute(delete(payer_settings).where(payer_settings.c.payer_id == settings.payer_id))
            c.execute(insert(payer_settings).values(payer_id=settings.payer_id, four_eyes=settings.four_eyes,
                                                    time_zone=settings.time_zone))
            c.execute(update(policy_state).where(policy_state.c.id == 1)
                      .values(generation=policy_state.c.generation + 1))
            _audit(c, actor, "settings", f"four eyes {'on' if settings.four_eyes else 'off'}, "
                                         f"time zone {settings.time_zone}", settings.payer_id)

    # -- keys ----------------------------------------------------------------------------------
    def create_key(self, role: str, payers: list[str], name: str, actor: Actor = SYSTEM,
                   owner: str | None = None) -> tuple[ApiKey, str]:
        """A new key issued to `owner` (default: its name); the full key text is returned once and
        only its hash is kept."""
        key_id = secrets.token_hex(6)
        secret = secrets.token_urlsafe(32)
        created = now()
        owner = owner or name
        with self.engine.begin() as c:
            c.execute(insert(api_keys).values(id=key_id, name=name, owner=owner, role=role, payers=json.dumps(payers),
                                              key_hash=hash_secret(secret), created_at=created, revoked_at=None))
            _audit(c, actor, "key_create", f"key {key_id} ({name}, issued to {owner}): role {role}, "
                                           f"payers {', '.join(payers)}")
        return ApiKey(key_id, name, role, tuple(payers), hash_secret(secret), created, None, owner), \
            f"mrk_{key_id}_{secret}"

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
                _audit(c, actor, "key_revoke", f"key {key_id} revoked")
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


def _version_of(new_id: int, values: dict, document: dict) -> Version:
    return Version(new_id, values["payer_id"], values["kind"], values["name"], values["version"],
                   values["effective_from"], document, values["content_hash"], values["author_key_id"],
                   values["comment"], values["created_at"], values["generation"], values["change_id"])


def _names(docs: list[dict]) -> str:
    return ", ".join(f"{d['kind']} {d['name']}" for d in docs) or "no documents"


def _sqlite_pragmas(dbapi_connection, _record):
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.close()
