from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from services.common.ids import new_id
from services.notifications.enums import PushStatus
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index
from tortoise.migrations.constraints import CheckConstraint

class Migration(migrations.Migration):
    dependencies = [('accounts', '0001_initial')]

    initial = True

    operations = [
        ops.CreateModel(
            name='InboxMessage',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=new_id, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('accounts.User', source_field='user_id', db_constraint=True, to_field='id', related_name='inbox_messages', on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharField(max_length=64)),
                ('params', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('link', fields.CharField(null=True, max_length=512)),
                ('case_ref', fields.CharField(null=True, max_length=64)),
                ('read_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('push_status', fields.CharEnumField(default=PushStatus.NONE, description='NONE: none\nQUEUED: queued\nSENT: sent\nCONSENT_MISSING: consent_missing\nFAILED: failed', enum_type=PushStatus, max_length=16)),
                ('template_id', fields.CharField(null=True, max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'notification_inbox', 'app': 'notifications', 'indexes': [Index(fields=['user_id', 'created_at'])], 'pk_attr': 'id', 'table_description': "One message in a user's inbox. `kind` is a message id rendered with `params` in the reader's language."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SubscriptionConsent',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=new_id, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('accounts.User', source_field='user_id', db_constraint=True, to_field='id', related_name='subscription_consents', on_delete=OnDelete.CASCADE)),
                ('template_id', fields.CharField(max_length=64)),
                ('remaining', fields.IntField(default=0)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'notification_subscription_consent', 'app': 'notifications', 'unique_together': (('user', 'template_id'),), 'constraints': [CheckConstraint(check='remaining >= 0', name='notification_consent_remaining_nonnegative')], 'pk_attr': 'id', 'table_description': 'How many more subscribe messages of `template_id` the user has agreed to receive (one per send).'},
            bases=['Model'],
        ),
    ]
