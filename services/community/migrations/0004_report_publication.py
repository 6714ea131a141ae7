from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('community', '0003_files')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Report',
            name='photos_public',
            field=fields.BooleanField(default=False),
        ),
        ops.AddField(
            model_name='Report',
            name='private',
            field=fields.BooleanField(default=False),
        ),
        ops.AddField(
            model_name='Report',
            name='public_description',
            field=fields.TextField(null=True, unique=False),
        ),
        ops.AddField(
            model_name='Report',
            name='published_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Report',
            name='published_by_id',
            field=fields.UUIDField(null=True),
        ),
    ]
