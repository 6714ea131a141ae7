"""Platform tables shared by every domain: the outbox and idempotency records."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model

from services.common.ids import new_id

__all__ = ["IdempotencyRecord", "OutboxMessage", "OutboxStatus"]


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
