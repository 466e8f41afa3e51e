"""create_app(settings) -> the ASGI application: wires database, bus, routes, errors."""

from __future__ import annotations

import gc
import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import anyio
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from sqlalchemy import text
from xstatic.pkg import leaflet

from murphy import __version__, plugins
from murphy.analytics import api as analytics_api
from murphy.analytics import pages as analytics_pages
from murphy.bans import api as bans_api
from murphy.bans import pages as bans_pages
from murphy.bolos import api as bolos_api
from murphy.bolos import pages as bolos_pages
from murphy.core import timers
from murphy.core.blobs import LocalBlobStore
from murphy.core.db import Database, WalCheckpointer
from murphy.core.events import EventBus
from murphy.core.live import Hub
from murphy.core.scheduler import Scheduler
from murphy.core.writer import Writer
from murphy.evidence import api as evidence_api
from murphy.evidence import pages as evidence_pages
from murphy.ics import api as ics_api
from murphy.incidents import api as incidents_api
from murphy.incidents import pages as incidents_pages
from murphy.notify import api as notify_api
from murphy.notify import pages as notify_pages
from murphy.notify import worker as delivery
from murphy.oncall import api as oncall_api
from murphy.oncall import pages as oncall_pages
from murphy.playbooks import api as playbooks_api
from murphy.problems import api as problems_api
from murphy.problems import pages as problems_pages
from murphy.public import api as public_api
from murphy.public import pages as public_pages
from murphy.public.pages import UPLOADS as PUBLIC_UPLOADS
from murphy.reports import api as reports_api
from murphy.reports import pages as reports_pages
from murphy.retention import api as retention_api
from murphy.retention import pages as retention_pages
from murphy.reviews import api as reviews_api
from murphy.reviews import pages as reviews_pages
from murphy.settings import Settings
from murphy.signals import api as signals_api
from murphy.signals import mqtt
from murphy.signals import pages as signals_pages
from murphy.sites import api as sites_api
from murphy.sites import pages as sites_pages
from murphy.sla import api as sla_api
from murphy.statements import api as statements_api
from murphy.statements import pages as statements_pages
from murphy.subjects import api as subjects_api
from murphy.subjects import pages as subjects_pages
from murphy.taxonomy import api as taxonomy_api
from murphy.taxonomy import pages as taxonomy_pages
from murphy.units import admin_pages as units_admin_pages
from murphy.units import api as units_api
from murphy.units import pages as units_pages
from murphy.users import api as users_api
from murphy.users import pages as users_pages
from murphy.web import errors, live, templating
from murphy.web.deps import DbGate, Reader, ReaderDep
from murphy.web.middleware import BodyLimit, SecurityHeaders

WEB = Path(__file__).parent / "web"

DESCRIPTION = """
Murphy records security incidents from the first report to the lessons learned.

Authenticate with `Authorization: Bearer <token>` (create one with `murphy token create
USERNAME`). Errors are RFC 9457 `application/problem+json`.
"""


