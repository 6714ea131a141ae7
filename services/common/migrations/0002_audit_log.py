from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from services.common.ids import new_id
from tortoise import fields


class Migration(migrations.Migration):
    dependencies = [("common", "0001_initial")]

    initial = False

    operations = [
        ops.CreateModel(
            name="AuditChainHead",
            fields=[
                ("id", fields.IntField(primary_key=True, unique=True, db_index=True)),
                ("seq", fields.BigIntField(default=0)),
                ("last_hash", fields.CharField(default="", max_length=64)),
            ],
            options={
                "table": "audit_chain_head",
                "app": "common",
                "pk_attr": "id",
                "table_description": "The single row every append locks first, so concurrent writers cannot fork the chain.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="AuditEntry",
            fields=[
                ("id", fields.UUIDField(primary_key=True, default=new_id, unique=True, db_index=True)),
                ("seq", fields.BigIntField(unique=True)),
                ("occurred_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("action", fields.CharField(max_length=64)),
                ("actor_id", fields.CharField(null=True, db_index=True, max_length=64)),
                ("subject_id", fields.CharField(null=True, db_index=True, max_length=64)),
                ("target_type", fields.CharField(null=True, max_length=32)),
                ("target_id", fields.CharField(null=True, max_length=64)),
                ("ip", fields.CharField(null=True, max_length=64)),
                ("request_id", fields.CharField(null=True, max_length=64)),
                (
                    "details",
                    fields.JSONField(
                        default=dict, encoder=functools.partial(dumps, separators=(",", ":")), decoder=loads
                    ),
                ),
                ("prev_hash", fields.CharField(unique=True, max_length=64)),
                ("hash", fields.CharField(unique=True, max_length=64)),
            ],
            options={
                "table": "audit_entry",
                "app": "common",
                "pk_attr": "id",
                "table_description": "One line of the append-only audit log: who did what, for whom, from where.",
            },
            bases=["Model"],
        ),
    ]
