from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("common", "0003_outbox_request_id")]

    initial = False

    operations = [
        ops.AddField(
            model_name="AuditEntry",
            name="key_id",
            field=fields.CharField(null=True, max_length=16),
        ),
    ]
