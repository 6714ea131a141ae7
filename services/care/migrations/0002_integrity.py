"""Care's database rules: a subsidy balance never below zero or above its budget.

PostgreSQL gets a CHECK constraint; SQLite (no ALTER TABLE ADD CHECK) gets triggers that abort the
write with the same constraint error, so both raise an IntegrityError for the same mistake.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops

POSTGRES = [
    'ALTER TABLE "care_subsidy_account" ADD CONSTRAINT "care_subsidy_within_budget" '
    "CHECK (spent_fen >= 0 AND spent_fen <= budget_fen)",
]
POSTGRES_REVERSE = ['ALTER TABLE "care_subsidy_account" DROP CONSTRAINT IF EXISTS "care_subsidy_within_budget"']

_GUARD = "BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: care_subsidy_within_budget'); END"
SQLITE = [
    'CREATE TRIGGER "care_subsidy_check_insert" BEFORE INSERT ON "care_subsidy_account" '
    f"WHEN NEW.spent_fen < 0 OR NEW.spent_fen > NEW.budget_fen {_GUARD}",
    'CREATE TRIGGER "care_subsidy_check_update" BEFORE UPDATE ON "care_subsidy_account" '
    f"WHEN NEW.spent_fen < 0 OR NEW.spent_fen > NEW.budget_fen {_GUARD}",
]
SQLITE_REVERSE = [
    'DROP TRIGGER IF EXISTS "care_subsidy_check_insert"',
    'DROP TRIGGER IF EXISTS "care_subsidy_check_update"',
]


def _is_postgres(schema_editor) -> bool:
    return schema_editor.client.capabilities.dialect.startswith("postgres")


async def _run(schema_editor, statements) -> None:
    for statement in statements:
        await schema_editor.client.execute_script(statement)


async def forward(apps, schema_editor) -> None:
    await _run(schema_editor, POSTGRES if _is_postgres(schema_editor) else SQLITE)


async def backward(apps, schema_editor) -> None:
    await _run(schema_editor, POSTGRES_REVERSE if _is_postgres(schema_editor) else SQLITE_REVERSE)


class Migration(migrations.Migration):
    dependencies = [("care", "0001_initial")]

    operations = [ops.RunPython(forward, backward)]
