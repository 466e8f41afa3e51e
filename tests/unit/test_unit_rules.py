"""The dispatch rules without a database: distances, nearness, ranking, status moves."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from murphy.core.errors import Conflict, ValidationFailed
from murphy.units import rules
from murphy.units.rules import Candidate, Spot
from murphy.units.schemas import ResourceStatus, UnitStatus

U = UnitStatus


def test_haversine_matches_known_distances() -> None:
    # one degree of latitude is ~111.2 km; Paris-London ~343.5 km
    a, b = Spot(latitude=0.0, longitude=0.0), Spot(latitude=1.0, longitude=0.0)
    assert rules.distance_m(a, b) == pytest.approx(111_195, rel=1e-3)
    paris, london = (
        Spot(latitude=48.8566, longitude=2.3522),
        Spot(latitude=51.5074, longitude=-0.1278),
    )
    assert rules.distance_m(paris, london) == pytest.approx(343_500, rel=5e-3)
    assert rules.distance_m(a, Spot(site_id=1)) is None


@given(st.floats(-89, 89), st.floats(-179, 179), st.floats(-89, 89), st.floats(-179, 179))
def test_distance_is_symmetric_and_never_negative(lat1, lon1, lat2, lon2) -> None:  # type: ignore[no-untyped-def]
    a, b = Spot(latitude=lat1, longitude=lon1), Spot(latitude=lat2, longitude=lon2)
    there, back = rules.distance_m(a, b), rules.distance_m(b, a)
    assert there is not None and back is not None
    assert there >= 0 and there == pytest.approx(back, abs=1e-6)
    assert there <= 3.1416 * rules.EARTH_RADIUS_M + 1


def test_nearness_prefers_the_most_telling_measure() -> None:
    incident = Spot(
        site_id=1, building_id=10, floor_id=100, zone_id=7, level=1, latitude=51.5, longitude=0.0
    )
    same_zone = Spot(site_id=1, building_id=10, floor_id=100, zone_id=7, level=1)
    assert rules.nearness(same_zone, incident)[1] == "in the same zone"
    # building coordinates only, same building: floors tell more than "0 m"
    upstairs = Spot(
        site_id=1, building_id=10, floor_id=103, zone_id=9, level=4, latitude=51.5, longitude=0.0
    )
    metres, words, exact = rules.nearness(upstairs, incident)
    assert words == "in the same building, 3 floors apart" and exact is None
    assert metres == rules.SAME_BUILDING_M + 3 * rules.PER_FLOOR_M
    gps = Spot(site_id=1, latitude=51.5009, longitude=0.0, how="gps", precise=True)
    metres, words, exact = rules.nearness(gps, incident)
    assert words == "100 m away" and exact == pytest.approx(100, abs=1)
    far = Spot(site_id=1, latitude=51.52, longitude=0.0, precise=True)
    assert rules.nearness(far, incident)[1] == "2.2 km away"
    assert rules.nearness(Spot(site_id=1, how="home"), incident)[1] == "on site, position unknown"
    assert rules.nearness(Spot(site_id=2), incident)[1] == "at another site"


def cand(
    callsign: str,
    status: UnitStatus = U.AVAILABLE,
    *,
    on_duty: bool = True,
    skills: tuple[str, ...] = ("first_aid",),
    spot: Spot | None = None,
    active: bool = True,
    busy_with: str | None = None,
) -> Candidate:
    return Candidate(
        callsign, "", status, on_duty, active, frozenset(skills), spot or Spot(site_id=1), busy_with
    )


def test_recommend_ranks_eligible_then_lacking_then_the_rest() -> None:
    incident = Spot(site_id=1, zone_id=7)
    picks = rules.recommend(
        [
            cand("BUSY", U.ON_SCENE, busy_with="INC-1"),
            cand("NEAR", spot=Spot(site_id=1, zone_id=7)),
            cand("OFF", on_duty=False, spot=Spot(site_id=1, zone_id=7)),
            cand("NOSKILL", skills=(), spot=Spot(site_id=1, zone_id=7)),
            cand("FAR"),
            cand("GONE", active=False),
        ],
        incident,
        ["first_aid"],
    )
    # the rest by nearness too: the off-duty unit stands in the zone, the busy one on site
    assert [p.unit for p in picks] == ["NEAR", "FAR", "NOSKILL", "OFF", "BUSY"]
    by = {p.unit: p for p in picks}
    assert by["NEAR"].eligible and not by["NOSKILL"].eligible
    assert by["NOSKILL"].missing_skills == ["first_aid"]
    assert by["BUSY"].reason == "On scene to INC-1 · on site"
    assert by["OFF"].reason.startswith("Off duty")


def test_status_moves() -> None:
    with pytest.raises(ValidationFailed):
        rules.check_status("A1", U.AVAILABLE, U.DISPATCHED, assigned=False)
    with pytest.raises(Conflict, match="has no assignment"):
        rules.check_status("A1", U.AVAILABLE, U.EN_ROUTE, assigned=False)
    with pytest.raises(Conflict, match="already on scene"):
        rules.check_status("A1", U.ON_SCENE, U.EN_ROUTE, assigned=True)
    rules.check_status("A1", U.DISPATCHED, U.ON_SCENE, assigned=True)  # may skip en route
    rules.check_status("A1", U.ON_SCENE, U.OUT_OF_SERVICE, assigned=True)


def test_resource_moves() -> None:
    rs = ResourceStatus
    rules.check_resource_move("Police", rs.REQUESTED, rs.ARRIVED)
    with pytest.raises(Conflict, match="it has ended"):
        rules.check_resource_move("Police", rs.RELEASED, rs.ARRIVED)
    with pytest.raises(Conflict, match="it can go to released"):
        rules.check_resource_move("Police", rs.ARRIVED, rs.CANCELLED)
