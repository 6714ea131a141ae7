from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("common", "0002_audit_log")]

    initial = False

    operations = [
        ops.AddField(
            model_name="OutboxMessage",
            name="request_id",
            field=fields.CharField(null=True, max_length=64),
        ),
    ]
