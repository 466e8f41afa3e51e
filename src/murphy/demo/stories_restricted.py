"""The rare incidents only cleared people see: a safeguarding concern at the hospital and
an HR matter on the campus. Their supervisors handle them from classification on (see
cast.py); types.py makes them restricted.

Tags such as '[t1,referred_police]' tie a text to some titles (t0 is the first) or outcomes.
"""

from __future__ import annotations

from murphy.demo.stories import Code, Kind

C = Code

HOSPITAL_RESTRICTED: tuple[Kind, ...] = (
    Kind(
        "safeguarding",
        0.6,
        "day",
        ("4W", "4E", "6W", "ED-BAYS", "LOBBY"),
        titles=(
            "Safeguarding concern: elderly patient on {the_zone}",
            "Visitor suspected of financial abuse of a patient on {the_zone}",
            "Patient discloses abuse by a family member",
        ),
        details=(
            "[t0] Nurse reports unexplained bruising and a patient afraid of a visitor.",
            "[t1] Visitor seen taking the patient's bank card; the patient seems confused.",
            "[t2] Patient told the charge nurse that a relative hits them at home.",
        ),
        notes=(
            "Spoke with the charge nurse; the patient is safe on the ward.",
            "Visitor restrictions agreed with the ward manager for the rest of the stay.",
            "Adult protective services informed by the social work team.",
        ),
        outcomes=((C.REFERRED_EXTERNAL, 60), (C.RESOLVED, 30), (C.UNFOUNDED, 10)),
        summaries=(
            (C.REFERRED_EXTERNAL, "Referred to adult protective services; case number on file."),
            (C.RESOLVED, "Visitor restricted; social work follow-up arranged."),
            (C.UNFOUNDED, "Reviewed with social work: no abuse found."),
        ),
        staff=("erin.walsh",),
        source="staff",
        urgency=2,
        work=(60, 600),
        lag=(30, 720),
        cancel=0.0,
        resolver="supervisor",
    ),
)

CAMPUS_RESTRICTED: tuple[Kind, ...] = (
    Kind(
        "hr-matter",
        0.5,
        "business",
        ("FDY-1", "FDY-2", "FDY-3", "MILL-1", "CAFETERIA"),
        titles=(
            "Harassment complaint between colleagues on {the_zone}",
            "Employee reports intimidation by a team lead",
        ),
        details=(
            "[t0] Employee reports repeated unwanted comments from a colleague; asks for "
            "CCTV of {the_zone} to be kept.",
            "[t1] Employee says a team lead shouted at them and blocked the doorway; two "
            "witnesses.",
        ),
        notes=(
            "Statement taken; HR business partner informed.",
            "CCTV of the time and place saved for HR.",
            "Access log of both badges exported for HR, as requested.",
        ),
        outcomes=((C.REFERRED_EXTERNAL, 20), (C.RESOLVED, 70), (C.UNFOUNDED, 10)),
        summaries=(
            (C.RESOLVED, "Handed over to HR with statements and CCTV; security part closed."),
            (C.REFERRED_EXTERNAL, "Complainant went to the police; {police} reference noted."),
        ),
        staff=("hannah.clarke",),
        source="staff",
        urgency=3,
        work=(120, 2880),
        lag=(60, 1440),
        cancel=0.0,
        resolver="supervisor",
    ),
)
