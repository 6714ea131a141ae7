"""Operations: the staff console's own sign-in credentials (roles stay on the account, as for the API)."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from services.common.ids import new_id

__all__ = ["DailyRollup", "StaffAccount"]


class StaffAccount(Model):
    """A browser sign-in for a staff member: username, argon2 password hash and a TOTP second factor.

    It belongs to one account (accounts.User), whose role grants decide what the staff member may do,
    exactly as for a bearer token of the mini-program. The TOTP secret is encrypted at rest.
    """

    id = fields.UUIDField(primary_key=True, default=new_id)
    user_id = fields.UUIDField(unique=True)
    username = fields.CharField(max_length=64, unique=True)
    display_name = fields.CharField(max_length=64, default="")
    password_hash = fields.CharField(max_length=255)
    totp_secret_enc = fields.TextField()
    # The last TOTP time step accepted: a code is good once (no replay within its window).
    last_totp_step = fields.BigIntField(default=0)
    failed_attempts = fields.IntField(default=0)
    locked_until = fields.DatetimeField(null=True)
    last_sign_in_at = fields.DatetimeField(null=True)
    disabled_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "ops_staff_account"


class DailyRollup(Model):
    """One domain's city-wide dashboard figures for one closed local day (daily points and day totals).

    Kept by the periodic job ops.roll_up_dashboard and read by the dashboard for past days, so a year
    view reads about 365 small rows per domain instead of aggregating a year of source rows.
    No personal data: counts, averages and states only.
    """

    id = fields.UUIDField(primary_key=True, default=new_id)
    domain = fields.CharField(max_length=32)
    scope = fields.CharField(max_length=64, default="*")
    day = fields.DateField()
    figures = fields.JSONField()
    computed_at = fields.DatetimeField()

    class Meta:
        table = "ops_daily_rollup"
        unique_together = (("domain", "scope", "day"),)
