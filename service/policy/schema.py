"""The store's tables (SQLAlchemy Core). Alembic migrations create them; this is what code queries."""
from __future__ import annotations

from sqlalchemy import Boolean, Column, Date, DateTime, Integer, MetaData, String, Table, Text, UniqueConstraint

metadata = MetaData()

documents = Table(
    "table_versions", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("payer_id", String(64), nullable=False),      # "base", or the payer whose document it is
    Column("kind", String(16), nullable=False),          # "table", "value_set" or "tests"
    Column("name", String(64), nullable=False),
    Column("version", Integer, nullable=False),
    Column("effective_from", Date, nullable=False),
    Column("document", Text, nullable=False),            # the document as JSON
    Column("content_hash", String(64), nullable=False),
    Column("author_key_id", String(32), nullable=False),
    Column("comment", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("generation", Integer, nullable=False),       # the policy generation that stored it
    Column("change_id", Integer, nullable=True),         # the change set that published it
    UniqueConstraint("payer_id", "kind", "name", "version", name="uq_table_versions_version"),
)

change_sets = Table(
    "change_sets", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("payer_id", String(64), nullable=False),
    Column("status", String(16), nullable=False),        # draft | proposed | published | rejected | withdrawn
    Column("effective_from", Date, nullable=False),
    Column("comment", Text, nullable=False),
    Column("documents", Text, nullable=False),           # JSON list of {kind, name, document, based_on}
    Column("author_key_id", String(32), nullable=False),
    Column("author_owner", String(128), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("decided_by_key_id", String(32), nullable=True),
    Column("decided_by_owner", String(128), nullable=True),
    Column("decided_at", DateTime(timezone=True), nullable=True),
    Column("decision_comment", Text, nullable=True),
    Column("generation", Integer, nullable=True),        # the generation its publish created
)

api_keys = Table(
    "api_keys", metadata,
    Column("id", String(32), primary_key=True),
    Column("name", String(128), nullable=False),
    Column("owner", String(128), nullable=False),        # the person or system the key is issued to
    Column("role", String(16), nullable=False),
    Column("payers", Text, nullable=False),              # JSON list of payer ids, or ["*"]
    Column("key_hash", String(64), nullable=False),      # sha256 of the secret part
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
)

payer_settings = Table(
    "payer_settings", metadata,
    Column("payer_id", String(64), primary_key=True),
    Column("four_eyes", Boolean, nullable=False),        # changes need an approver other than their author
    Column("time_zone", String(64), nullable=False),     # IANA name: what "today" means for this payer
)

audit_log = Table(
    "audit_log", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("key_id", String(32), nullable=False),
    Column("key_name", String(128), nullable=False),
    # publish | rollback | seed | sync | draft | propose | approve | reject | withdraw | settings | key_*
    Column("action", String(32), nullable=False),
    Column("payer_id", String(64), nullable=True),
    Column("table_name", String(64), nullable=True),     # the document's name (table, value set, tests)
    Column("from_version", Integer, nullable=True),
    Column("to_version", Integer, nullable=True),
    Column("summary", Text, nullable=False),
    Column("change_id", Integer, nullable=True),
    Column("kind", String(16), nullable=True),
)

policy_state = Table(
    "policy_state", metadata,
    Column("id", Integer, primary_key=True),
    Column("generation", Integer, nullable=False),       # bumped by every change of policy: workers poll it
)
