"""What happens at Noordhaven Data Centre AMS1 (Amsterdam).

Tags such as '[t1,referred_police]' tie a text to some titles (t0 is the first) or outcomes.
"""

from __future__ import annotations

from murphy.demo.stories import Code, Kind

C = Code
HALLS = ("DH1", "DH2", "DH3")

DATACENTER_KINDS: tuple[Kind, ...] = (
    Kind(
        "tailgating",
        8,
        "business",
        ("[t0] MANTRAP", "[t2] SECLOBBY", "[t1,t2] DH1", "[t1,t2] DH2", "[t1,t2] DH3"),
        titles=(
            "Mantrap dual-occupancy alarm",
            "Tailgating into {the_zone} by a customer engineer",
            "Contractor followed the escort through {the_zone} door without badging",
        ),
        details=(
            "[t0] Mantrap weight sensor detected two people on one badge read (badge {badge}).",
            "[t1,t2] Camera {camera} shows {subject} entering directly behind a badge holder.",
        ),
        notes=(
            "[resolved,no_further_action] Both persons identified: customer engineers on the "
            "same ticket. Second person had not completed enrolment.",
            "Customer's security contact informed; access reminder sent.",
            "[resolved] Visitor escorted back to the security lobby to badge in properly.",
            "Badge {badge} suspended pending the customer's review.",
        ),
        outcomes=((C.RESOLVED, 50), (C.NO_FURTHER_ACTION, 35), (C.UNFOUNDED, 15)),
        source="alarm",
        urgency=2,
        work=(5, 45),
        lag=(0, 2),
    ),
    Kind(
        "door-alarm",
        8,
        "flat",
        (*HALLS, "MMR", "UPS", "SWGR", "LOADBAY", "ROOF"),
        titles=("Door held open alarm: {Zone}, {door}", "Door forced alarm: {Zone}, {door}"),
        details=(
            "[t0] Door open beyond the 30-second limit.",
            "[t1] Door contact opened without a valid badge read.",
        ),
        notes=(
            "[t0] Engineer propping the door to move a rack; door closed and engineer briefed.",
            "[resolved] Door closer broken; facilities ticket {wo}.",
            "[resolved] Latch not engaging after the last maintenance; temporary guard posted.",
            "[t1,false_alarm] Door found closed and locked; REX sensor triggered by a trolley.",
        ),
        outcomes=((C.FALSE_ALARM, 80), (C.RESOLVED, 20)),
        source="alarm",
        urgency=2,
        work=(5, 30),
        lag=(0, 0),
        duplicates=0.1,
    ),
    Kind(
        "fence",
        7,
        "night",
        ("FENCE-N", "FENCE-E", "FENCE-S", "FENCE-W"),
        titles=(
            "Perimeter intrusion alarm: {Zone}, sector {sector}",
            "PIDS alarm on {the_zone}: movement on camera",
        ),
        details=(
            "[t0] Perimeter intrusion detection in alarm on sector {sector}.",
            "[t1] PIDS alarm with a thermal camera hit; object small and moving fast.",
        ),
        notes=(
            "[false_alarm] Thermal camera shows a fox running along the fence.",
            "[false_alarm] Heavy wind gusts; sector sensitivity reviewed with the integrator.",
            "[false_alarm] Heron landed on the fence top near the canal.",
            "Foot patrol of the fence line: fabric intact, no cuts.",
            "[resolved,no_further_action,referred_police] Fresh footprints on the canal side; "
            "nobody found.",
        ),
        outcomes=(
            (C.FALSE_ALARM, 80),
            (C.RESOLVED, 10),
            (C.REFERRED_POLICE, 3),
            (C.NO_FURTHER_ACTION, 7),
        ),
        summaries=((C.FALSE_ALARM, "Wildlife on camera; sector reset. No breach of the fence."),),
        source="alarm",
        urgency=2,
        work=(5, 40),
        lag=(0, 0),
        duplicates=0.2,
    ),
    Kind(
        "unescorted",
        4,
        "business",
        (*HALLS, "MMR", "BUILDROOM"),
        titles=(
            "Unescorted visitor found in {the_zone}",
            "Customer engineer working in the wrong cage in {the_zone}",
        ),
        details=(
            "[t0] Patrol found a visitor badge holder alone; the escort had gone for coffee.",
            "[t1] Engineer working on rack {cage}, not on his authorised list.",
        ),
        notes=(
            "[t0] Escort returned; both reminded of the escort rules.",
            "[t1,resolved] Customer confirmed the work on {cage}; access list updated.",
            "[t1] Engineer removed from the hall pending confirmation.",
        ),
        outcomes=((C.RESOLVED, 60), (C.NO_FURTHER_ACTION, 40)),
        source="patrol",
        urgency=2,
        work=(10, 60),
    ),
    Kind(
        "cage-open",
        3,
        "flat",
        HALLS,
        titles=(
            "Customer cage {cage} found unlocked on patrol",
            "Rack door open in {the_zone}, cage {cage}",
        ),
        details=("Hourly patrol found it unlocked and nobody working inside.",),
        notes=(
            "Cage locked; customer informed through the portal.",
            "Last access event: {seen}, customer engineer.",
        ),
        outcomes=((C.RESOLVED, 90), (C.NO_FURTHER_ACTION, 10)),
        source="patrol",
        urgency=3,
        work=(5, 30),
    ),
    Kind(
        "shipping",
        4,
        "business",
        ("[t0,t1] LOADBAY", "[t1] SHIPREC", "[t2] GATEHOUSE"),
        titles=(
            "Unannounced delivery at the loading bay",
            "Equipment removal without an approved removal pass",
            "Courier refused the ID check at the gatehouse",
        ),
        details=(
            "[t0] {vehicle} ({plate}) with {count} pallets; no booking in the shipping system.",
            "[t1] Engineer trying to take out {count} servers; removal pass not in the system.",
            "[t2] Courier refused to show ID and wanted to leave the parcel at the gate.",
        ),
        notes=(
            "[t0] Customer confirmed the delivery; booked in.",
            "[t1] Removal stopped until the customer's authorised contact approves it.",
            "[t1,resolved] Removal pass approved at {clock}; serial numbers checked.",
            "[t2] Parcel accepted by shipping after the courier showed ID.",
        ),
        outcomes=((C.RESOLVED, 70), (C.NO_FURTHER_ACTION, 20), (C.UNFOUNDED, 10)),
        urgency=3,
        work=(10, 90),
    ),
    Kind(
        "suspicious-vehicle",
        3,
        "night",
        ("[t0] GATEHOUSE", "[t0] CARPARK", "FENCE-E", "[t0] FENCE-S"),
        titles=(
            "Suspicious vehicle parked near {the_zone}",
            "Vehicle occupants filming the site from the canal road",
        ),
        details=(
            "[t0] {vehicle} ({plate}) parked with lights off for over 30 minutes.",
            "[t1] Two people in {vehicle} ({plate}) filming the fence line.",
        ),
        notes=(
            "Vehicle left when the patrol approached; plate logged.",
            "[t0,resolved,no_further_action] Driver was waiting for a night-shift colleague.",
            "[referred_police] Plate shared with {police} ({police_ref}).",
        ),
        outcomes=((C.NO_FURTHER_ACTION, 60), (C.RESOLVED, 30), (C.REFERRED_POLICE, 10)),
        source="patrol",
        urgency=2,
        work=(10, 60),
        reopens=0.03,
    ),
    Kind(
        "drone",
        1,
        "day",
        ("[t0] GENYARD", "[t0] FENCE-N", "[t1] ROOF"),
        titles=("Drone flying over {the_zone}", "Drone hovering near the roof plant"),
        details=("Small quadcopter at about 40 m; operator not in sight.",),
        notes=(
            "Drone left towards the north after {minutes} minutes.",
            "Video saved from {camera}.",
        ),
        outcomes=((C.REFERRED_POLICE, 50), (C.NO_FURTHER_ACTION, 50)),
        urgency=2,
        work=(10, 45),
    ),
    Kind(
        "vesda",
        2,
        "flat",
        (*HALLS, "UPS", "BUILDROOM"),
        titles=("VESDA pre-alarm in {the_zone}", "Fire alarm activation: {Zone}"),
        details=(
            "Aspirating smoke detection at Alert level.",
            "Fire panel in alarm; no sprinkler flow.",
        ),
        notes=(
            "[false_alarm] Dust from the cabling works in the next row; works paused.",
            "[resolved] Smell of hot electronics traced to a failed PSU in cage {cage}; customer "
            "informed.",
        ),
        outcomes=((C.FALSE_ALARM, 85), (C.RESOLVED, 15)),
        source="alarm",
        urgency=1,
        work=(10, 45),
        lag=(0, 0),
        duplicates=0.1,
    ),
    Kind(
        "generator",
        2,
        "flat",
        ("[t0,t2] GENYARD", "[t1] FUEL"),
        titles=(
            "Unbooked fuel delivery at the generator yard",
            "Gate to the fuel tank farm found open",
            "Generator yard camera {camera} offline",
        ),
        details=(
            "[t0] Tanker at the gate; no delivery booked for today.",
            "[t1] Patrol found the gate unlocked during the round.",
            "[t2] Video management system reports video loss on {camera}.",
        ),
        notes=(
            "[t0] Fuel supplier confirmed the delivery; booking error.",
            "[t1] Gate padlocked; key register checked.",
            "[t2] Power cycled through the PoE switch; back online.",
        ),
        outcomes=((C.RESOLVED, 80), (C.REFERRED_EXTERNAL, 20)),
        urgency=2,
        work=(10, 90),
    ),
    Kind(
        "lost-card",
        3,
        "business",
        ("SECLOBBY",),
        titles=(
            "Lost access card reported by a customer",
            "Access card not returned by a departing contractor",
        ),
        details=(
            "[t0] Card {badge} lost; the customer asked for it to be blocked.",
            "[t1] Contractor left site with card {badge}; the vendor cannot reach him.",
        ),
        notes=("Card {badge} blocked.", "Customer's access list updated."),
        outcomes=((C.RESOLVED, 95), (C.NO_FURTHER_ACTION, 5)),
        summaries=((C.RESOLVED, "Card {badge} blocked in access control."),),
        urgency=3,
        work=(5, 30),
    ),
    Kind(
        "cyber-physical",
        1.5,
        "business",
        ("[t0,t2] NOC", "[t1] MMR"),
        titles=(
            "Unknown USB device found in a NOC console",
            "Port patched without a change ticket in the meet-me room",
            "Phishing call to the NOC asking for a customer access list",
        ),
        details=(
            "[t0] NOC engineer found a USB stick plugged into a console nobody claims.",
            "[t1] Cross-connect audit found a new patch on panel {cage} with no ticket.",
            "[t2] Caller posing as a customer asked for the names on their access list.",
        ),
        notes=(
            "[t0] Device bagged and handed to the SOC for analysis.",
            "[t1] Change ticket found; it had been filed under the wrong site.",
            "[t0] SOC checked the console logs: no execution from removable media.",
            "[t2] Customer confirmed nobody of theirs called; call log passed to the SOC.",
        ),
        outcomes=((C.RESOLVED, 60), (C.REFERRED_EXTERNAL, 20), (C.UNFOUNDED, 20)),
        summaries=((C.REFERRED_EXTERNAL, "Handed to the SOC and the customer's CERT."),),
        staff=("lars.mulder",),
        urgency=2,
        work=(60, 2880),
        resolver="supervisor",
        reopens=0.05,
    ),
    Kind(
        "cctv",
        2,
        "flat",
        ("FENCE-N", "FENCE-E", "CARPARK", "LOADBAY"),
        titles=(
            "CCTV camera offline: {Zone}, {camera}",
            "Camera {camera} view obstructed at {the_zone}",
        ),
        details=(
            "[t0] Video management system reports video loss.",
            "[t1] Operator reports the picture blurred and partly blocked.",
        ),
        notes=(
            "[t0] Power cycled through the PoE switch; back online.",
            "[t1] Spider web across the lens; cleaned.",
        ),
        outcomes=((C.RESOLVED, 90), (C.NO_FURTHER_ACTION, 10)),
        source="alarm",
        urgency=3,
        work=(10, 240),
        lag=(0, 0),
    ),
)
