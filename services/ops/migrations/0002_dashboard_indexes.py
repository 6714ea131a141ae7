"""Indexes the operations dashboard's aggregates range over (a year of rows stays fast).

Each dashboard figure filters one time column to a range of days; without an index on that column
the database scans the whole table. IF NOT EXISTS: a domain may later add the same index itself.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops

INDEXES = {
    "ops_booking_created_at": ("booking_booking", "created_at"),
    "ops_booking_cancelled_at": ("booking_booking", "cancelled_at"),
    "ops_booking_visit_status": ("booking_booking", "visit_date, status"),
    "ops_case_submitted_at": ("gov_case", "submitted_at"),
    "ops_case_decided_at": ("gov_case", "decided_at"),
    "ops_case_status_due": ("gov_case", "status, due_date"),
    "ops_case_overdue_flagged": ("gov_case", "overdue_flagged_on"),
    "ops_rating_created_at": ("gov_rating", "created_at"),
    "ops_follow_up_status": ("gov_follow_up", "status, due_date"),
    "ops_report_created_at": ("community_report", "created_at"),
    "ops_report_closed_at": ("community_report", "closed_at"),
    "ops_report_status": ("community_report", "status"),
}


async def forward(apps, schema_editor) -> None:
    for name, (table, columns) in INDEXES.items():
        await schema_editor.client.execute_script(f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" ({columns})')


async def backward(apps, schema_editor) -> None:
    for name in INDEXES:
        await schema_editor.client.execute_script(f'DROP INDEX IF EXISTS "{name}"')


class Migration(migrations.Migration):
    dependencies = [
        ("ops", "0001_initial"),
        ("bookings", "0002_integrity"),
        ("gov", "0004_case_overdue_flag"),
        ("community", "0003_files"),
    ]

    operations = [ops.RunPython(forward, backward)]
