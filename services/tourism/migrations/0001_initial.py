from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from services.common.ids import new_id
from services.tourism.enums import TicketStatus
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name='ScenicArea',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=new_id, unique=True, db_index=True)),
                ('code', fields.CharField(unique=True, max_length=32)),
                ('texts', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('lat', fields.FloatField()),
                ('lng', fields.FloatField()),
                ('opening_hours', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('ticket_types', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('tags', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('photos', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('daily_capacity', fields.IntField()),
                ('instant_capacity', fields.IntField()),
                ('resource_id', fields.UUIDField(null=True)),
                ('crowd_occupancy', fields.IntField(null=True)),
                ('crowd_measured_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('crowd_error_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('demo', fields.BooleanField(default=False)),
                ('sort_order', fields.IntField(default=0)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'tourism_scenic_area', 'app': 'tourism', 'pk_attr': 'id', 'table_description': 'A scenic area (景区). Text lives per locale in `texts`, with zh_CN always present as the fallback.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='CrowdReading',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=new_id, unique=True, db_index=True)),
                ('area', fields.ForeignKeyField('tourism.ScenicArea', source_field='area_id', db_constraint=True, to_field='id', related_name='crowd_readings', on_delete=OnDelete.CASCADE)),
                ('occupancy', fields.IntField()),
                ('capacity', fields.IntField()),
                ('entries', fields.IntField(null=True)),
                ('exits', fields.IntField(null=True)),
                ('measured_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'tourism_crowd_reading', 'app': 'tourism', 'indexes': [Index(fields=['area_id', 'measured_at'])], 'pk_attr': 'id', 'table_description': 'One occupancy figure reported by the gate system for an area.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='TicketIssue',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=new_id, unique=True, db_index=True)),
                ('booking_id', fields.UUIDField(unique=True)),
                ('area', fields.ForeignKeyField('tourism.ScenicArea', source_field='area_id', db_constraint=True, to_field='id', related_name='tickets', on_delete=OnDelete.RESTRICT)),
                ('user_id', fields.UUIDField(db_index=True)),
                ('status', fields.CharEnumField(default=TicketStatus.PENDING, description='PENDING: pending\nISSUED: issued\nFAILED: failed', enum_type=TicketStatus, max_length=16)),
                ('ticket_id', fields.CharField(null=True, max_length=64)),
                ('last_error', fields.CharField(null=True, max_length=255)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('issued_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'tourism_ticket_issue', 'app': 'tourism', 'pk_attr': 'id', 'table_description': 'The ticket for one timed-entry booking, sent to the ticketing system through the outbox.'},
            bases=['Model'],
        ),
    ]
