"""Screenshots of every page, at desktop and phone sizes, for looking at the UI.

Run: .venv/bin/python -m tests.e2e.screenshots [OUT_DIR]   (default ./screenshots)

Builds a throw-away SQLite database (tests/e2e/shots_data.py: two sites, four people,
the shipped taxonomy packs, ~17 incidents in every status, escalation rules with their
deliveries and notifications), serves it, and saves PNGs.
Not a test.
"""

from __future__ import annotations

import os
import sys
import tempfile
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from murphy import migrations, plugins
from murphy.app import create_app
from murphy.core.db import Database
from murphy.settings import Settings
from tests.e2e.live import CHROMIUM, CHROMIUM_ARGS, serve
from tests.e2e.shots_data import build
from tests.factories import PASSWORD

SIZES = {"desktop": {"width": 1440, "height": 900}, "phone": {"width": 390, "height": 844}}


def shoot(url: str, out: Path, numbers: dict[str, str], only: set[str]) -> list[Path]:
    """Sign in and capture each page at each size (and the dark scheme on desktop)."""
    from playwright.sync_api import sync_playwright

    saved: list[Path] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        for size, viewport in SIZES.items():
            for scheme in ("light", "dark") if size == "desktop" else ("light",):
                context = browser.new_context(viewport=viewport, base_url=url, color_scheme=scheme)
                camera = Camera(context.new_page(), out, f"{size}-{scheme}", only)
                _public(camera)
                _dispatcher(camera, numbers)
                _officer(camera, numbers)
                _admin(camera)
                _reports(camera, numbers)
                _reviews(camera, numbers)
                _evidence(camera, numbers)
                _bans(camera, numbers)  # before _subjects: it ends on a form post
                _subjects(camera, numbers)
                _bolos(camera, numbers)
                saved += camera.shots
                context.close()
        browser.close()
    return saved


class Camera:
    """One browser page that saves named full-page screenshots (and, on a phone, the
    first screen too)."""

    def __init__(self, page: Any, out: Path, tag: str, only: set[str]) -> None:
        self.page, self.out, self.tag, self.only = page, out, tag, only
        self.shots: list[Path] = []

    def snap(self, name: str) -> None:
        if self.only and name not in self.only:
            return
        path = self.out / f"{name}-{self.tag}.png"
        self.page.screenshot(path=str(path), full_page=True)
        self.shots.append(path)
        if self.tag.startswith("phone"):  # the first screen, before any scrolling
            first = self.out / f"{name}-{self.tag}-top.png"
            self.page.screenshot(path=str(first))
            self.shots.append(first)

    def snap_part(self, name: str, selector: str) -> None:
        """Only the element `selector`: a detail, at full size."""
        if self.only and name not in self.only:
            return
        path = self.out / f"{name}-{self.tag}.png"
        self.page.locator(selector).first.screenshot(path=str(path))
        self.shots.append(path)

    def sign_in(self, username: str) -> None:
        page = self.page
        page.context.clear_cookies()
        page.goto("/login")
        page.get_by_label("User name").fill(username)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url("**/incidents")


def _public(camera: Camera) -> None:
    """The public report pages, without an account."""
    page, snap = camera.page, camera.snap
    page.goto("/report")
    snap("public-report")
    page.get_by_label("What happened?").fill("Man trying car doors")
    page.get_by_label("Email").fill("not an address")
    page.get_by_label("Where exactly").fill("Car park P2, level 1")
    page.evaluate(
        "document.querySelectorAll('[required]').forEach(e => e.removeAttribute('required'))"
    )
    page.get_by_label("Email").evaluate("e => e.type = 'text'")
    page.get_by_role("button", name="Send report").click()
    page.wait_for_load_state()
    snap("public-report-error")
    page.get_by_label("Email").fill("")
    page.get_by_label("Where is it?").select_option(index=1)
    page.get_by_role("button", name="Send report").click()
    page.wait_for_load_state()
    snap("public-thanks")
    page.get_by_role("button", name="See the status now").click()
    page.wait_for_load_state()
    snap("public-status")
    page.goto("/report/status")
    snap("public-status-form")


