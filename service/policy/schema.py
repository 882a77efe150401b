"""The store's tables (SQLAlchemy Core). Alembic migrations create them; this is what code queries."""
from __future__ import annotations

from sqlalchemy import Column, Date, DateTime, Integer, MetaData, String, Table, Text, UniqueConstraint

metadata = MetaData()

documents = Table(
    "table_versions", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("payer_id", String(64), nullable=False),      # "base", or the payer whose overlay it is
    Column("kind", String(16), nullable=False),          # "table" or "value_set"
    Column("name", String(64), nullable=False),
    Column("version", Integer, nullable=False),
    Column("effective_from", Date, nullable=False),
    Column("document", Text, nullable=False),            # the document as JSON
    Column("content_hash", String(64), nullable=False),
    Column("author_key_id", String(32), nullable=False),
    Column("comment", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("payer_id", "kind", "name", "version", name="uq_table_versions_version"),
)

api_keys = Table(
    "api_keys", metadata,
    Column("id", String(32), primary_key=True),
    Column("name", String(128), nullable=False),
    Column("role", String(16), nullable=False),
    Column("payers", Text, nullable=False),              # JSON list of payer ids, or ["*"]
    Column("key_hash", String(64), nullable=False),      # sha256 of the secret part
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
)

audit_log = Table(
    "audit_log", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("key_id", String(32), nullable=False),
    Column("key_name", String(128), nullable=False),
    Column("action", String(32), nullable=False),        # publish | rollback | seed | sync | key_create | key_revoke
    Column("payer_id", String(64), nullable=True),
    Column("table_name", String(64), nullable=True),
    Column("from_version", Integer, nullable=True),
    Column("to_version", Integer, nullable=True),
    Column("summary", Text, nullable=False),
)

policy_state = Table(
    "policy_state", metadata,
    Column("id", Integer, primary_key=True),
    Column("generation", Integer, nullable=False),       # bumped by every change of policy: workers poll it
)
