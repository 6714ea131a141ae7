from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from services.common.ids import new_id
from services.community.enums import EventStatus, MembershipStatus, NoticeCategory, NoticeStatus, NoticeVisibility, ReportCategory, ReportSource, ReportStatus
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('community', '0001_initial')]

    initial = False

    operations = [
        ops.CreateModel(
            name='CommunityEvent',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=new_id, unique=True, db_index=True)),
                ('community', fields.ForeignKeyField('community.Community', source_field='community_id', db_constraint=True, to_field='id', related_name='events', on_delete=OnDelete.CASCADE)),
                ('title', fields.CharField(max_length=120)),
                ('description', fields.TextField(default='', unique=False)),
                ('place', fields.CharField(default='', max_length=255)),
                ('starts_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('ends_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('capacity', fields.IntField()),
                ('visibility', fields.CharEnumField(default=NoticeVisibility.PUBLIC, description='PUBLIC: public\nMEMBERS: members', enum_type=NoticeVisibility, max_length=16)),
                ('status', fields.CharEnumField(default=EventStatus.SCHEDULED, description='SCHEDULED: scheduled\nCANCELLED: cancelled', enum_type=EventStatus, max_length=16)),
                ('resource_id', fields.CharField(null=True, max_length=64)),
                ('slot_id', fields.CharField(null=True, max_length=64)),
                ('created_by_id', fields.UUIDField()),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'community_event', 'app': 'community', 'indexes': [Index(fields=['community_id', 'starts_at'])], 'pk_attr': 'id', 'table_description': "An event with sign-up: capacity, bookings and the waitlist live in the booking engine's slot."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Membership',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=new_id, unique=True, db_index=True)),
                ('user_id', fields.UUIDField(unique=True)),
                ('community', fields.ForeignKeyField('community.Community', source_field='community_id', db_constraint=True, to_field='id', related_name='memberships', on_delete=OnDelete.CASCADE)),
                ('status', fields.CharEnumField(default=MembershipStatus.PENDING, description='PENDING: pending\nVERIFIED: verified\nREJECTED: rejected', enum_type=MembershipStatus, max_length=16)),
                ('address_enc', fields.TextField(null=True, unique=False)),
                ('verified_by_id', fields.UUIDField(null=True)),
                ('verified_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'community_membership', 'app': 'community', 'indexes': [Index(fields=['community_id', 'status'])], 'pk_attr': 'id', 'table_description': "A resident's claim to live in a community: one per person (joining another moves it)."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Notice',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=new_id, unique=True, db_index=True)),
                ('community', fields.ForeignKeyField('community.Community', source_field='community_id', db_constraint=True, to_field='id', related_name='notices', on_delete=OnDelete.CASCADE)),
                ('author_id', fields.UUIDField()),
                ('title', fields.CharField(max_length=120)),
                ('body', fields.TextField(unique=False)),
                ('category', fields.CharEnumField(description='UTILITY_OUTAGE: utility_outage\nACTIVITY: activity\nHEALTH: health\nPOLICY: policy\nRECRUITMENT: recruitment\nOTHER: other', enum_type=NoticeCategory, max_length=24)),
                ('visibility', fields.CharEnumField(default=NoticeVisibility.PUBLIC, description='PUBLIC: public\nMEMBERS: members', enum_type=NoticeVisibility, max_length=16)),
                ('urgent', fields.BooleanField(default=False)),
                ('pinned', fields.BooleanField(default=False)),
                ('status', fields.CharEnumField(description='REVIEW: review\nPUBLISHED: published\nREJECTED: rejected\nWITHDRAWN: withdrawn', enum_type=NoticeStatus, max_length=16)),
                ('publish_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('expire_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('attachments', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('sec_suggest', fields.CharField(null=True, max_length=16)),
                ('sec_label', fields.CharField(null=True, max_length=32)),
                ('reviewed_by_id', fields.UUIDField(null=True)),
                ('reviewed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('withdrawn_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('notified_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'community_notice', 'app': 'community', 'indexes': [Index(fields=['community_id', 'status', 'publish_at'])], 'pk_attr': 'id', 'table_description': 'A notice staff post to their community, visible inside [publish_at, expire_at) once published.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='NoticeRead',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=new_id, unique=True, db_index=True)),
                ('notice', fields.ForeignKeyField('community.Notice', source_field='notice_id', db_constraint=True, to_field='id', related_name='reads', on_delete=OnDelete.CASCADE)),
                ('user_id', fields.UUIDField()),
                ('read_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'community_notice_read', 'app': 'community', 'unique_together': (('notice', 'user_id'),), 'pk_attr': 'id', 'table_description': 'A read receipt: a member opened a notice (first time only).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Open311ApiKey',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=new_id, unique=True, db_index=True)),
                ('partner', fields.CharField(max_length=128)),
                ('key_hash', fields.CharField(unique=True, max_length=64)),
                ('key_prefix', fields.CharField(max_length=12)),
                ('created_by_id', fields.UUIDField(null=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('last_used_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('revoked_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'community_open311_key', 'app': 'community', 'pk_attr': 'id', 'table_description': "A partner system's key for POST /open311/v2/requests (only its keyed hash is stored)."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Report',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=new_id, unique=True, db_index=True)),
                ('community', fields.ForeignKeyField('community.Community', source_field='community_id', db_constraint=True, to_field='id', related_name='reports', on_delete=OnDelete.RESTRICT)),
                ('reporter_id', fields.UUIDField(null=True)),
                ('source', fields.CharEnumField(default=ReportSource.APP, description='APP: app\nOPEN311: open311', enum_type=ReportSource, max_length=16)),
                ('api_key_id', fields.UUIDField(null=True)),
                ('category', fields.CharEnumField(description='ROAD_DAMAGE: road_damage\nSTREETLIGHT: streetlight\nGARBAGE: garbage\nWATER_LEAK: water_leak\nILLEGAL_PARKING: illegal_parking\nGREENERY: greenery\nNOISE: noise\nOTHER: other', enum_type=ReportCategory, max_length=24)),
                ('description', fields.TextField(default='', unique=False)),
                ('lat', fields.FloatField(null=True)),
                ('lng', fields.FloatField(null=True)),
                ('address_enc', fields.TextField(null=True, unique=False)),
                ('contact_name_enc', fields.TextField(null=True, unique=False)),
                ('contact_phone_enc', fields.TextField(null=True, unique=False)),
                ('contact_email_enc', fields.TextField(null=True, unique=False)),
                ('photos', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('attributes', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('sec_suggest', fields.CharField(null=True, max_length=16)),
                ('status', fields.CharEnumField(default=ReportStatus.OPEN, description='OPEN: open\nIN_PROGRESS: in_progress\nRESOLVED: resolved\nCLOSED: closed\nDUPLICATE: duplicate', enum_type=ReportStatus, max_length=16)),
                ('status_notes', fields.TextField(null=True, unique=False)),
                ('duplicate_of', fields.ForeignKeyField('community.Report', source_field='duplicate_of_id', null=True, db_constraint=True, to_field='id', related_name='duplicates', on_delete=OnDelete.SET_NULL)),
                ('token', fields.CharField(unique=True, max_length=40)),
                ('fixed_confirmed', fields.BooleanField(null=True)),
                ('reopen_count', fields.IntField(default=0)),
                ('closed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'community_report', 'app': 'community', 'indexes': [Index(fields=['community_id', 'created_at']), Index(fields=['category', 'created_at'])], 'pk_attr': 'id', 'table_description': 'A 随手拍 report (also an Open311 service request): one table for the app and partners.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ReportFollower',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=new_id, unique=True, db_index=True)),
                ('report', fields.ForeignKeyField('community.Report', source_field='report_id', db_constraint=True, to_field='id', related_name='followers', on_delete=OnDelete.CASCADE)),
                ('user_id', fields.UUIDField()),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'community_report_follower', 'app': 'community', 'unique_together': (('report', 'user_id'),), 'pk_attr': 'id', 'table_description': 'A resident who said "me too" on someone else\'s report, told of every change like the reporter.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ReportHistory',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=new_id, unique=True, db_index=True)),
                ('report', fields.ForeignKeyField('community.Report', source_field='report_id', db_constraint=True, to_field='id', related_name='history', on_delete=OnDelete.CASCADE)),
                ('actor_id', fields.UUIDField(null=True)),
                ('from_status', fields.CharEnumField(null=True, description='OPEN: open\nIN_PROGRESS: in_progress\nRESOLVED: resolved\nCLOSED: closed\nDUPLICATE: duplicate', enum_type=ReportStatus, max_length=16)),
                ('to_status', fields.CharEnumField(description='OPEN: open\nIN_PROGRESS: in_progress\nRESOLVED: resolved\nCLOSED: closed\nDUPLICATE: duplicate', enum_type=ReportStatus, max_length=16)),
                ('note', fields.TextField(null=True, unique=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'community_report_history', 'app': 'community', 'pk_attr': 'id', 'table_description': "One status change of a report, with the staff member's note: the report's timeline."},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Community',
            name='auto_verify_members',
            field=fields.BooleanField(default=False),
        ),
    ]
