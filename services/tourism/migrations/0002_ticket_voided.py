from tortoise import migrations
from tortoise.migrations import operations as ops
from services.tourism.enums import TicketStatus
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('tourism', '0001_initial')]

    initial = False

    operations = [
        ops.AlterField(
            model_name='TicketIssue',
            name='status',
            field=fields.CharEnumField(default=TicketStatus.PENDING, description='PENDING: pending\nISSUED: issued\nFAILED: failed\nVOIDED: voided', enum_type=TicketStatus, max_length=16),
        ),
    ]
