from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('gov', '0002_rating_once_per_case')]

    initial = False

    operations = [
        ops.AddField(
            model_name='FollowUp',
            name='closed_by_id',
            field=fields.UUIDField(null=True),
        ),
        ops.AddField(
            model_name='FollowUp',
            name='resolution',
            field=fields.TextField(default='', unique=False),
        ),
    ]
