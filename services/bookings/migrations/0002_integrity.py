"""The booking engine's database rules: no overbooking, one active booking per person per slot.

Tortoise cannot declare these portably, so they are written here once per dialect:
  * PostgreSQL: a real CHECK constraint on booking_slot.
  * SQLite: ALTER TABLE cannot add a CHECK, so two triggers abort any INSERT/UPDATE that would break it
    (RAISE(ABORT) is an SQLITE_CONSTRAINT error, i.e. an IntegrityError, exactly like a CHECK).
  * Both: partial unique indexes for the active booking and the waiting entry of a person per slot.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops

ACTIVE = "status IN ('held', 'requested', 'confirmed', 'checked_in')"

COMMON = [
    f'CREATE UNIQUE INDEX "booking_one_active_per_person" ON "booking_booking" ("slot_id", "subject_id") WHERE {ACTIVE}',
    'CREATE UNIQUE INDEX "booking_one_wait_per_person" ON "booking_waitlist" ("slot_id", "subject_id") WHERE status = \'waiting\'',
]
COMMON_REVERSE = [
    'DROP INDEX IF EXISTS "booking_one_active_per_person"',
    'DROP INDEX IF EXISTS "booking_one_wait_per_person"',
]

POSTGRES = [
    'ALTER TABLE "booking_slot" ADD CONSTRAINT "booking_slot_taken_within_capacity" CHECK (taken >= 0 AND taken <= capacity)',
    'ALTER TABLE "booking_booking" ADD CONSTRAINT "booking_party_size_positive" CHECK (party_size >= 1)',
]
POSTGRES_REVERSE = [
    'ALTER TABLE "booking_slot" DROP CONSTRAINT IF EXISTS "booking_slot_taken_within_capacity"',
    'ALTER TABLE "booking_booking" DROP CONSTRAINT IF EXISTS "booking_party_size_positive"',
]

_SLOT_GUARD = (
    "BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: booking_slot_taken_within_capacity'); END"
)
SQLITE = [
    'CREATE TRIGGER "booking_slot_taken_check_insert" BEFORE INSERT ON "booking_slot" '
    f"WHEN NEW.taken < 0 OR NEW.taken > NEW.capacity {_SLOT_GUARD}",
    'CREATE TRIGGER "booking_slot_taken_check_update" BEFORE UPDATE ON "booking_slot" '
    f"WHEN NEW.taken < 0 OR NEW.taken > NEW.capacity {_SLOT_GUARD}",
    'CREATE TRIGGER "booking_party_size_check" BEFORE INSERT ON "booking_booking" WHEN NEW.party_size < 1 '
    "BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: booking_party_size_positive'); END",
]
SQLITE_REVERSE = [
    'DROP TRIGGER IF EXISTS "booking_slot_taken_check_insert"',
    'DROP TRIGGER IF EXISTS "booking_slot_taken_check_update"',
    'DROP TRIGGER IF EXISTS "booking_party_size_check"',
]


def _is_postgres(schema_editor) -> bool:
    return schema_editor.client.capabilities.dialect.startswith("postgres")


async def _run(schema_editor, statements) -> None:
    for statement in statements:
        await schema_editor.client.execute_script(statement)


async def forward(apps, schema_editor) -> None:
    await _run(schema_editor, COMMON + (POSTGRES if _is_postgres(schema_editor) else SQLITE))


async def backward(apps, schema_editor) -> None:
    await _run(schema_editor, COMMON_REVERSE + (POSTGRES_REVERSE if _is_postgres(schema_editor) else SQLITE_REVERSE))


class Migration(migrations.Migration):
    dependencies = [("bookings", "0001_initial")]

    operations = [ops.RunPython(forward, backward)]
