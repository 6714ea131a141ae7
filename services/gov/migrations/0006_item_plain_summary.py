from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('gov', '0005_material_upload')]

    initial = False

    operations = [
        ops.AddField(
            model_name='ServiceItemText',
            name='summary_plain',
            field=fields.TextField(default=''),
        ),
    ]