def create_app(settings: Settings, *, db: Database | None = None) -> FastAPI:
    """Build the application. The database must already be migrated (`murphy db upgrade`)."""
    settings.check()
    logging.basicConfig(level=settings.log_level.upper())
    database = db or Database(settings.database_url, pool_size=settings.db_pool_size)
    manager = plugins.install(database)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        # Threads must outnumber database slots: a request holding a connection (and
        # perhaps a row lock) always finds a thread to commit on. See web/deps.DbGate.
        limiter = anyio.to_thread.current_default_thread_limiter()
        limiter.total_tokens = max(limiter.total_tokens, database.pool_size * 2 + 8)
        # Everything made so far lives as long as the process: keep it out of the cyclic
        # collector's full passes, which otherwise pause a busy server ~60 ms a second.
        gc.collect()
        gc.freeze()
        checkpointer = WalCheckpointer(database)
        checkpointer.start()
        app.state.writer.start()
        await app.state.hub.start()
        unpoke = app.state.bus.subscribe(lambda e: app.state.hub.poke() if e.id else None)
        for task in (app.state.scheduler, app.state.deliverer):
            if task is not None:
                task.start()
        mqtt_stop = threading.Event()
        subscriber = _mqtt_subscriber(settings, database, mqtt_stop)
        try:
            yield
        finally:
            mqtt_stop.set()
            if subscriber is not None:
                subscriber.join(10)  # the message in hand is committed and acknowledged
            unpoke()
            await app.state.hub.stop()
            for task in (app.state.scheduler, app.state.deliverer):
                if task is not None:
                    await task.stop()
            app.state.writer.stop()
            checkpointer.stop()

    app = FastAPI(
        title="Murphy",
        lifespan=lifespan,
        version=__version__,
        description=DESCRIPTION,
        openapi_url="/openapi.json",
        docs_url="/docs",
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.db = database
    app.state.bus = EventBus()
    app.state.db_gate = DbGate(database.pool_size)
    app.state.reader = Reader(database, settings.reads_at_once())
    app.state.writer = Writer(database, app.state.bus)
    app.state.blobs = LocalBlobStore(Path(settings.evidence_dir), limit=settings.max_evidence_bytes)
    app.state.hub = Hub(database)
    app.state.scheduler, app.state.deliverer = _background(app, settings, manager)
    app.state.templates = templating.make(Jinja2Templates(directory=WEB / "templates"))

    _edges(app, settings)

    # A request is matched against the routes in order: device signals and CAP alerts,
    # the storms' path, come first (matching every route cost a sixth of a signal).
    for router in (
        signals_api.router,
        live.router,
        evidence_api.router,  # before incidents_api: /{number}/evidence/...
        statements_api.router,
        subjects_api.router,  # before incidents_api too: /{number}/subjects
        bans_api.router,
        bolos_api.router,
        retention_api.router,
        incidents_api.router,
        sites_api.router,
        sites_api.plans,
        sla_api.router,
        playbooks_api.router,
        notify_api.router,
        oncall_api.router,
        reviews_api.router,
        problems_api.router,
        oncall_api.feeds,
        ics_api.router,
        reports_api.router,
        units_api.router,
        taxonomy_api.router,
        users_api.router,
        users_pages.router,
        reports_pages.router,  # before incidents_pages: its /incidents/{n}/{form} catch-all
        reviews_pages.router,  # before incidents_pages too (/incidents/{n}/review)
        evidence_pages.router,  # and this one (/incidents/{n}/evidence)
        statements_pages.router,
        subjects_pages.router,  # and this one (/incidents/{n}/subjects)
        bans_pages.router,
        bolos_pages.router,
        retention_pages.router,
        incidents_pages.router,
        taxonomy_pages.router,
        sites_pages.router,
        signals_pages.router,
        units_pages.router,
        units_admin_pages.router,
        notify_pages.router,
        oncall_pages.router,
        analytics_api.router,
        analytics_pages.router,
        problems_pages.router,
        public_api.router,
        public_pages.router,
    ):
        app.include_router(router)

    @app.get("/healthz", tags=["operations"], summary="Liveness and database check")
    async def healthz(reader: ReaderDep) -> dict[str, str]:
        """200 when the process runs and the database answers."""
        await reader.run(lambda s: s.connection().execute(text("SELECT 1")))
        return {"status": "ok", "database": database.dialect, "version": __version__}

    return app


def _edges(app: FastAPI, settings: Settings) -> None:
    """Error pages, body limits, security headers and the static files."""
    errors.install(app)
    app.add_middleware(
        BodyLimit,
        max_bytes=settings.max_body_bytes,
        uploads=PUBLIC_UPLOADS
        + units_pages.UPLOADS
        + sites_api.UPLOADS
        + sites_pages.UPLOADS
        + bolos_api.UPLOADS
        + bolos_pages.UPLOADS
        + subjects_api.UPLOADS
        + subjects_pages.UPLOADS,
        max_upload_bytes=settings.max_upload_bytes,
        large=tuple((pattern, settings.max_evidence_bytes) for pattern in evidence_pages.UPLOADS),
    )
    app.add_middleware(SecurityHeaders, images=_origin(settings.map_tile_url))
    _mount_static(app)


def _background(
    app: FastAPI, settings: Settings, manager: Any
) -> tuple[Scheduler | None, delivery.Deliverer | None]:
    """The process's timer scheduler and delivery worker, each unless turned off."""
    database, writer, bus = app.state.db, app.state.writer, app.state.bus
    scheduler = (
        Scheduler(database, writer, timers.collect(manager.hook.timer_handlers()), bus=bus)
        if settings.scheduler
        else None
    )
    deliverer = (
        delivery.from_settings(database, writer, manager, settings, bus=bus)
        if settings.delivery
        else None
    )
    return scheduler, deliverer


def _mount_static(app: FastAPI) -> None:
    """Murphy's own assets, and Leaflet from its package (no CDN: the map works offline)."""
    app.mount("/static/leaflet", StaticFiles(directory=leaflet.BASE_DIR), name="leaflet")
    app.mount("/static", StaticFiles(directory=WEB / "static"), name="static")


def _origin(url: str) -> str:
    """The scheme and host of a tile URL template (for the CSP), or ''."""
    if not url:
        return ""
    parts = urlsplit(url.replace("{s}", "a"))
    host = parts.netloc
    if "{s}" in url:  # subdomains a, b, c: allow them all
        host = "*." + parts.netloc.split(".", 1)[1] if "." in parts.netloc else parts.netloc
    return f"{parts.scheme}://{host}"


def _mqtt_subscriber(
    settings: Settings, database: Database, stop: threading.Event
) -> threading.Thread | None:
    """With MURPHY_MQTT_IN_SERVE, the sources' MQTT topics in this process (a thread)."""
    if not settings.mqtt_in_serve:
        return None
    thread = threading.Thread(
        target=mqtt.supervise,
        args=(database, settings.mqtt_url),
        kwargs={"client_id": settings.mqtt_client_id, "stop": stop},
        name="murphy-mqtt",
        daemon=True,
    )
    thread.start()
    return thread


def from_env() -> FastAPI:
    """Factory for uvicorn: settings from the environment (MURPHY_*)."""
    return create_app(Settings())
