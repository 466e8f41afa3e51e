"""What the analytics page shows: the charts (SVG), readable tables and the form's choices."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from murphy.analytics import render
from murphy.analytics.schemas import KINDS, PRIORITIES, Compliance, DashboardOut
from murphy.sites import service as sites_service
from murphy.taxonomy import service as taxonomy_service
from murphy.users.schemas import Principal

KIND_LABELS = {"acknowledge": "Acknowledge", "respond": "Respond", "resolve": "Resolve"}


@dataclass
class Page:
    """The dashboard with its charts ready for the template."""

    data: DashboardOut
    charts: dict[str, str] = field(default_factory=dict)
    compliance: list[dict[str, Any]] = field(default_factory=list)
    plans: list[tuple[str, str]] = field(default_factory=list)  # (floor, SVG)


def page(data: DashboardOut) -> Page:
    """The figures with every chart drawn."""
    v = data.volume
    over = [(_bucket_label(b.start, v.step), b.count) for b in v.over_time]
    one_site = bool(data.filters.site)
    hot = [(_place(p.site, p.label, one_site), float(p.count)) for p in data.places]
    charts = {
        "types": render.bars([(c.label, float(c.count)) for c in v.by_type], title="By type"),
        "sites": render.bars([(c.label, float(c.count)) for c in v.by_site], title="By site"),
        "time": render.columns(over, title=f"Incidents per {v.step}"),
        "heat": render.heat_map(v.hour_of_week, title="Hour of the week"),
        "hot": render.bars(hot, title="Hot spots: busiest places"),
        "effective": render.bars(
            [(c.label, float(c.count)) for c in data.effectiveness], title="Did it fix it?"
        ),
    }
    plans: list[tuple[str, str]] = []
    if data.hot_spots:
        spots = [(s.label, s.latitude, s.longitude, s.count) for s in data.hot_spots.spots]
        if spots:
            charts["hot_map"] = render.hot_map(spots, title="Hot spots on the site map")
        for p in data.hot_spots.plans:
            zones = [(z.label, z.count, z.outline, z.centre) for z in p.zones]
            svg = render.hot_plan(p.url, (p.width, p.height), zones, title=f"Hot spots: {p.name}")
            plans.append((p.name, svg))
    return Page(data=data, charts=charts, compliance=compliance_rows(data.compliance), plans=plans)


def compliance_rows(rows: list[Compliance]) -> list[dict[str, Any]]:
    """One row per clock kind, one cell per priority: met, breached, open and the share met."""
    cells = {(c.kind, c.priority): c for c in rows}
    out = []
    for kind in KINDS:
        mine = [cells[(kind, p)] for p in PRIORITIES if (kind, p) in cells]
        if not mine:
            continue
        out.append({"kind": KIND_LABELS[kind], "cells": [cells.get((kind, p)) for p in PRIORITIES]})
    return out


def _place(site: str, label: str, one_site: bool) -> str:
    """A place for a chart: without the site when only one is shown."""
    return label if one_site else f"{site} · {label}"


def _bucket_label(start: date, step: str) -> str:
    if step == "month":
        return start.strftime("%b %Y")
    return start.strftime("%d %b") if step == "day" else "wk " + start.strftime("%d %b")


def choices(session: Session, *, principal: Principal) -> dict[str, Any]:
    """The sites the caller may see and every type (indented by level) for the form."""
    types: list[tuple[str, str]] = []

    def walk(nodes: list[Any], depth: int) -> None:
        for n in nodes:
            types.append((n.code, "\u2003" * depth + n.name))
            walk(n.children, depth + 1)

    walk(taxonomy_service.tree(session), 0)
    return {"sites": sites_service.visible(session, principal=principal), "types": types}


def duration(seconds: float | None) -> str:
    """A duration for people (re-exported for the template)."""
    return render.duration(seconds)
