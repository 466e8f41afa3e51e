"""What happens at St. Aldric Medical Center (Chicago): garage, grounds, alarms, pharmacy.

Tags such as '[t1,referred_police]' tie a text to some titles (t0 is the first) or outcomes.
"""

from __future__ import annotations

from murphy.demo.stories import Code, Kind

C = Code

SITE_KINDS: tuple[Kind, ...] = (
    Kind(
        "vehicle-crime",
        6,
        "night",
        ("GAR-P1", "GAR-P2", "GAR-P3", "GAR-P4", "LOT-E"),
        titles=(
            "Vehicle broken into in {the_zone}",
            "Catalytic converter stolen from a car in {the_zone}",
            "Person trying car door handles in {the_zone}",
        ),
        details=(
            "[t0] Owner returned from visiting to find the rear window of {vehicle} ({plate}) "
            "smashed and a {item} taken from the seat.",
            "[t1] Night nurse reports a loud roar on start-up; the catalytic converter of "
            "{vehicle} ({plate}) was cut out during her shift.",
            "[t2] Patrol saw {subject} walking along the row pulling door handles.",
        ),
        notes=(
            "[t0,t1] Garage cameras reviewed: {subject} seen near the car at {seen}.",
            "[t0] Glass cleared by EVS; owner given the {police} report line.",
            "[t2] Subject left on foot toward Devonwood Ave before we arrived.",
            "Extra patrols of the garage scheduled for the next three nights.",
        ),
        outcomes=((C.REFERRED_POLICE, 50), (C.NO_FURTHER_ACTION, 40), (C.RESOLVED, 10)),
        urgency=2,
        work=(20, 120),
        lag=(20, 480),
        spots=("", "near stairwell B", "by the elevator lobby", "row F"),
        reopens=0.05,
    ),
    Kind(
        "trespass",
        8,
        "night",
        ("[t0] GAR-P2", "[t0] GAR-P3", "[t1] MOB-LOBBY", "[t1] DOCK", "[t2] LOBBY"),
        titles=(
            "Person sleeping in a garage stairwell",
            "Unauthorized person in {the_zone} after hours",
            "Non-patient asking visitors for money in the main lobby",
        ),
        details=(
            "[t0] Patrol found {subject} asleep on the landing with belongings. Not a patient "
            "or visitor.",
            "[t1] Camera {camera} shows {subject} trying doors near {the_zone}.",
            "[t2] Front desk reports {subject} walking the corridors asking for money.",
        ),
        notes=(
            "[t0,resolved] Subject woken, offered a warming center referral and escorted off "
            "the property.",
            "[unfounded,no_further_action] Subject was a visitor waiting for a ride; no issue.",
            "[resolved,referred_police] Trespass warning issued; name recorded in the banned "
            "persons log.",
            "[t1,t2] Subject left on request without incident.",
        ),
        outcomes=(
            (C.RESOLVED, 50),
            (C.NO_FURTHER_ACTION, 35),
            (C.REFERRED_POLICE, 5),
            (C.UNFOUNDED, 10),
        ),
        source="patrol",
        urgency=2,
        work=(5, 40),
    ),
    Kind(
        "infant-tag",
        3,
        "flat",
        ("MATERNITY", "[t0,t2] NURSERY", "[t0] LND", "[t0] WCP-LOBBY"),
        titles=(
            "Infant tag alarm at {the_zone} exit",
            "Infant security: tag alarm on the stairwell door",
            "Infant tag band-loose alert in {the_zone}",
        ),
        details=(
            "[t0,t1] Infant protection system alarm; unit doors locked down automatically.",
            "[t2] Band-loose alert for one tag; unit doors stay in normal mode.",
        ),
        notes=(
            "All infants accounted for by the charge nurse within {minutes} minutes.",
            "[t2,resolved] Band had loosened on a newborn; re-fitted by nursing.",
            "[t0,t1,false_alarm] Family were carrying a discharged baby whose tag had not been "
            "removed.",
        ),
        outcomes=((C.FALSE_ALARM, 85), (C.RESOLVED, 15)),
        summaries=(
            (C.FALSE_ALARM, "All infants accounted for; tag not deactivated at discharge."),
        ),
        source="alarm",
        urgency=1,
        work=(4, 20),
        lag=(0, 0),
        duplicates=0.1,
    ),
    Kind(
        "fire-alarm",
        3,
        "flat",
        ("CAFE", "4W", "LAB", "GAR-P1", "MOB-LOBBY", "OR"),
        titles=("Fire alarm activation: {Zone}", "Smoke detector activation in {the_zone}"),
        details=("Fire panel shows a smoke detector in alarm. Code Red announced for the zone.",),
        notes=(
            "[false_alarm] Cause: burnt toast in the staff kitchen.",
            "[resolved] Contractor cutting pipe without a hot work permit; work stopped.",
            "CFD on scene at {clock}; all clear given and panel reset.",
            "[false_alarm] Detector head dusty; facilities to replace it ({wo}).",
        ),
        outcomes=((C.FALSE_ALARM, 80), (C.RESOLVED, 20)),
        source="alarm",
        urgency=1,
        work=(10, 45),
        lag=(0, 0),
        duplicates=0.15,
    ),
    Kind(
        "pharmacy",
        1.5,
        "business",
        ("PHARM",),
        titles=(
            "Controlled-substance count discrepancy in the inpatient pharmacy",
            "Dispensing cabinet override pattern flagged on 4 West",
        ),
        details=(
            "[t0] End-of-shift count short by {count} vials of hydromorphone; a second count "
            "confirms it.",
            "[t1] Audit report shows repeated overrides on one cabinet over the last week.",
        ),
        notes=(
            "Vault and cabinet access logs pulled for the last 72 hours.",
            "Statements taken from the staff on duty.",
            "Meeting with the pharmacy director and HR scheduled.",
        ),
        outcomes=((C.REFERRED_EXTERNAL, 40), (C.RESOLVED, 40), (C.UNFOUNDED, 20)),
        summaries=(
            (
                C.REFERRED_EXTERNAL,
                "Reported to the DEA and the state board of pharmacy per policy.",
            ),
            (C.RESOLVED, "[t0] Discrepancy traced to a documentation error; count reconciled."),
            (C.RESOLVED, "[t1] Overrides traced to one user; HR process started."),
        ),
        staff=("samuel.osei",),
        urgency=3,
        work=(240, 5760),
        lag=(30, 480),
        resolver="supervisor",
        reopens=0.08,
    ),
    Kind(
        "forged-rx",
        1,
        "business",
        ("PHARM",),
        titles=("Suspected forged prescription presented at the pharmacy window",),
        details=(
            "Pharmacist suspects a forged prescription; the customer is still waiting at the "
            "window. Description: {subject}.",
        ),
        notes=(
            "[referred_police,no_further_action] Customer left before officers arrived; "
            "description and CCTV clip saved.",
            "Prescriber's office confirmed they never wrote it.",
            "[referred_police] {police} arrived at {clock} and took over.",
        ),
        outcomes=((C.REFERRED_POLICE, 50), (C.RESOLVED, 30), (C.NO_FURTHER_ACTION, 20)),
        summaries=(
            (C.RESOLVED, "Customer refused service and banned from the pharmacy; photo on file."),
        ),
        staff=("samuel.osei",),
        urgency=2,
        work=(10, 60),
    ),
    Kind(
        "helipad",
        0.5,
        "day",
        ("HELIPAD",),
        titles=(
            "Drone sighted near the helipad during a flight arrival",
            "Unauthorized person on the helipad access stairs",
        ),
        details=(
            "[t0] Flight crew reports a small drone hovering 200 ft east of the pad.",
            "[t1] Camera shows {subject} on the roof access stairs.",
        ),
        notes=(
            "[t0] Landing delayed {minutes} minutes; pad secured.",
            "[t0,referred_external] Operator not located; FAA report filed.",
            "[t1] Person was a new EVS employee who took the wrong stairwell.",
        ),
        outcomes=((C.REFERRED_EXTERNAL, 50), (C.RESOLVED, 50)),
        urgency=1,
        work=(10, 60),
    ),
    Kind(
        "parking",
        4,
        "commute",
        ("[t0] ED-AMB", "[t1,t2,t3] GAR-P1", "[t2,t3] LOT-E", "[t3] ENTRANCE"),
        titles=(
            "Vehicle blocking the ambulance entrance",
            "Visitor disputing the parking fee at the P1 pay station",
            "Abandoned vehicle in {the_zone}",
            "Minor collision in {the_zone}",
        ),
        details=(
            "[t0] {vehicle} ({plate}) left unattended in the ambulance lane, engine off.",
            "[t1] Visitor says the pay station charged twice and is blocking the exit lane.",
            "[t2] {vehicle} ({plate}) has not moved for {count} days; expired registration.",
            "[t3] Two vehicles touched while parking; drivers exchanging details but arguing.",
        ),
        notes=(
            "[t0] Owner paged overhead; vehicle moved after {minutes} minutes.",
            "[t2] Tow requested; vehicle removed.",
            "[t1] Parking office refunded the charge.",
            "[t3] Photos of both vehicles taken; details exchanged in our presence.",
        ),
        outcomes=((C.RESOLVED, 80), (C.NO_FURTHER_ACTION, 20)),
        urgency=3,
        work=(5, 45),
    ),
)
