from __future__ import annotations

import pytest

from services.common.geo import distance_m, parse_lat_lng


def test_distance__city_hall_to_wangwu_is_about_32_km() -> None:
    # 济源市民之家 (35.067, 112.602) to 王屋山 (35.136, 112.263): about 31.6 km as the crow flies.
    assert 31_000 < distance_m((35.067, 112.602), (35.136, 112.263)) < 32_500
    assert distance_m((35.0, 112.0), (35.0, 112.0)) == 0


@pytest.mark.parametrize("text", ["35.1", "a,b", "91,0", "0,181", "nan,1", "inf,1", "1,2,3", ""])
def test_parse_lat_lng__refuses_what_is_not_a_point(text: str) -> None:
    with pytest.raises(ValueError):
        parse_lat_lng(text)


def test_parse_lat_lng__reads_a_point() -> None:
    assert parse_lat_lng(" 35.1, 112.4") == (35.1, 112.4)
