"""Intake integrity: one call per distinct content, and recordings noted before they are written

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 17:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("calls") as batch:
        batch.add_column(sa.Column("content_sha256", sa.String(length=64), nullable=True))
    # The earliest call taken in on each recording still held holds its content; later duplicates (from racing
    # announcements) and calls of local files keep none.
    op.execute(
        """
        UPDATE calls SET content_sha256 = (
            SELECT r.sha256 FROM recordings r WHERE r.id = calls.recording_id AND r.purged_at IS NULL
        )
        WHERE provider <> 'file' AND id = (
            SELECT c.id FROM calls c
            WHERE c.recording_id = calls.recording_id AND c.provider <> 'file'
            ORDER BY c.created_at, c.id LIMIT 1
        )
        """
    )
    with op.batch_alter_table("calls") as batch:
        batch.create_unique_constraint("uq_calls_content_sha256", ["content_sha256"])
    op.create_table(
        "pending_recordings",
        sa.Column("storage_key", sa.String(length=512), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("storage_key"),
    )


def downgrade() -> None:
    op.drop_table("pending_recordings")
    with op.batch_alter_table("calls") as batch:
        batch.drop_constraint("uq_calls_content_sha256", type_="unique")
        batch.drop_column("content_sha256")
