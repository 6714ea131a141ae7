from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('gov', '0001_initial')]

    initial = False

    operations = [
        ops.AlterField(
            model_name='Rating',
            name='case',
            field=fields.OneToOneField('gov.Case', source_field='case_id', null=True, db_constraint=True, to_field='id', related_name='rating', on_delete=OnDelete.CASCADE),
        ),
        # Backs "one rating per case" in the database on PostgreSQL and SQLite alike (NULLs never collide).
        ops.RunSQL(
            "CREATE UNIQUE INDEX IF NOT EXISTS gov_rating_one_per_case ON gov_rating (case_id)",
            reverse_sql="DROP INDEX IF EXISTS gov_rating_one_per_case",
        ),
    ]
