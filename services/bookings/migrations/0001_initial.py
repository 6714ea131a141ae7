from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from services.bookings.enums import BookingStatus, OwnerDomain, SlotStatus, WaitlistStatus
from services.common.ids import new_id
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name='Resource',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=new_id, unique=True, db_index=True)),
                ('owner_domain', fields.CharEnumField(description='GOV: gov\nTOURISM: tourism\nCOMMUNITY: community\nCARE: care', enum_type=OwnerDomain, max_length=16)),
                ('owner_ref', fields.CharField(max_length=64)),
                ('name', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('staff_role', fields.CharField(max_length=24)),
                ('staff_scope', fields.CharField(default='', max_length=64)),
                ('rules', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('openings', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('active', fields.BooleanField(default=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'booking_resource', 'app': 'bookings', 'unique_together': (('owner_domain', 'owner_ref'),), 'pk_attr': 'id', 'table_description': 'Something bookable — a hall window, a doctor, timed scenic entry, an event — owned by a domain.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Slot',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=new_id, unique=True, db_index=True)),
                ('resource', fields.ForeignKeyField('bookings.Resource', source_field='resource_id', db_constraint=True, to_field='id', related_name='slots', on_delete=OnDelete.CASCADE)),
                ('start', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('end', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('day', fields.DateField()),
                ('capacity', fields.IntField()),
                ('taken', fields.IntField(default=0)),
                ('status', fields.CharEnumField(default=SlotStatus.OPEN, description='OPEN: open\nCLOSED: closed', enum_type=SlotStatus, max_length=16)),
                ('label', fields.CharField(null=True, max_length=128)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'booking_slot', 'app': 'bookings', 'unique_together': (('resource', 'start'),), 'indexes': [Index(fields=['resource_id', 'day'])], 'pk_attr': 'id', 'table_description': 'A period of a resource with `capacity` places, `taken` of them booked or held.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Booking',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=new_id, unique=True, db_index=True)),
                ('slot', fields.ForeignKeyField('bookings.Slot', source_field='slot_id', db_constraint=True, to_field='id', related_name='bookings', on_delete=OnDelete.RESTRICT)),
                ('resource', fields.ForeignKeyField('bookings.Resource', source_field='resource_id', db_constraint=True, to_field='id', related_name='bookings', on_delete=OnDelete.RESTRICT)),
                ('user_id', fields.UUIDField()),
                ('for_member_id', fields.UUIDField(null=True)),
                ('subject_id', fields.UUIDField()),
                ('party_size', fields.IntField(default=1)),
                ('status', fields.CharEnumField(description='HELD: held\nREQUESTED: requested\nCONFIRMED: confirmed\nCHECKED_IN: checked_in\nCANCELLED: cancelled\nNO_SHOW: no_show\nEXPIRED: expired\nDENIED: denied', enum_type=BookingStatus, max_length=16)),
                ('check_in_code', fields.CharField(unique=True, max_length=64)),
                ('purpose', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('visit_date', fields.DateField()),
                ('slot_start', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('slot_end', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('hold_expires_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('decided_by_id', fields.UUIDField(null=True)),
                ('reminded_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('confirmed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('cancelled_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('checked_in_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'booking_booking', 'app': 'bookings', 'indexes': [Index(fields=['user_id', 'created_at']), Index(fields=['subject_id', 'created_at']), Index(fields=['resource_id', 'visit_date']), Index(fields=['status', 'slot_end'])], 'pk_attr': 'id', 'table_description': 'A place in a slot: `user_id` booked it, `subject_id` is the person it is for.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='BookingVisitor',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=new_id, unique=True, db_index=True)),
                ('booking', fields.ForeignKeyField('bookings.Booking', source_field='booking_id', db_constraint=True, to_field='id', related_name='visitors', on_delete=OnDelete.CASCADE)),
                ('name_enc', fields.TextField(unique=False)),
                ('id_number_enc', fields.TextField(unique=False)),
                ('id_index', fields.CharField(db_index=True, max_length=64)),
                ('name_masked', fields.CharField(max_length=64)),
                ('id_number_masked', fields.CharField(max_length=32)),
                ('entry_key', fields.CharField(null=True, unique=True, max_length=160)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'booking_visitor', 'app': 'bookings', 'pk_attr': 'id', 'table_description': 'A real-name visitor on a booking (tourism): name and ID number as ciphertext, masks for display.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='WaitlistEntry',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=new_id, unique=True, db_index=True)),
                ('slot', fields.ForeignKeyField('bookings.Slot', source_field='slot_id', db_constraint=True, to_field='id', related_name='waitlist', on_delete=OnDelete.CASCADE)),
                ('user_id', fields.UUIDField()),
                ('for_member_id', fields.UUIDField(null=True)),
                ('subject_id', fields.UUIDField()),
                ('party_size', fields.IntField(default=1)),
                ('status', fields.CharEnumField(default=WaitlistStatus.WAITING, description='WAITING: waiting\nPROMOTED: promoted\nLEFT: left', enum_type=WaitlistStatus, max_length=16)),
                ('booking_id', fields.UUIDField(null=True)),
                ('purpose', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'booking_waitlist', 'app': 'bookings', 'indexes': [Index(fields=['slot_id', 'status', 'created_at'])], 'pk_attr': 'id', 'table_description': 'A person waiting for a place in a full slot, first come first served.'},
            bases=['Model'],
        ),
    ]
