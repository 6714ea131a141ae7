from tortoise import migrations
from tortoise.migrations import operations as ops
from services.common.ids import new_id
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [("ops", "0002_dashboard_indexes")]

    operations = [
        ops.CreateModel(
            name='DailyRollup',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=new_id, unique=True, db_index=True)),
                ('domain', fields.CharField(max_length=32)),
                ('scope', fields.CharField(default='*', max_length=64)),
                ('day', fields.DateField()),
                ('figures', fields.JSONField()),
                ('computed_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'ops_daily_rollup', 'app': 'ops', 'unique_together': (('domain', 'scope', 'day'),), 'pk_attr': 'id', 'table_description': "One domain's city-wide dashboard figures for one closed local day (daily points and day totals)."},
            bases=['Model'],
        ),
    ]
