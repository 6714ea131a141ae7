"""Report state machine, the Open311 status mapping, distances and address masking."""

from __future__ import annotations

import itertools

import pytest

from services.community.communities import distance_m
from services.community.enums import ReportStatus
from services.community.errors import IllegalReportTransition
from services.community.membership import mask_address
from services.community.reports import report_transition

ALLOWED = {
    (ReportStatus.OPEN, ReportStatus.IN_PROGRESS),
    (ReportStatus.OPEN, ReportStatus.RESOLVED),
    (ReportStatus.OPEN, ReportStatus.CLOSED),
    (ReportStatus.OPEN, ReportStatus.DUPLICATE),
    (ReportStatus.IN_PROGRESS, ReportStatus.RESOLVED),
    (ReportStatus.IN_PROGRESS, ReportStatus.CLOSED),
    (ReportStatus.IN_PROGRESS, ReportStatus.DUPLICATE),
    (ReportStatus.RESOLVED, ReportStatus.CLOSED),
}


@pytest.mark.parametrize(("current", "target"), list(itertools.product(ReportStatus, ReportStatus)))
def test_report_transition__only_the_drawn_moves(current: ReportStatus, target: ReportStatus) -> None:
    if (current, target) in ALLOWED:
        assert report_transition(current, target) is target
    else:
        with pytest.raises(IllegalReportTransition):
            report_transition(current, target)


def test_report_status__open311_knows_open_and_closed() -> None:
    assert {s: s.open311 for s in ReportStatus} == {
        ReportStatus.OPEN: "open",
        ReportStatus.IN_PROGRESS: "open",
        ReportStatus.RESOLVED: "closed",
        ReportStatus.CLOSED: "closed",
        ReportStatus.DUPLICATE: "closed",
    }


def test_distance_m__haversine_in_metres() -> None:
    assert distance_m(35.0952, 112.5868, 35.0952, 112.5868) == 0
    # 0.001 degree of latitude is ~111 m everywhere.
    assert 110 < distance_m(35.0, 112.5, 35.001, 112.5) < 112
    # 济源 centre to 王屋 is ~30 km.
    assert 25_000 < distance_m(35.09, 112.59, 35.1188, 112.2822) < 30_000


def test_mask_address__keeps_the_area_hides_the_door() -> None:
    masked = mask_address("河南省济源市沁园街道宣化街12号3单元401")
    assert masked == "河南省济源市沁园街道****"
    assert "401" not in masked
    assert mask_address(None) is None and mask_address("") == ""
