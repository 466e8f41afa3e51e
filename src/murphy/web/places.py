"""The place picker: one select for a building, a floor or a zone of a site.

An option's value is 'SITE/BUILDING/FLOOR/ZONE' with empty parts (a zone implies its
floor and building, so a zone is 'SITE///ZONE'). The options are rendered by the
`place_picker` macro of templates/_macros.html from a SiteDetail.
"""

from __future__ import annotations

from collections.abc import Callable

from murphy.core.errors import ValidationFailed
from murphy.sites.schemas import PlaceIn, PlaceOut, SiteDetail
from murphy.web.forms import validated


def parse(value: str, detail: str, *, site: str) -> PlaceIn | None:
    """The place picked (plus the exact spot typed), checked to belong to `site`."""
    if not value.strip():
        return validated(PlaceIn, detail=detail) if detail.strip() else None
    parts = value.strip().split("/")
    if len(parts) != 4:
        raise ValidationFailed("unknown place: pick one from the list")
    owner, building, floor, zone = parts
    chosen = site.strip().upper()
    if chosen and owner != chosen:
        raise ValidationFailed(
            f"the place you picked is on site {owner}, not {chosen}: "
            f"pick a place on {chosen}, or change the site"
        )
    return validated(
        PlaceIn, building=building or None, floor=floor or None, zone=zone or None, detail=detail
    )


def value(site: str, place: PlaceOut) -> str:
    """The picker value that selects a record's current place."""
    if place.zone:
        return f"{site}///{place.zone.code}"
    if place.building and place.floor:
        return f"{site}/{place.building.code}/{place.floor.code}/"
    if place.building:
        return f"{site}/{place.building.code}//"
    return ""


def describer(detail: SiteDetail) -> Callable[[dict[str, str | None] | None], str]:
    """A function that puts a place recorded as codes (as timelines do) into words."""
    names: dict[str, str] = {}
    for b in detail.buildings:
        names[f"b:{b.code}"] = b.name
        names.update({f"z:{z.code}": z.name for z in b.zones})
        for f in b.floors:
            names[f"f:{b.code}/{f.code}"] = f.name
            names.update({f"z:{z.code}": z.name for z in f.zones})
    names.update({f"z:{z.code}": z.name for z in detail.outdoor_zones})

    def describe(codes: dict[str, str | None] | None) -> str:
        if not codes:
            return "no place given"
        b, f, z = codes.get("building"), codes.get("floor"), codes.get("zone")
        parts = [
            names.get(f"b:{b}", b) if b else None,
            names.get(f"f:{b}/{f}", f) if f else None,
            names.get(f"z:{z}", z) if z else None,
            (codes.get("detail") or "").strip() or None,
        ]
        return " · ".join(p for p in parts if p) or "no place given"

    return describe