def _dispatcher(camera: Camera, numbers: dict[str, str]) -> None:
    page, snap = camera.page, camera.snap
    page.goto(f"/ack/{numbers['ack']}")  # the link in a page, before anyone signs in
    snap("ack")
    page.goto("/ack/12.1795000000.forged")
    snap("ack-invalid")
    page.goto("/login")
    snap("login")
    page.get_by_label("User name").fill("dana")
    page.get_by_label("Password").fill("wrong password")
    page.get_by_role("button", name="Sign in").click()
    snap("login-failed")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/incidents")
    snap("queue")
    page.locator("#quick summary").click()
    camera.snap_part("queue-quick", "#quick")
    page.goto("/incidents?status=all")
    snap("queue-all")
    page.goto("/incidents?status=open&type=access&priority=3")
    snap("queue-filtered")
    page.goto("/incidents/new")
    snap("report")
    page.get_by_label("What happened?").fill("Test")
    page.get_by_label("Site", exact=True).select_option("HQ")
    page.get_by_label("When it happened").fill("2035-01-01T03:00")
    page.get_by_role("button", name="Send report").click()
    snap("report-error")
    _incident_pages(camera, numbers)
    page.goto("/units")
    snap("units")
    page.goto("/board?site=HQ")
    page.locator("[data-drawn]").wait_for()
    snap("board")
    page.goto("/board?site=HQ&floor=MAIN/0")
    page.locator("[data-drawn]").wait_for()
    page.locator("img.plan-image").wait_for()
    snap("board-floor")
    page.goto(f"/incidents/{numbers['Suspicious']}")
    camera.snap_part("incident-part-units", "#units")
    page.goto("/incidents/INC-2020-99999")
    snap("error")
    page.goto("/notifications")
    snap("notifications")
    page.goto("/settings/reach")
    snap("reach")
    page.goto("/on-call")
    snap("oncall-dispatcher")


def _incident_pages(camera: Camera, numbers: dict[str, str]) -> None:
    page, snap = camera.page, camera.snap
    page.goto(f"/incidents/{numbers['story']}")
    snap("incident")
    for part in ("tasks", "classification", "clocks", "assessment"):
        camera.snap_part(f"incident-part-{part}", f"#{part}")
    page.goto(f"/incidents/{numbers['paged']}")
    snap("incident-paging")
    page.goto(f"/incidents/{numbers['Fire']}")
    snap("incident-new")
    page.locator("#cl-type").select_option(label="Fire alarm activation")
    page.locator("#cl-urgency").select_option("1")
    camera.snap_part("incident-classify-preview", ".sec-actions")
    page.goto(f"/incidents/{numbers['Aggressive']}")
    snap("incident-classified")
    page.goto(f"/incidents/{numbers['Water']}")
    snap("incident-responding")
    page.goto(f"/incidents/{numbers['Harassment']}")
    snap("incident-restricted")
    page.goto(f"/incidents/{numbers['Patient']}")
    snap("incident-major")
    camera.snap_part("incident-part-ics", "#ics")
    page.goto(f"/incidents/{numbers['Car']}")
    page.evaluate(
        "document.querySelectorAll('[required]').forEach(e => e.removeAttribute('required'))"
    )
    page.get_by_role("button", name="Classify", exact=True).click()
    page.wait_for_load_state()
    snap("incident-classify-error")
    page.goto(f"/incidents/{numbers['Fire']}")
    page.get_by_text("Other actions").click()
    snap("incident-actions")
    page.evaluate(
        "document.querySelectorAll('[required]').forEach(e => e.removeAttribute('required'))"
    )
    page.get_by_role("button", name="Cancel incident", exact=True).click()
    page.wait_for_load_state()
    snap("incident-error")


def _officer(camera: Camera, numbers: dict[str, str]) -> None:
    """The officer's phone view: on an assignment (on scene)."""
    page, snap = camera.page, camera.snap
    camera.sign_in("olu")
    page.goto("/officer")
    snap("officer")
    page.goto(f"/incidents/{numbers['Water']}")
    camera.snap_part("incident-part-units-active", "#units")


def _admin(camera: Camera) -> None:
    page, snap = camera.page, camera.snap
    camera.sign_in("root")
    page.goto("/admin/taxonomy")
    snap("taxonomy")
    page.locator("summary .tax-cat-name", has_text="Intrusion and trespass").click()
    camera.snap_part("taxonomy-category", "details.tax-cat[open]")
    page.locator("details.tax-cat[open] .tax-type .tax-edit summary").first.click()
    camera.snap_part("taxonomy-edit", "details.tax-cat[open] .tax-type")
    page.get_by_label("YAML file").set_input_files(
        files=[{"name": "bad.yaml", "mimeType": "text/yaml", "buffer": b"pack: x\ncategories: [1"}]
    )
    page.get_by_role("button", name="Import").click()
    page.wait_for_load_state()
    snap("taxonomy-import-error")
    _sources(camera)
    page.goto("/admin/places?site=HQ")
    snap("places")
    page.goto("/admin/places/plan?site=HQ&building=MAIN&floor=0")
    page.locator("img.plan-image").wait_for()
    snap("floor-plan")
    page.get_by_role("button", name="Redraw Lobby").click()
    box = page.locator("#plan").bounding_box()
    for fx, fy in ((0.2, 0.2), (0.5, 0.2), (0.5, 0.45)):
        page.mouse.click(box["x"] + box["width"] * fx, box["y"] + box["height"] * fy)
    snap("floor-plan-drawing")
    page.goto("/admin/units")
    snap("admin-units")
    page.goto("/admin/deliveries")
    snap("deliveries")
    page.locator(".dl-row-dead .dl-id").last.click()  # the oldest: three tries
    page.wait_for_load_state()
    snap("delivery")
    page.goto("/admin/deliveries?state=failing")
    snap("deliveries-failing")
    _oncall(camera)
    page.goto("/analytics?site=HQ")
    snap("analytics")
    page.goto("/admin/retention")
    snap("privacy")
    page.get_by_role("button", name="Preview what would change").click()
    page.wait_for_load_state()
    snap("privacy-preview")
    page.locator("details.nav-more summary").click()
    snap("nav-admin-menu")


