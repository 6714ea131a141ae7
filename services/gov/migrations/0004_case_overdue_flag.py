from tortoise import migrations
from tortoise.migrations import operations as ops
from services.gov.enums import CaseEventKind
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('gov', '0003_follow_up_resolution')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Case',
            name='overdue_flagged_on',
            field=fields.DateField(null=True),
        ),
        ops.AlterField(
            model_name='CaseEvent',
            name='kind',
            field=fields.CharEnumField(description='CREATED: created\nSTATUS: status\nMATERIAL: material\nSUPPLEMENT_ANSWERED: supplement_answered\nDELIVERED: delivered\nOVERDUE: overdue\nRATED: rated', enum_type=CaseEventKind, max_length=24),
        ),
    ]
