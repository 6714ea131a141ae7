"""HTTP adapter to the scenic areas' ticketing and gate system (闸机/票务系统).

GET  /gates/occupancy?areas=a,b        -> {"areas": [{"area_code", "occupancy", "entries", "exits", "measured_at"}]}
POST /tickets  (X-Event-Id dedupes)    -> {"ticket_id", "booking_id"}
DELETE /tickets/<id>                   -> void (booking cancelled)
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from integrations.errors import IntegrationProtocolError, IntegrationRejected, IntegrationUnavailable
from integrations.http import HttpAdapter
from integrations.ticketing.errors import GateSystemDown, TicketRejected
from integrations.ticketing.types import GateOccupancy, IssuedTicket, TicketRequest

__all__ = ["TicketingClient"]


class TicketingClient(HttpAdapter):
    """Satisfies services.tourism.ports.TicketingSystem."""

    system = "ticketing"

    async def occupancy(self, area_codes: list[str]) -> list[GateOccupancy]:
        """Current occupancy of each area the gate system knows among `area_codes`."""
        try:
            data = await self.request_json("GET", "/gates/occupancy", params={"areas": ",".join(area_codes)})
        except IntegrationUnavailable as error:
            raise GateSystemDown(self.system, str(error), status=error.status) from error
        try:
            return [
                GateOccupancy(
                    area_code=str(item["area_code"]),
                    occupancy=max(0, int(item["occupancy"])),
                    entries=int(item.get("entries", 0)),
                    exits=int(item.get("exits", 0)),
                    measured_at=_parse_time(item["measured_at"]),
                )
                for item in data["areas"]
            ]
        except (KeyError, TypeError, ValueError) as error:
            raise IntegrationProtocolError(self.system, "malformed occupancy answer") from error

    async def issue_ticket(self, request: TicketRequest) -> IssuedTicket:
        """Issue a real-name ticket; safe to retry with the same event id (the system deduplicates)."""
        body: dict[str, Any] = {
            "booking_id": request.booking_id,
            "area_code": request.area_code,
            "entry_start": request.entry_start.isoformat(),
            "entry_end": request.entry_end.isoformat(),
            "visitors": [
                {"name": v.name, "id_type": v.id_type, "id_number": v.id_number} for v in request.visitors
            ],
            "check_in_code": request.check_in_code,
        }
        try:
            data = await self.request_json(
                "POST",
                "/tickets",
                json_body=body,
                headers={"X-Event-Id": request.event_id},
                idempotent=True,  # the event id makes a repeat harmless
            )
        except IntegrationRejected as error:
            raise TicketRejected(self.system, str(error), remote_code=error.remote_code) from error
        try:
            return IssuedTicket(ticket_id=str(data["ticket_id"]), booking_id=str(data["booking_id"]))
        except (KeyError, TypeError) as error:
            raise IntegrationProtocolError(self.system, "malformed ticket answer") from error

    async def void_ticket(self, ticket_id: str) -> None:
        """Void a ticket (its booking was cancelled); voiding twice is harmless."""
        try:
            await self.request_json("DELETE", f"/tickets/{ticket_id}")
        except IntegrationRejected as error:
            if error.status == 404:
                return  # never issued there, or already gone: nothing opens the gate
            raise TicketRejected(self.system, str(error), remote_code=error.remote_code) from error


def _parse_time(value: Any) -> dt.datetime:
    moment = dt.datetime.fromisoformat(str(value))
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