def _reports(camera: Camera, numbers: dict[str, str]) -> None:
    """The reports as a supervisor: the index, daily, handover, monthly, ICS-201/214."""
    page, snap = camera.page, camera.snap
    names = ("reports", "report-daily", "report-handover", "report-monthly", "ics-201", "ics-214")
    if camera.only and not camera.only & set(names):
        return
    camera.sign_in("sam")
    page.goto("/reports")
    snap("reports")
    page.goto(f"/reports/daily?site=HQ&date={numbers['today']}")
    snap("report-daily")
    shift = f"start={numbers['shift_start']}&end={numbers['shift_end']}"
    page.goto(f"/reports/handover?site=HQ&{shift}")
    snap("report-handover")
    page.goto(f"/reports/monthly?site=HQ&month={numbers['month']}")
    snap("report-monthly")
    page.goto(f"/incidents/{numbers['Patient']}/ics-201")
    snap("ics-201")
    page.goto(f"/incidents/{numbers['Patient']}/ics-214?period=1")
    snap("ics-214")


def _reviews(camera: Camera, numbers: dict[str, str]) -> None:
    """A draft review with an overdue action, and the reviews list, as a supervisor."""
    if camera.only and not camera.only & {"review", "reviews", "problems"}:
        return
    camera.sign_in("sam")
    camera.page.goto(f"/incidents/{numbers['story']}/review")
    camera.snap("review")
    camera.page.goto("/reviews")
    camera.snap("reviews")
    camera.page.goto("/problems?min_count=3")
    camera.snap("problems")


def _evidence(camera: Camera, numbers: dict[str, str]) -> None:
    """The story incident's evidence and its item's chain of custody, as an officer."""
    if camera.only and not camera.only & {"evidence", "evidence-item", "statements", "statement"}:
        return
    camera.sign_in("olu")
    camera.page.goto(f"/incidents/{numbers['story']}/evidence")
    camera.snap("evidence")
    camera.page.get_by_role("link", name="Black rucksack left by the lifts").click()
    camera.page.wait_for_load_state()
    camera.snap("evidence-item")
    camera.page.goto(f"/incidents/{numbers['story']}/statements")
    camera.snap("statements")
    camera.page.get_by_role("link", name="Priya Nair").first.click()
    camera.page.wait_for_load_state()
    camera.snap("statement")


def _subjects(camera: Camera, numbers: dict[str, str]) -> None:
    """The front desk lookup, a person's record (a possible duplicate, the Merge button)
    and the incident's people section as a refused form shows it, as a dispatcher."""
    if camera.only and not camera.only & {"subjects", "subject", "subject-add"}:
        return
    camera.sign_in("dana")
    camera.page.goto("/subjects?q=reed")
    camera.snap("subjects")
    camera.page.goto(f"/subjects/{numbers['subject']}")
    camera.snap("subject")
    camera.page.evaluate(
        """number => {
          const form = document.createElement("form");
          form.method = "post"; form.action = `/incidents/${number}/subjects`;
          const token = document.querySelector("input[name=csrf_token]").value;
          const fields = {csrf_token: token, kind: "person", role: "witness", name: "Kim Park",
                          birth_date: "2999-01-01", description: "Red cap"};
          for (const [k, v] of Object.entries(fields)) {
            const i = document.createElement("input"); i.type = "hidden"; i.name = k; i.value = v;
            form.append(i);
          }
          document.body.append(form); form.submit();
        }""",
        numbers["story"],
    )
    camera.page.wait_for_load_state()
    camera.snap("subject-add")


