from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from services.care.enums import AppointmentStatus, CareServiceKind, OrderStatus
from services.common.ids import new_id
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name='CareAppointment',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=new_id, unique=True, db_index=True)),
                ('booking_id', fields.UUIDField(unique=True)),
                ('user_id', fields.UUIDField(db_index=True)),
                ('subject_id', fields.UUIDField(db_index=True)),
                ('hospital_his_id', fields.CharField(max_length=64)),
                ('department_his_id', fields.CharField(max_length=64)),
                ('doctor_his_id', fields.CharField(max_length=64)),
                ('his_slot_id', fields.CharField(max_length=128)),
                ('his_appointment_id', fields.CharField(null=True, db_index=True, max_length=64)),
                ('status', fields.CharEnumField(default=AppointmentStatus.PENDING, description='PENDING: pending\nBOOKED: booked\nARRIVED: arrived\nFULFILLED: fulfilled\nNOSHOW: noshow\nCANCELLED: cancelled\nFAILED: failed', enum_type=AppointmentStatus, max_length=16)),
                ('queue_number', fields.IntField(null=True)),
                ('visit_date', fields.DateField()),
                ('slot_start', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('note', fields.CharField(null=True, max_length=255)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'care_appointment', 'app': 'care', 'indexes': [Index(fields=['subject_id', 'visit_date']), Index(fields=['hospital_his_id', 'visit_date'])], 'pk_attr': 'id', 'table_description': 'A doctor booking as the HIS knows it: one per engine booking.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='CareAssessment',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=new_id, unique=True, db_index=True)),
                ('subject_id', fields.UUIDField(unique=True)),
                ('disabled', fields.BooleanField(default=False)),
                ('assessed_by_id', fields.UUIDField()),
                ('assessed_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'care_assessment', 'app': 'care', 'pk_attr': 'id', 'table_description': 'A staff assessment of a person as disabled (失能), which gives a monthly subsidy.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='CareConsent',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=new_id, unique=True, db_index=True)),
                ('user_id', fields.UUIDField(db_index=True)),
                ('version', fields.CharField(max_length=32)),
                ('granted_by_id', fields.UUIDField()),
                ('granted_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('withdrawn_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'care_consent', 'app': 'care', 'unique_together': (('user_id', 'version'),), 'pk_attr': 'id', 'table_description': 'The separate, explicit consent to process medical data (PIPL art. 28-29), per policy version.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='CareDepartment',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=new_id, unique=True, db_index=True)),
                ('his_id', fields.CharField(unique=True, max_length=64)),
                ('hospital_his_id', fields.CharField(db_index=True, max_length=64)),
                ('name', fields.CharField(max_length=64)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'care_department', 'app': 'care', 'pk_attr': 'id', 'table_description': 'A clinic (HealthcareService) as last read from the HIS.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='CareDoctor',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=new_id, unique=True, db_index=True)),
                ('his_id', fields.CharField(unique=True, max_length=64)),
                ('hospital_his_id', fields.CharField(db_index=True, max_length=64)),
                ('department_his_id', fields.CharField(db_index=True, max_length=64)),
                ('name', fields.CharField(max_length=32)),
                ('title', fields.CharField(max_length=32)),
                ('title_code', fields.CharField(max_length=32)),
                ('specialty', fields.CharField(null=True, max_length=64)),
                ('fee_fen', fields.IntField(default=0)),
                ('resource_id', fields.UUIDField(null=True, unique=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'care_doctor', 'app': 'care', 'pk_attr': 'id', 'table_description': 'A doctor (PractitionerRole) as last read from the HIS, and the engine resource of their slots.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='CareHospital',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=new_id, unique=True, db_index=True)),
                ('his_id', fields.CharField(unique=True, max_length=64)),
                ('name', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('kind', fields.CharField(default='hospital', max_length=32)),
                ('address', fields.CharField(null=True, max_length=255)),
                ('rules', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('demo', fields.BooleanField(default=False)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'care_hospital', 'app': 'care', 'pk_attr': 'id', 'table_description': 'A hospital the HIS serves, with its booking rules (放号, 退号, caps) as settings.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='CareOrder',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=new_id, unique=True, db_index=True)),
                ('user_id', fields.UUIDField(db_index=True)),
                ('subject_id', fields.UUIDField(db_index=True)),
                ('kind', fields.CharEnumField(description='MEAL: meal\nCLEANING: cleaning\nBATHING: bathing\nMEDICAL_ESCORT: medical_escort\nMOBILITY: mobility\nEMERGENCY: emergency', enum_type=CareServiceKind, max_length=16)),
                ('urgent', fields.BooleanField(default=False)),
                ('community_code', fields.CharField(max_length=32)),
                ('provider_code', fields.CharField(null=True, max_length=32)),
                ('provider_name', fields.CharField(null=True, max_length=64)),
                ('address_enc', fields.TextField(null=True, unique=False)),
                ('address_masked', fields.CharField(null=True, max_length=128)),
                ('notes_enc', fields.TextField(null=True, unique=False)),
                ('window_start', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('window_end', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('price_fen', fields.IntField(default=0)),
                ('subsidy_fen', fields.IntField(default=0)),
                ('subsidy_month', fields.CharField(null=True, max_length=7)),
                ('pay_fen', fields.IntField(default=0)),
                ('status', fields.CharEnumField(default=OrderStatus.SUBMITTED, description='SUBMITTED: submitted\nACCEPTED: accepted\nASSIGNED: assigned\nEN_ROUTE: en_route\nIN_SERVICE: in_service\nCOMPLETED: completed\nREFUSED: refused\nCANCELLED: cancelled', enum_type=OrderStatus, max_length=16)),
                ('platform_ref', fields.CharField(null=True, db_index=True, max_length=64)),
                ('worker_masked', fields.CharField(null=True, max_length=32)),
                ('dispatch_failures', fields.IntField(default=0)),
                ('rating', fields.IntField(null=True)),
                ('rating_comment_enc', fields.TextField(null=True, unique=False)),
                ('accepted_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('completed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'care_order', 'app': 'care', 'indexes': [Index(fields=['subject_id', 'created_at']), Index(fields=['status', 'created_at'])], 'pk_attr': 'id', 'table_description': 'A home-care order (or an emergency call) for the person served, dispatched by the platform.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='CareOrderEvent',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=new_id, unique=True, db_index=True)),
                ('order', fields.ForeignKeyField('care.CareOrder', source_field='order_id', db_constraint=True, to_field='id', related_name='events', on_delete=OnDelete.CASCADE)),
                ('status', fields.CharField(max_length=24)),
                ('note', fields.CharField(null=True, max_length=255)),
                ('occurred_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'care_order_event', 'app': 'care', 'pk_attr': 'id', 'table_description': "One step of an order's timeline."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='InboundEvent',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=new_id, unique=True, db_index=True)),
                ('system', fields.CharField(max_length=32)),
                ('event_id', fields.CharField(max_length=96)),
                ('received_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'care_inbound_event', 'app': 'care', 'unique_together': (('system', 'event_id'),), 'pk_attr': 'id', 'table_description': 'A callback event already applied (HIS or eldercare platform): replays change nothing.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SubsidyAccount',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=new_id, unique=True, db_index=True)),
                ('subject_id', fields.UUIDField()),
                ('month', fields.CharField(max_length=7)),
                ('budget_fen', fields.IntField()),
                ('spent_fen', fields.IntField(default=0)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'care_subsidy_account', 'app': 'care', 'unique_together': (('subject_id', 'month'),), 'pk_attr': 'id', 'table_description': "One person's subsidy budget for one month (YYYY-MM), which orders draw on first."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SystemHealth',
            fields=[
                ('system', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=32)),
                ('down_since', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('last_ok_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('last_error', fields.CharField(null=True, max_length=255)),
            ],
            options={'table': 'care_system_health', 'app': 'care', 'pk_attr': 'system', 'table_description': 'Whether an outside system answered lately, shared by every process (the booking guard reads it).'},
            bases=['Model'],
        ),
    ]
