from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from services.accounts.enums import FamilyGrantStatus
from services.common.ids import new_id
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('accounts', '0001_initial')]

    initial = False

    operations = [
        ops.CreateModel(
            name='FamilyGrant',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=new_id, unique=True, db_index=True)),
                ('proxy', fields.ForeignKeyField('accounts.User', source_field='proxy_id', db_constraint=True, to_field='id', related_name='proxy_grants_held', on_delete=OnDelete.CASCADE)),
                ('subject', fields.ForeignKeyField('accounts.User', source_field='subject_id', null=True, db_constraint=True, to_field='id', related_name='proxy_grants_given', on_delete=OnDelete.CASCADE)),
                ('relation', fields.CharField(default='family', max_length=16)),
                ('scopes', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('status', fields.CharEnumField(default=FamilyGrantStatus.PENDING, description='PENDING: pending\nACTIVE: active\nREVOKED: revoked', enum_type=FamilyGrantStatus, max_length=16)),
                ('invite_code_hash', fields.CharField(unique=True, max_length=64)),
                ('invite_expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('accepted_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('revoked_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('revoked_by_id', fields.UUIDField(null=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'account_family_grant', 'app': 'accounts', 'indexes': [Index(fields=['proxy_id', 'status']), Index(fields=['subject_id', 'status'])], 'pk_attr': 'id', 'table_description': 'A family proxy: the proxy may act for the subject within the scopes until expires_at.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ProxyAction',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=new_id, unique=True, db_index=True)),
                ('grant_id', fields.UUIDField(db_index=True)),
                ('proxy_id', fields.UUIDField()),
                ('subject_id', fields.UUIDField(db_index=True)),
                ('scope', fields.CharField(max_length=16)),
                ('method', fields.CharField(max_length=8)),
                ('route', fields.CharField(max_length=200)),
                ('status', fields.IntField()),
                ('request_id', fields.CharField(null=True, max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'account_proxy_action', 'app': 'accounts', 'pk_attr': 'id', 'table_description': 'One request a proxy made for the represented person, as GET /me/proxy-log shows it to them.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='RefreshToken',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=new_id, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('accounts.User', source_field='user_id', db_constraint=True, to_field='id', related_name='refresh_tokens', on_delete=OnDelete.CASCADE)),
                ('family_id', fields.UUIDField(db_index=True)),
                ('token_hash', fields.CharField(unique=True, max_length=64)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('rotated_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('revoked_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('revoke_reason', fields.CharField(null=True, max_length=32)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'account_refresh_token', 'app': 'accounts', 'pk_attr': 'id', 'table_description': 'One refresh token of a sign-in session (only its SHA-256 is stored, the token itself is opaque).'},
            bases=['Model'],
        ),
    ]
