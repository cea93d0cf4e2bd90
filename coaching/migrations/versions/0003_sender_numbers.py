"""sender numbers belong to one organization each

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 09:30:00

`organizations.whatsapp_sender` was unique on its own and `sms_sender` not at all, so one tenant
could take a number another tenant receives on (its inbound messages and STOP replies were then
filed under the wrong tenant). `sender_numbers` holds every number of both columns with its one
owner, kept by triggers so that no writer can bypass it; its primary key refuses a number that is
already another organization's, also when two organizations claim it at the same instant.

Stored numbers that two organizations already share cannot be given an owner by a migration: it
stops and names them, and nothing changes until an operator settles who keeps each one.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

API_ROLE = "coach_api"
CURRENT_ORGANIZATION = "current_setting('app.organization_id', true)"
# The numbers of one organizations row, each once (an organization may use one number for both).
SQLITE_NUMBERS = (
    "SELECT n, NEW.id FROM (SELECT NEW.whatsapp_sender AS n UNION SELECT NEW.sms_sender) "
    "WHERE n IS NOT NULL"
)


class SharedSenderNumbers(RuntimeError):
    pass


def upgrade() -> None:
    bind = op.get_bind()
    shared = bind.execute(
        sa.text(
            """
            SELECT number, COUNT(DISTINCT organization_id) AS owners FROM (
              SELECT whatsapp_sender AS number, id AS organization_id FROM organizations
              UNION ALL
              SELECT sms_sender, id FROM organizations
            ) AS claimed
            WHERE number IS NOT NULL
            GROUP BY number
            HAVING COUNT(DISTINCT organization_id) > 1
            """
        )
    ).all()
    if shared:
        numbers = ", ".join(f"{row.number} ({row.owners} organizations)" for row in shared)
        raise SharedSenderNumbers(
            f"sender numbers used by more than one organization: {numbers}. Clear them from all "
            "but their owner (organizations.whatsapp_sender / sms_sender), then upgrade again."
        )
    op.create_table(
        "sender_numbers",
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("organization_id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_sender_numbers_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("number", name=op.f("pk_sender_numbers")),
    )
    with op.batch_alter_table("sender_numbers", schema=None) as batch_op:
        batch_op.create_index("ix_sender_numbers_org_only", ["organization_id"], unique=False)
    op.execute(
        """
        INSERT INTO sender_numbers (number, organization_id)
        SELECT DISTINCT number, organization_id FROM (
          SELECT whatsapp_sender AS number, id AS organization_id FROM organizations
          UNION ALL
          SELECT sms_sender, id FROM organizations
        ) AS claimed
        WHERE number IS NOT NULL
        """
    )
    if bind.dialect.name == "postgresql":
        _postgresql_triggers()
    else:
        _sqlite_triggers()


def _sqlite_triggers() -> None:
    op.execute(
        "CREATE TRIGGER sender_numbers_on_insert AFTER INSERT ON organizations BEGIN "
        f"INSERT INTO sender_numbers (number, organization_id) {SQLITE_NUMBERS}; END"
    )
    op.execute(
        "CREATE TRIGGER sender_numbers_on_update "
        "AFTER UPDATE OF whatsapp_sender, sms_sender ON organizations BEGIN "
        "DELETE FROM sender_numbers WHERE organization_id = NEW.id; "
        f"INSERT INTO sender_numbers (number, organization_id) {SQLITE_NUMBERS}; END"
    )
    op.execute(
        "CREATE TRIGGER sender_numbers_on_delete BEFORE DELETE ON organizations BEGIN "
        "DELETE FROM sender_numbers WHERE organization_id = OLD.id; END"
    )


def _postgresql_triggers() -> None:
    schema = op.get_bind().execute(sa.text("SELECT current_schema()")).scalar_one()
    # SECURITY DEFINER: the API's role may change its organization's numbers through this
    # trigger, but may not write the registry itself.
    op.execute(
        f"""
        CREATE FUNCTION claim_sender_numbers() RETURNS trigger
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = {schema} AS $$
        BEGIN
          IF TG_OP IN ('UPDATE', 'DELETE') THEN
            DELETE FROM sender_numbers WHERE organization_id = OLD.id;
          END IF;
          IF TG_OP = 'DELETE' THEN
            RETURN OLD;
          END IF;
          INSERT INTO sender_numbers (number, organization_id)
          SELECT DISTINCT claimed.number, NEW.id
          FROM unnest(ARRAY[NEW.whatsapp_sender, NEW.sms_sender]) AS claimed(number)
          WHERE claimed.number IS NOT NULL;
          RETURN NEW;
        END $$
        """
    )
    op.execute(
        "CREATE TRIGGER sender_numbers_on_write "
        "AFTER INSERT OR UPDATE OF whatsapp_sender, sms_sender ON organizations "
        "FOR EACH ROW EXECUTE FUNCTION claim_sender_numbers()"
    )
    op.execute(
        "CREATE TRIGGER sender_numbers_on_delete BEFORE DELETE ON organizations "
        "FOR EACH ROW EXECUTE FUNCTION claim_sender_numbers()"
    )
    op.execute(f"REVOKE INSERT, UPDATE, DELETE ON sender_numbers FROM {API_ROLE}")
    op.execute("ALTER TABLE sender_numbers ENABLE ROW LEVEL SECURITY")
    op.execute(
        f"CREATE POLICY tenant_isolation ON sender_numbers TO {API_ROLE} "
        f"USING (organization_id = {CURRENT_ORGANIZATION})"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS sender_numbers_on_write ON organizations")
        op.execute("DROP TRIGGER IF EXISTS sender_numbers_on_delete ON organizations")
        op.execute("DROP FUNCTION IF EXISTS claim_sender_numbers()")
        op.execute("DROP POLICY IF EXISTS tenant_isolation ON sender_numbers")
    else:
        for name in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS sender_numbers_on_{name}")
    with op.batch_alter_table("sender_numbers", schema=None) as batch_op:
        batch_op.drop_index("ix_sender_numbers_org_only")
    op.drop_table("sender_numbers")
