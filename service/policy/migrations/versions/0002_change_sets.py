"""change sets, test suites, generations per version, key owners, payer settings

Revision ID: 0002
Revises: 0001

Existing versions get the generation of their row id (as if each had been its own publish), so a
store that once held a policy that does not compile can fall back to the newest prefix that does;
the store's generation is moved past them.
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("table_versions") as batch:
        batch.add_column(sa.Column("generation", sa.Integer, nullable=False, server_default="0"))
        batch.add_column(sa.Column("change_id", sa.Integer, nullable=True))
    op.execute(sa.text("UPDATE table_versions SET generation = id"))
    op.execute(sa.text("UPDATE policy_state SET generation = (SELECT COALESCE(MAX(id), 0) FROM table_versions) + 1 "
                       "WHERE generation <= (SELECT COALESCE(MAX(id), 0) FROM table_versions)"))
    with op.batch_alter_table("api_keys") as batch:
        batch.add_column(sa.Column("owner", sa.String(128), nullable=False, server_default=""))
    op.execute(sa.text("UPDATE api_keys SET owner = name"))
    with op.batch_alter_table("audit_log") as batch:
        batch.add_column(sa.Column("change_id", sa.Integer, nullable=True))
        batch.add_column(sa.Column("kind", sa.String(16), nullable=True))
    op.create_table(
        "change_sets",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("payer_id", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("effective_from", sa.Date, nullable=False),
        sa.Column("comment", sa.Text, nullable=False),
        sa.Column("documents", sa.Text, nullable=False),
        sa.Column("author_key_id", sa.String(32), nullable=False),
        sa.Column("author_owner", sa.String(128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by_key_id", sa.String(32), nullable=True),
        sa.Column("decided_by_owner", sa.String(128), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_comment", sa.Text, nullable=True),
        sa.Column("generation", sa.Integer, nullable=True),
    )
    op.create_index("ix_change_sets_payer_status", "change_sets", ["payer_id", "status"])
    op.create_table(
        "payer_settings",
        sa.Column("payer_id", sa.String(64), primary_key=True),
        sa.Column("four_eyes", sa.Boolean, nullable=False),
        sa.Column("time_zone", sa.String(64), nullable=False),
    )


def downgrade():
    op.drop_table("payer_settings")
    op.drop_index("ix_change_sets_payer_status", "change_sets")
    op.drop_table("change_sets")
    with op.batch_alter_table("audit_log") as batch:
        batch.drop_column("kind")
        batch.drop_column("change_id")
    with op.batch_alter_table("api_keys") as batch:
        batch.drop_column("owner")
    with op.batch_alter_table("table_versions") as batch:
        batch.drop_column("change_id")
        batch.drop_column("generation")
