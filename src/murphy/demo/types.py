"""What kind of incident each demo story is, in the shipped taxonomy packs.

The hospital uses the healthcare pack, the campus and the data centre the corporate
pack. Each story kind has a type code; some titles of a kind are another type (a Code
Grey is a combative patient, not verbal abuse). A few types are restricted: the people
who work those incidents hold the clearance (see people.py). Pure: no database.
"""

from __future__ import annotations

from murphy.demo.places import CAMPUS, DATACENTER, HOSPITAL

# (site, kind key) -> type code
TYPES: dict[tuple[str, str], str] = {
    (HOSPITAL, "ed-aggression"): "hc.wpv.type2",
    (HOSPITAL, "elopement"): "hc.patient.elopement",
    (HOSPITAL, "theft"): "hc.property.theft",
    (HOSPITAL, "weapon"): "hc.weapons.found",
    (HOSPITAL, "medical"): "safety.medical",
    (HOSPITAL, "threat"): "hc.wpv.type1",
    (HOSPITAL, "lost-property"): "hc.patient.property",
    (HOSPITAL, "vehicle-crime"): "hc.property.vehicle",
    (HOSPITAL, "trespass"): "hc.property.trespass",
    (HOSPITAL, "infant-tag"): "hc.patient.infant_abduction",
    (HOSPITAL, "fire-alarm"): "hc.emergency.fire",
    (HOSPITAL, "pharmacy"): "hc.drugs.security",
    (HOSPITAL, "forged-rx"): "fraud.impersonation",
    (HOSPITAL, "helipad"): "hc.property.restricted_area",
    (HOSPITAL, "parking"): "hc.property.vehicle",
    (HOSPITAL, "safeguarding"): "hc.safeguarding.adult",
    (CAMPUS, "intruder-alarm"): "intrusion.alarm",
    (CAMPUS, "fence-alarm"): "intrusion.alarm",
    (CAMPUS, "trespassers"): "intrusion.trespass",
    (CAMPUS, "theft-night"): "theft.vehicle",
    (CAMPUS, "theft-office"): "theft.personal",
    (CAMPUS, "tailgating"): "access.tailgating",
    (CAMPUS, "door-alarm"): "access.held_door",
    (CAMPUS, "suspicious-package"): "suspicious.package",
    (CAMPUS, "lost-badge"): "access.lost_badge",
    (CAMPUS, "aggressive-visitor"): "violence.threat",
    (CAMPUS, "medical"): "safety.medical",
    (CAMPUS, "fire-alarm"): "safety.fire_alarm",
    (CAMPUS, "vehicle"): "suspicious.vehicle",
    (CAMPUS, "protest"): "civil.protest",
    (CAMPUS, "data-room"): "intrusion.trespass",
    (CAMPUS, "hr-matter"): "investigation.hr.harassment",
    (DATACENTER, "tailgating"): "access.tailgating",
    (DATACENTER, "door-alarm"): "access.held_door",
    (DATACENTER, "fence"): "intrusion.alarm",
    (DATACENTER, "unescorted"): "intrusion.trespass",
    (DATACENTER, "cage-open"): "access.key_control",
    (DATACENTER, "shipping"): "fraud.impersonation",
    (DATACENTER, "suspicious-vehicle"): "suspicious.vehicle",
    (DATACENTER, "drone"): "suspicious.person",
    (DATACENTER, "vesda"): "safety.fire_alarm",
    (DATACENTER, "generator"): "crossover.security_system",
    (DATACENTER, "lost-card"): "access.lost_badge",
    (DATACENTER, "cyber-physical"): "crossover.rogue_device",
    (DATACENTER, "cctv"): "crossover.security_system",
}

# (site, kind key, title index) -> type code, where a title is another type
BY_TITLE: dict[tuple[str, str, int], str] = {
    (HOSPITAL, "ed-aggression", 0): "hc.wpv.type2.verbal",
    (HOSPITAL, "ed-aggression", 1): "hc.wpv.type2.verbal",
    (HOSPITAL, "ed-aggression", 4): "hc.behaviour.disruptive",
    (HOSPITAL, "ed-aggression", 5): "hc.behaviour.combative",
    (HOSPITAL, "elopement", 2): "hc.patient.missing",
    (HOSPITAL, "theft", 0): "hc.patient.property",
    (HOSPITAL, "theft", 3): "hc.patient.property",
    (HOSPITAL, "medical", 1): "safety.medical.injury",
    (HOSPITAL, "threat", 1): "hc.behaviour.disruptive",
    (HOSPITAL, "threat", 2): "hc.property.trespass",
    (HOSPITAL, "pharmacy", 1): "hc.drugs.diversion",
    (HOSPITAL, "helipad", 0): "suspicious.person",
    (HOSPITAL, "parking", 3): "damage.vehicle_collision",
    (CAMPUS, "theft-night", 1): "theft.vehicle.contents",
    (CAMPUS, "theft-night", 2): "theft.vehicle.contents",
    (CAMPUS, "theft-night", 3): "theft.vehicle.contents",
    (CAMPUS, "theft-office", 1): "theft.property.it",
    (CAMPUS, "tailgating", 2): "access.misuse",
    (CAMPUS, "door-alarm", 1): "access.forced_door",
    (CAMPUS, "data-room", 1): "access.misuse",
    (DATACENTER, "tailgating", 0): "access.misuse",
    (DATACENTER, "door-alarm", 1): "access.forced_door",
    (DATACENTER, "shipping", 1): "theft.property",
    (DATACENTER, "generator", 1): "access.held_door",
    (DATACENTER, "cyber-physical", 2): "fraud.impersonation",
}

# Types that only cleared people see, with their clearance (as the packs say).
RESTRICTED: dict[str, str] = {
    "hc.drugs.diversion": "investigations",
    "hc.safeguarding.adult": "safeguarding",
    "investigation.hr.harassment": "hr",
}


def type_of(site: str, key: str, title: int) -> str:
    """The type code of a story of kind `key` at `site` told with title number `title`."""
    return BY_TITLE.get((site, key, title)) or TYPES[(site, key)]


def clearance_of(site: str, key: str, title: int) -> str | None:
    """The clearance needed to see such a story once it is classified, if any."""
    return RESTRICTED.get(type_of(site, key, title))
