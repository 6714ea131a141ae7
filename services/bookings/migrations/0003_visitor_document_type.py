"""Real-name visitors carry their document type (resident ID, passport, permits)."""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("bookings", "0002_integrity")]

    initial = False

    operations = [
        ops.AddField(
            model_name="BookingVisitor",
            name="id_type",
            field=fields.CharField(default="resident_id", max_length=32),
        ),
    ]
