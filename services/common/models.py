"""Platform tables shared by every domain: the outbox and idempotency records."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model

from services.common.ids import new_id

__all__ = ["AuditChainHead", "AuditEntry", "IdempotencyRecord", "OutboxMessage", "OutboxStatus"]


class OutboxStatus(StrEnum):
    PENDING = "pending"
    IN_FLIGHT = "in_flight"
    DELIVERED = "delivered"
    DEAD = "dead"


class OutboxMessage(Model):
    """A message a department must receive, written in the same transaction as the change it reports."""

    id = fields.UUIDField(primary_key=True, default=new_id)
    topic = fields.CharField(max_length=64)
    payload: dict = fields.JSONField(default=dict)
    aggregate_type = fields.CharField(max_length=32, null=True)
    aggregate_id = fields.CharField(max_length=64, null=True)
    status = fields.CharEnumField(OutboxStatus, max_length=16, default=OutboxStatus.PENDING)
    attempts = fields.IntField(default=0)
    available_at = fields.DatetimeField()
    # A fresh token per claim: the compare-and-set that makes claiming safe across workers.
    lease_token = fields.UUIDField(null=True)
    lease_until = fields.DatetimeField(null=True)
    last_error = fields.TextField(null=True)
    # The request that created the row: sent on as X-Request-Id so a department's log joins ours.
    request_id = fields.CharField(max_length=64, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    delivered_at = fields.DatetimeField(null=True)

    class Meta:
        table = "outbox_message"
        indexes = (("status", "available_at"),)


class IdempotencyRecord(Model):
    """The first response to a POST carrying an Idempotency-Key, kept 24 hours."""

    id = fields.UUIDField(primary_key=True, default=new_id)
    scope = fields.CharField(max_length=128)
    key = fields.CharField(max_length=128)
    request_hash = fields.CharField(max_length=64)
    status_code = fields.IntField(null=True)
    response: dict | None = fields.JSONField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField()

    class Meta:
        table = "idempotency_record"
        unique_together = (("scope", "key"),)


class AuditEntry(Model):
    """One line of the append-only audit log: who did what, for whom, from where.

    Rows are chained: `hash` is the HMAC (key `key_id`, held outside the database) of the row's
    canonical content including `prev_hash`, so editing or deleting any row breaks every later link
    (`citizen-api audit verify`). Details never hold personal data, which is why anonymising an
    account leaves the chain intact.
    """

    id = fields.UUIDField(primary_key=True, default=new_id)
    seq = fields.BigIntField(unique=True)
    occurred_at = fields.DatetimeField()
    action = fields.CharField(max_length=64)
    actor_id = fields.CharField(max_length=64, null=True, db_index=True)
    subject_id = fields.CharField(max_length=64, null=True, db_index=True)
    target_type = fields.CharField(max_length=32, null=True)
    target_id = fields.CharField(max_length=64, null=True)
    ip = fields.CharField(max_length=64, null=True)
    request_id = fields.CharField(max_length=64, null=True)
    details: dict = fields.JSONField(default=dict)
    prev_hash = fields.CharField(max_length=64, unique=True)
    hash = fields.CharField(max_length=64, unique=True)
    # None only on entries written before the chain was keyed (plain SHA-256).
    key_id = fields.CharField(max_length=16, null=True)

    class Meta:
        table = "audit_entry"


class AuditChainHead(Model):
    """The single row every append locks first, so concurrent writers cannot fork the chain."""

    id = fields.IntField(primary_key=True, generated=False)
    seq = fields.BigIntField(default=0)
    last_hash = fields.CharField(max_length=64, default="")

    class Meta:
        table = "audit_chain_head"
