from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from services.accounts.enums import Role, VerificationLevel
from services.common.ids import new_id
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name='User',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=new_id, unique=True, db_index=True)),
                ('openid', fields.CharField(unique=True, max_length=64)),
                ('unionid', fields.CharField(null=True, db_index=True, max_length=64)),
                ('session_key_enc', fields.TextField(null=True, unique=False)),
                ('level', fields.CharEnumField(default=VerificationLevel.WECHAT, description='WECHAT: wechat\nPHONE: phone\nREAL_NAME: real_name', enum_type=VerificationLevel, max_length=16)),
                ('phone_enc', fields.TextField(null=True, unique=False)),
                ('phone_index', fields.CharField(null=True, db_index=True, max_length=64)),
                ('name_enc', fields.TextField(null=True, unique=False)),
                ('id_number_enc', fields.TextField(null=True, unique=False)),
                ('id_number_index', fields.CharField(null=True, unique=True, max_length=64)),
                ('locale', fields.CharField(null=True, max_length=8)),
                ('elder_mode', fields.BooleanField(default=False)),
                ('notification_prefs', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('consent_version', fields.CharField(null=True, max_length=32)),
                ('consented_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ('deleted_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'account_user', 'app': 'accounts', 'pk_attr': 'id', 'table_description': 'A person signed in through WeChat. Personal data columns hold ciphertext (services.common.crypto).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='RoleGrant',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=new_id, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('accounts.User', source_field='user_id', db_constraint=True, to_field='id', related_name='role_grants', on_delete=OnDelete.CASCADE)),
                ('role', fields.CharEnumField(description='RESIDENT: resident\nCOMMUNITY_STAFF: community_staff\nDEPT_OPERATOR: dept_operator\nOPS_VIEWER: ops_viewer\nADMIN: admin', enum_type=Role, max_length=24)),
                ('scope', fields.CharField(default='', max_length=64)),
                ('granted_by_id', fields.UUIDField(null=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'account_role_grant', 'app': 'accounts', 'unique_together': (('user', 'role', 'scope'),), 'pk_attr': 'id', 'table_description': 'A role held by a user, optionally limited to one scope (a community id, a department code).'},
            bases=['Model'],
        ),
    ]
