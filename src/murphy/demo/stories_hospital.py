"""What happens at St. Aldric Medical Center (Chicago): in the ED and on the wards.

Tags such as '[t1,referred_police]' tie a text to some titles (t0 is the first) or outcomes.
"""

from __future__ import annotations

from murphy.demo.stories import Code, Kind
from murphy.demo.stories_hospital_site import SITE_KINDS

C = Code

_WARD_KINDS: tuple[Kind, ...] = (
    Kind(
        "ed-aggression",
        14,
        "late",
        ("[t0] ED-TRIAGE", "[t1,t4] ED-WAIT", "[t2,t3,t5] ED-BAYS"),
        titles=(
            "Patient verbally abusive toward triage nurse",
            "Visitor threatening staff in the ED waiting room",
            "Intoxicated patient struck nurse in ED bay {bay}",
            "Aggressive family member refusing to leave ED bay {bay}",
            "Fight between visitors in the ED waiting room",
            "Code Grey: combative patient in ED bay {bay}",
        ),
        details=(
            "[t0] Triage nurse reports {subject} became aggressive after being told about the "
            "wait time. Shouting, swearing and pacing near the triage desk. No injuries so far.",
            "[t1] Visitor threatened to 'come back and sort this out' and kicked a chair. Other "
            "patients moved away. Requesting officer presence.",
            "[t2,t5] Patient brought in by ambulance, intoxicated, pulling at his IV and swinging "
            "at staff. One nurse struck on the forearm. Restraint team requested.",
            "[t3] Son of the patient in bay {bay} is shouting at the resident and refuses to "
            "leave when asked. Staff have stepped out of the bay.",
            "[t4] Two visitors arguing over a parking space escalated into pushing in the "
            "waiting room. One has a cut lip.",
            "[t5] Patient in bay {bay} throwing equipment and threatening staff; sitter "
            "requested by the charge nurse.",
        ),
        notes=(
            "On scene with {partner}. Subject calmed after verbal de-escalation.",
            "[resolved,no_further_action] Standby in the ED continued until the patient was "
            "seen by the physician.",
            "[t2,t5] Four-point restraint applied by clinical staff per order; security assisted.",
            "[t1,t3,t4] Subject given a verbal trespass warning and escorted off the property "
            "via the ambulance entrance.",
            "[no_further_action] Staff member declined to press charges; workplace violence form "
            "completed with the nursing supervisor.",
            "[referred_police] {police} notified; officers arrived at {clock} and took statements.",
            "Body-worn camera footage retained.",
        ),
        outcomes=(
            (C.RESOLVED, 45),
            (C.NO_FURTHER_ACTION, 25),
            (C.REFERRED_POLICE, 20),
            (C.UNFOUNDED, 3),
        ),
        summaries=(
            (
                C.RESOLVED,
                "De-escalated by {officer} and {partner}; treatment went ahead without further "
                "incident.",
            ),
            (
                C.RESOLVED,
                "Subject calmed and stayed under observation; staff debriefed by the charge nurse.",
            ),
            (
                C.REFERRED_POLICE,
                "[t2,t4,t5] Assault on staff; {police} took the report ({police_ref}).",
            ),
            (
                C.REFERRED_POLICE,
                "[t0,t1,t3] Threats reported to {police} ({police_ref}); subject removed.",
            ),
            (C.NO_FURTHER_ACTION, "Situation settled; staff did not want to pursue it."),
        ),
        staff=("erin.walsh",),
        urgency=1,
        work=(10, 75),
        lag=(0, 5),
        duplicates=0.06,
        spots=("", "by the triage desk", "near the vending machines", "by the registration window"),
        reopens=0.03,
    ),
    Kind(
        "elopement",
        5,
        "day",
        ("[t0] BHU", "[t0,t1] ED-BAYS", "[t0,t2] 4W", "[t0,t2] 6W"),
        titles=(
            "At-risk patient eloped from {the_zone}",
            "Patient on a psychiatric hold left the ED without discharge",
            "Missing patient: disoriented elderly man, last seen near {the_zone}",
        ),
        details=(
            "[t0,t1] Patient on a 72-hour hold walked out while staff attended another patient. "
            "Description: {subject}, hospital gown under a coat.",
            "[t2] Nurse found room {room} empty at the hourly round. Patient is a fall risk and "
            "disoriented. Last seen about {minutes} minutes ago heading for the elevators.",
            "[t0] Patient slipped away from the escort near the Level 2 elevators. Considered a "
            "danger to self per the attending.",
        ),
        notes=(
            "Description circulated to all officers and the front desks.",
            "Search of stairwells and garage levels P1 to P4 negative so far.",
            "[resolved] Patient located at the bus stop on Devonwood Ave and walked back to the "
            "unit with a nurse escort.",
            "[resolved] Found in the chapel on Level 1, calm; returned to the unit.",
            "[referred_police] {police} notified with the description; missing person report "
            "{police_ref}.",
        ),
        outcomes=((C.RESOLVED, 70), (C.REFERRED_POLICE, 20), (C.NO_FURTHER_ACTION, 10)),
        summaries=(
            (C.RESOLVED, "Patient found on campus by {officer} and returned to the unit unharmed."),
            (
                C.REFERRED_POLICE,
                "Not found on campus after a full search; {police} took over ({police_ref}).",
            ),
            (
                C.NO_FURTHER_ACTION,
                "Patient's hold had been lifted an hour earlier; the attending discharged him.",
            ),
        ),
        urgency=1,
        work=(15, 150),
        lag=(5, 40),
    ),
    Kind(
        "theft",
        9,
        "day",
        ("[t0,t1,t3] 4W", "[t0,t1,t3] 4E", "[t0,t1,t3] 6W", "[t0] MATERNITY", "[t2] CAFE"),
        titles=(
            "{item} stolen from a patient room on {the_zone}",
            "Staff locker broken into on {the_zone}",
            "Theft of a {item} from a cafeteria table",
            "Patient reports {item} missing after transfer",
        ),
        details=(
            "[t0] Patient in room {room} reports the {item} was on the bedside table before a "
            "scan and gone when they came back. Roommate saw {subject} in the room.",
            "[t1] Staff member found the locker door bent open at the start of shift. Missing: "
            "a {item} and some cash. Last seen intact at {seen}.",
            "[t2] Visitor left a {item} on a table for a few minutes; it was gone when she "
            "returned. Cafeteria staff noticed {subject} leaving quickly.",
            "[t3] Patient transferred from the ED says the {item} was in a belongings bag that "
            "did not arrive with him.",
        ),
        notes=(
            "[t0,t1,t2] Reviewed CCTV from {camera}: {subject} seen in the area at {seen}.",
            "[t3] Belongings list checked with the ED; item listed but bag not located.",
            "Search of the unit and lost property negative.",
            "[resolved] Item found in the patient's own bag during the search and returned.",
            "[referred_police,no_further_action] Victim given the {police} non-emergency number "
            "and our incident number for insurance.",
            "[t1] Locker area rekeyed by facilities ({wo}).",
        ),
        outcomes=(
            (C.REFERRED_POLICE, 35),
            (C.NO_FURTHER_ACTION, 35),
            (C.RESOLVED, 20),
            (C.UNFOUNDED, 10),
        ),
        summaries=(
            (C.RESOLVED, "Item recovered and returned to its owner."),
            (C.REFERRED_POLICE, "Theft reported to {police} ({police_ref}); CCTV clip provided."),
            (C.UNFOUNDED, "Item found at home by family; no theft took place."),
        ),
        urgency=3,
        work=(60, 4320),
        lag=(30, 600),
        resolver="supervisor",
        reopens=0.06,
    ),
    Kind(
        "weapon",
        2,
        "late",
        ("ED-TRIAGE",),
        titles=(
            "Knife found during ED weapons screening",
            "Visitor refused metal detector screening at the ED entrance",
            "Patient found with pepper spray at triage",
        ),
        details=(
            "[t0] Screening wand alerted on {subject}; a folding knife with a 4-inch blade was "
            "found.",
            "[t1] Visitor refused screening, became argumentative and tried to push past.",
            "[t2] Pepper spray found in the patient's jacket during belongings check.",
        ),
        notes=(
            "[t0,t2] Item secured in the security office weapons locker; receipt given.",
            "[resolved] Subject allowed in after surrendering the item.",
            "[referred_police] {police} took custody of the item ({police_ref}).",
        ),
        outcomes=((C.RESOLVED, 60), (C.REFERRED_POLICE, 40)),
        source="patrol",
        urgency=1,
        work=(5, 30),
        lag=(0, 2),
    ),
    Kind(
        "medical",
        3,
        "day",
        ("LOBBY", "CAFE", "GAR-P1", "ENTRANCE", "MOB-LOBBY"),
        titles=(
            "Visitor collapsed in {the_zone}",
            "Fall in {the_zone}: elderly visitor",
            "Rapid response assist: visitor unwell in {the_zone}",
        ),
        details=(
            "[t0,t2] Visitor fainted and hit their head. Conscious, bleeding from the scalp.",
            "[t1] Elderly visitor slipped on a wet floor. Complains of hip pain.",
        ),
        notes=(
            "Rapid response team on scene; visitor taken to the ED by wheelchair.",
            "[t1] Wet floor signs were not in place; EVS informed.",
            "Statement and photos taken for risk management.",
        ),
        outcomes=((C.REFERRED_EXTERNAL, 60), (C.RESOLVED, 40)),
        summaries=((C.REFERRED_EXTERNAL, "Handed over to the ED team; risk management notified."),),
        urgency=1,
        work=(10, 40),
    ),
    Kind(
        "threat",
        1.5,
        "day",
        ("[t0,t1] 4E", "[t0] 6W", "[t0,t1] PEDS", "[t0,t1] LND", "[t2] CLINICS", "[t2] LOBBY"),
        titles=(
            "Threatening phone call to {the_zone} nurses' station",
            "Restricted visitor attempting to see a patient in {the_zone}",
            "Former employee on premises in breach of a trespass notice",
        ),
        details=(
            "[t0] Caller threatened the nurse about a relative's care and said he would 'be "
            "waiting' after her shift.",
            "[t1] Custody order on file; the non-custodial parent is at the unit door demanding "
            "entry.",
            "[t2] Badge office recognised a former employee with a trespass notice in the lobby.",
        ),
        notes=(
            "[t0] Call recording saved by telecom; unit placed on restricted visiting.",
            "[t1,t2] Subject escorted out by {officer} and {partner}.",
            "Photo circulated to the front desks.",
        ),
        outcomes=((C.RESOLVED, 50), (C.REFERRED_POLICE, 30), (C.NO_FURTHER_ACTION, 20)),
        urgency=2,
        work=(15, 120),
        reopens=0.05,
    ),
    Kind(
        "lost-property",
        2,
        "day",
        ("LOBBY", "ED-WAIT", "CAFE", "4W", "WCP-LOBBY"),
        titles=("Lost property: patient's {item}", "Found property handed in: {item}"),
        details=(
            "[t0] Family reports the patient's {item} missing since admission.",
            "[t1] Visitor handed in a {item} found on a bench.",
        ),
        notes=(
            "Checked against the lost property log.",
            "[resolved] Owner contacted and item collected.",
        ),
        outcomes=((C.RESOLVED, 70), (C.NO_FURTHER_ACTION, 30)),
        urgency=3,
        work=(20, 600),
        lag=(60, 720),
        cancel=0.08,
    ),
)

HOSPITAL_KINDS: tuple[Kind, ...] = _WARD_KINDS + SITE_KINDS
