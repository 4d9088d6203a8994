"""Subscriber signing secrets stored encrypted, and the signatures of provider notifications already taken

Subscribers get `sealed_secret` (Fernet text) and `secret` becomes nullable. The migration cannot encrypt existing
rows itself, since the key is a runtime setting the migration does not get; the publish worker seals every
plaintext secret, and empties `secret`, in its first delivery round that runs with CALLINTEL_CRM_SECRETS_KEY set.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 17:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("subscribers") as batch:
        batch.add_column(sa.Column("sealed_secret", sa.Text(), nullable=True))
        batch.alter_column("secret", existing_type=sa.String(length=256), nullable=True)
    op.create_table(
        "seen_signatures",
        sa.Column("provider", sa.String(length=32), nullable=False),
        sa.Column("signature", sa.String(length=128), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("provider", "signature"),
    )
    op.create_index("ix_seen_signatures_seen_at", "seen_signatures", ["seen_at"])


def downgrade() -> None:
    op.drop_index("ix_seen_signatures_seen_at", table_name="seen_signatures")
    op.drop_table("seen_signatures")
    # A subscriber whose secret exists only sealed cannot get it back without the key: it is removed, so that
    # nothing is left signing with an empty secret. Re-add it after downgrading.
    op.execute("DELETE FROM subscribers WHERE secret IS NULL")
    with op.batch_alter_table("subscribers") as batch:
        batch.drop_column("sealed_secret")
        batch.alter_column("secret", existing_type=sa.String(length=256), nullable=False)