def _bolos(camera: Camera, numbers: dict[str, str]) -> None:
    """The active BOLOs as cards, one with its photo, the form filled from a record, the
    board's and the officer's strip."""
    if camera.only and not camera.only & {
        "bolos",
        "bolo",
        "bolo-new",
        "bolo-board",
        "bolo-officer",
    }:
        return
    page, snap = camera.page, camera.snap
    camera.sign_in("dana")
    page.goto("/bolos")
    snap("bolos")
    page.goto(f"/bolos/{numbers['bolo']}")
    snap("bolo")
    page.goto(f"/bolos/new?subject={numbers['subject']}&incident={numbers['story']}")
    snap("bolo-new")
    page.goto("/board?site=HQ")
    snap("bolo-board")
    camera.sign_in("olu")
    page.goto("/officer")
    snap("bolo-officer")


def _bans(camera: Camera, numbers: dict[str, str]) -> None:
    """The front desk lookup (empty, a BANNED HERE answer, a no-ban answer) as a
    dispatcher; one ban and the form that issues one as the supervisor."""
    if camera.only and not camera.only & {"bans", "bans-banned", "bans-none", "ban", "ban-new"}:
        return
    camera.sign_in("dana")
    camera.page.goto("/bans")
    camera.snap("bans")
    camera.page.goto("/bans?q=marcus+reed&site=HQ")
    camera.snap("bans-banned")
    camera.page.goto("/bans?q=jonas+weber&site=HQ")
    camera.snap("bans-none")
    camera.sign_in("sam")
    camera.page.goto(f"/bans/{numbers['ban']}")
    camera.snap("ban")
    camera.page.goto(f"/bans/new?subject={numbers['subject']}&incident={numbers['story']}")
    camera.snap("ban-new")


def _oncall(camera: Camera) -> None:
    """The on-call page as an admin: the override forms, a refused override (it ends
    before it starts) and a calendar link just made."""
    page, snap = camera.page, camera.snap
    page.goto("/on-call")
    snap("oncall")
    card = page.locator("section.oc-card", has_text="Control room supervisors")
    card.locator("details.oc-add > summary").click()
    card.get_by_label("Who takes over").select_option("olu")
    start = datetime.fromisoformat(card.locator("input[name=start]").input_value())
    card.locator("input[name=end]").fill(f"{start - timedelta(hours=1):%Y-%m-%dT%H:%M}")
    card.get_by_role("button", name="Add the override").click()
    page.wait_for_load_state()
    snap("oncall-error")
    page.goto("/on-call")
    page.locator("#calendar form button[type=submit]").first.click()
    page.wait_for_load_state()
    snap("oncall-feed")


def _sources(camera: Camera) -> None:
    """The integration sources: the list, adding one (an error, a trial, the credential
    shown once) and a source with its recent signals."""
    page, snap = camera.page, camera.snap
    page.goto("/admin/sources")
    snap("sources")
    page.locator("#add > summary").click()
    code = {"desktop-light": "lobby-cams", "desktop-dark": "dock-cams"}.get(camera.tag, "gate-cams")
    page.locator("#f-code").fill(code)  # one new source per browser context
    page.locator("#f-name").fill("Lobby camera analytics")
    page.locator("#f-mapping").fill(
        'title: "{event} at {camera"\ntype: "{kind}"\nzone: "{zone}"\nfingerprint: [camera]\n'
    )
    page.get_by_role("button", name="Add the source").click()
    page.wait_for_load_state()
    snap("sources-add-error")
    page.locator("#f-mapping").fill(
        'title: "{event} at {camera}"\ntype: "{kind}"\nseverity: "{severity}"\n'
        "severities: {critical: 1, high: 2, low: 4}\n"
        'zone: "{zone}"\nfingerprint: [camera, event]\n'
    )
    page.locator("#f-site").select_option("HQ")
    page.get_by_role("button", name="Try the mapping").click()
    page.wait_for_load_state()
    snap("sources-try")
    camera.snap_part("sources-try-part", "#try")
    page.get_by_role("button", name="Add the source").click()
    page.wait_for_load_state()
    snap("sources-credential")
    page.goto("/admin/sources/hq-alarm-panel")
    snap("source")
    camera.snap_part("source-signals", "#signals")


def main() -> None:
    """Build the data, serve it, take the screenshots (SHOTS=name,name for a few)."""
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "screenshots").resolve()
    out.mkdir(parents=True, exist_ok=True)
    only = {n for n in os.environ.get("SHOTS", "").split(",") if n}
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/shots.db"
        db = Database(url)
        plugins.install(db)
        migrations.upgrade(db)
        numbers = build(db, evidence_dir=f"{tmp}/evidence")
        # No delivery worker: the deliveries stay as shots_data left them (dead, failing).
        settings = Settings(
            database_url=url, log_level="warning", delivery=False, evidence_dir=f"{tmp}/evidence"
        )
        with serve(create_app(settings, db=db)) as base:
            for path in shoot(base, out, numbers, only):
                print(path)
        db.dispose()


if __name__ == "__main__":
    main()
