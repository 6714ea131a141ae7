from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from services.common.ids import new_id
from services.common.models import OutboxStatus
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name='IdempotencyRecord',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=new_id, unique=True, db_index=True)),
                ('scope', fields.CharField(max_length=128)),
                ('key', fields.CharField(max_length=128)),
                ('request_hash', fields.CharField(max_length=64)),
                ('status_code', fields.IntField(null=True)),
                ('response', fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'idempotency_record', 'app': 'common', 'unique_together': (('scope', 'key'),), 'pk_attr': 'id', 'table_description': 'The first response to a POST carrying an Idempotency-Key, kept 24 hours.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='OutboxMessage',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=new_id, unique=True, db_index=True)),
                ('topic', fields.CharField(max_length=64)),
                ('payload', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('aggregate_type', fields.CharField(null=True, max_length=32)),
                ('aggregate_id', fields.CharField(null=True, max_length=64)),
                ('status', fields.CharEnumField(default=OutboxStatus.PENDING, description='PENDING: pending\nIN_FLIGHT: in_flight\nDELIVERED: delivered\nDEAD: dead', enum_type=OutboxStatus, max_length=16)),
                ('attempts', fields.IntField(default=0)),
                ('available_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('lease_token', fields.UUIDField(null=True)),
                ('lease_until', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('last_error', fields.TextField(null=True, unique=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('delivered_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'outbox_message', 'app': 'common', 'indexes': [Index(fields=['status', 'available_at'])], 'pk_attr': 'id', 'table_description': 'A message a department must receive, written in the same transaction as the change it reports.'},
            bases=['Model'],
        ),
    ]
