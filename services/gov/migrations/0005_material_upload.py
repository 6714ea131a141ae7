from tortoise import migrations
from tortoise.migrations import operations as ops
from services.common.ids import new_id
from services.gov.enums import CaseEventKind
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('gov', '0004_case_overdue_flag')]

    initial = False

    operations = [
        ops.CreateModel(
            name='MaterialUpload',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=new_id, unique=True, db_index=True)),
                ('user_id', fields.UUIDField()),
                ('uploaded_by_id', fields.UUIDField()),
                ('file_key', fields.CharField(max_length=255)),
                ('content_type', fields.CharField(max_length=64)),
                ('size', fields.IntField()),
                ('sha256', fields.CharField(max_length=64)),
                ('filename', fields.CharField(default='', max_length=128)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'gov_material_upload', 'app': 'gov', 'indexes': [Index(fields=['user_id', 'created_at'])], 'pk_attr': 'id', 'table_description': 'A file uploaded before its application exists (one-step applying), then turned into a CaseMaterial.'},
            bases=['Model'],
        ),
        ops.AlterField(
            model_name='CaseEvent',
            name='kind',
            field=fields.CharEnumField(description='CREATED: created\nSTATUS: status\nMATERIAL: material\nSUPPLEMENT_ANSWERED: supplement_answered\nDELIVERED: delivered\nOVERDUE: overdue\nRATED: rated\nCALLBACK_REFUSED: callback_refused', enum_type=CaseEventKind, max_length=24),
        ),
    ]
