from tortoise import migrations
from tortoise.migrations import operations as ops
from services.common.ids import new_id
from tortoise import fields

class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name='StaffAccount',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=new_id, unique=True, db_index=True)),
                ('user_id', fields.UUIDField(unique=True)),
                ('username', fields.CharField(unique=True, max_length=64)),
                ('display_name', fields.CharField(default='', max_length=64)),
                ('password_hash', fields.CharField(max_length=255)),
                ('totp_secret_enc', fields.TextField(unique=False)),
                ('last_totp_step', fields.BigIntField(default=0)),
                ('failed_attempts', fields.IntField(default=0)),
                ('locked_until', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('last_sign_in_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('disabled_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'ops_staff_account', 'app': 'ops', 'pk_attr': 'id', 'table_description': 'A browser sign-in for a staff member: username, argon2 password hash and a TOTP second factor.'},
            bases=['Model'],
        ),
    ]
