"""Floor plans for the demo: every demo floor with two zones or more gets a drawn plan
(a PNG made here, no image library) with its zones outlined on it, so the board's floor
view has something to show out of the box.

The plan is a simple architect's sketch: the outer wall, a corridor along the middle,
the zones as rooms either side of it with a door onto the corridor, and a stair core.
"""

from __future__ import annotations

import struct
import zlib

from sqlalchemy.orm import Session

from murphy.demo.places import SITES
from murphy.sites import service as sites_service
from murphy.sites.schemas import OutlineIn
from murphy.users.schemas import Permission, Principal

WIDTH, HEIGHT = 1400, 800
MARGIN = 40
CORRIDOR = (370, 430)  # the corridor's top and bottom, in pixels
WALL = 6
PAPER, LINE, FLOOR, CORE = 255, 40, 236, 200

Box = tuple[int, int, int, int]  # left, top, right, bottom


def create_plans(session: Session, principals: dict[str, Principal]) -> int:
    """Upload a plan for each demo floor with two zones or more and draw its zones;
    returns how many plans."""
    admin = next(p for p in principals.values() if p.can(Permission.MANAGE_SITES))
    made = 0
    for site in SITES:
        for building in site.buildings:
            for floor in building.floors:
                if len(floor.zones) < 2:
                    continue
                rooms = layout(len(floor.zones))
                sites_service.set_plan(
                    session,
                    principal=admin,
                    site=site.code,
                    building_code=building.code,
                    floor_code=floor.code,
                    upload=png(rooms),
                )
                for (code, _), (left, top, right, bottom) in zip(floor.zones, rooms, strict=True):
                    corners = [(left, top), (right, top), (right, bottom), (left, bottom)]
                    sites_service.set_outline(
                        session,
                        principal=admin,
                        site=site.code,
                        zone_code=code,
                        data=OutlineIn(points=[(float(x), float(y)) for x, y in corners]),
                    )
                made += 1
    return made


def layout(count: int) -> list[Box]:
    """`count` rooms, half above the corridor and half below, leaving room for the
    stair core at the right-hand end."""
    above = (count + 1) // 2
    rows = [(MARGIN, CORRIDOR[0], above), (CORRIDOR[1], HEIGHT - MARGIN, count - above)]
    right = WIDTH - MARGIN - 160  # the stair core
    rooms = []
    for top, bottom, n in rows:
        for i in range(n):
            left = MARGIN + (right - MARGIN) * i // n
            rooms.append((left, top, MARGIN + (right - MARGIN) * (i + 1) // n, bottom))
    return rooms


def png(rooms: list[Box]) -> bytes:
    """The plan as an 8-bit greyscale PNG."""
    pixels = [bytearray([PAPER]) * WIDTH for _ in range(HEIGHT)]
    _fill(pixels, (MARGIN, MARGIN, WIDTH - MARGIN, HEIGHT - MARGIN), FLOOR)
    core = (WIDTH - MARGIN - 160, MARGIN, WIDTH - MARGIN, HEIGHT - MARGIN)
    _fill(pixels, core, CORE)
    for step in range(core[1] + 20, core[3] - 20, 24):  # the stairs' treads
        _fill(pixels, (core[0] + 30, step, core[2] - 30, step + 3), LINE)
    for left, top, right, bottom in rooms:
        _outline(pixels, (left, top, right, bottom), WALL // 2)
        door = (left + right) // 2
        edge = bottom if top < CORRIDOR[0] else top  # the wall onto the corridor
        _fill(pixels, (door - 30, edge - WALL, door + 30, edge + WALL), FLOOR)
    _outline(pixels, (MARGIN, MARGIN, WIDTH - MARGIN, HEIGHT - MARGIN), WALL)
    raw = b"".join(b"\x00" + bytes(row) for row in pixels)
    header = struct.pack(">IIBBBBB", WIDTH, HEIGHT, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(raw, 6))
        + _chunk(b"IEND", b"")
    )


def _fill(pixels: list[bytearray], box: Box, value: int) -> None:
    left, top, right, bottom = box
    run = bytes([value]) * (right - left)
    for y in range(max(top, 0), min(bottom, HEIGHT)):
        pixels[y][left:right] = run


def _outline(pixels: list[bytearray], box: Box, half: int) -> None:
    left, top, right, bottom = box
    _fill(pixels, (left - half, top - half, right + half, top + half), LINE)
    _fill(pixels, (left - half, bottom - half, right + half, bottom + half), LINE)
    _fill(pixels, (left - half, top - half, left + half, bottom + half), LINE)
    _fill(pixels, (right - half, top - half, right + half, bottom + half), LINE)


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
