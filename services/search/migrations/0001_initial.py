from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from services.common.ids import new_id
from tortoise import fields

class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name='SearchDocument',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=new_id, unique=True, db_index=True)),
                ('kind', fields.CharField(max_length=32)),
                ('ref', fields.CharField(max_length=64)),
                ('title', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('summary', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('keywords', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('pinyin_full', fields.CharField(default='', max_length=512)),
                ('pinyin_initials', fields.CharField(default='', max_length=128)),
                ('search_text', fields.TextField(default='', unique=False)),
                ('url', fields.CharField(max_length=255)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'search_document', 'app': 'search', 'unique_together': (('kind', 'ref'),), 'pk_attr': 'id', 'table_description': 'What search knows about one object of another domain (a scenic area, a service item, a notice...).'},
            bases=['Model'],
        ),
    ]
