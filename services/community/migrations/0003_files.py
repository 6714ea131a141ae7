from tortoise import migrations
from tortoise.migrations import operations as ops
from services.common.ids import new_id
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('community', '0002_notices_reports_open311')]

    initial = False

    operations = [
        ops.CreateModel(
            name='CommunityFile',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=new_id, unique=True, db_index=True)),
                ('owner_id', fields.UUIDField()),
                ('key', fields.CharField(unique=True, max_length=64)),
                ('content_type', fields.CharField(max_length=64)),
                ('size', fields.IntField()),
                ('sha256', fields.CharField(max_length=64)),
                ('filename', fields.CharField(default='', max_length=255)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'community_file', 'app': 'community', 'pk_attr': 'id', 'table_description': 'A photo or attachment uploaded for a report or a notice (the bytes are in the file store).'},
            bases=['Model'],
        ),
    ]
