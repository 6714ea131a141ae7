from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from services.common.ids import new_id
from services.community.enums import CommunityKind, RegionKind
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name='Region',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=new_id, unique=True, db_index=True)),
                ('code', fields.CharField(unique=True, max_length=32)),
                ('name_zh', fields.CharField(max_length=64)),
                ('name_en', fields.CharField(max_length=128)),
                ('kind', fields.CharEnumField(description='SUBDISTRICT: subdistrict\nTOWN: town', enum_type=RegionKind, max_length=16)),
                ('lat', fields.FloatField()),
                ('lng', fields.FloatField()),
            ],
            options={'table': 'community_region', 'app': 'community', 'pk_attr': 'id', 'table_description': 'A sub-district or town of Jiyuan.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Community',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=new_id, unique=True, db_index=True)),
                ('code', fields.CharField(unique=True, max_length=32)),
                ('region', fields.ForeignKeyField('community.Region', source_field='region_id', db_constraint=True, to_field='id', related_name='communities', on_delete=OnDelete.RESTRICT)),
                ('name_zh', fields.CharField(max_length=64)),
                ('name_en', fields.CharField(max_length=128)),
                ('kind', fields.CharEnumField(description='COMMUNITY: community\nVILLAGE: village', enum_type=CommunityKind, max_length=16)),
                ('address', fields.CharField(default='', max_length=255)),
                ('lat', fields.FloatField()),
                ('lng', fields.FloatField()),
                ('boundary', fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('demo', fields.BooleanField(default=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'community_community', 'app': 'community', 'pk_attr': 'id', 'table_description': "A residents' community or a village, with its centre (and boundary polygon when known)."},
            bases=['Model'],
        ),
    ]
