"""The delivery worker: sends the outbox's messages through the channels.

It runs in every `murphy serve` process (MURPHY_DELIVERY) and in `murphy worker`, as a
task on the event loop that loops over:

1. record the results of the sends that finished (one unit of work for the writer);
2. route the pending outbox rows into deliveries (`deliveries.route`);
3. claim as many due deliveries as it has free slots (`delivery_concurrency`) and
   start one send task for each: a slow receiver holds one slot, never the loop, the
   writer or the API;
4. sleep until a send finishes, this process commits a message (the `outbox.pending`
   and `delivery.due` events), the next retry is due, or `poll` seconds pass (messages
   committed by other processes).

Nothing is held only in memory: a delivery being sent is `sending` in the database
until its lease ends, so a worker that dies (even by SIGKILL) leaves it to the next
one, which sends it again under the same dedup key (at least once).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from murphy.core.clock import utcnow
from murphy.core.db import Database
from murphy.core.events import Event, EventBus
from murphy.core.rounds import Rounds
from murphy.core.writer import Writer
from murphy.notify import deliveries, paging, rules
from murphy.notify.channels import Channel, Outgoing, Result

log = logging.getLogger(__name__)

BUSY_RETRY = 0.05  # due deliveries that another worker holds: look again this soon
WAKE_EVENTS = {"outbox.pending", deliveries.DELIVERY_EVENT}


class Deliverer(Rounds):
    """Routes the outbox and sends its deliveries through `channels`."""

    def __init__(
        self,
        db: Database,
        writer: Writer,
        channels: Mapping[str, Channel],
        *,
        public_url: str,
        bus: EventBus | None = None,
        concurrency: int = 32,
        lease: float = 120.0,
        policy: deliveries.RetryPolicy | None = None,
        batch: int = 100,
        poll: float = 1.0,
        ack_hours: float = 24.0,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        super().__init__(name="murphy-delivery", bus=bus)
        self.db = db
        self.writer = writer
        self.channels = dict(channels)
        self.usable = sorted(n for n, c in self.channels.items() if c.problem is None)
        self.public_url = public_url.rstrip("/")
        self.concurrency = concurrency
        self.lease = timedelta(seconds=lease)
        self.policy = policy or deliveries.RetryPolicy()
        self.batch = batch
        self.poll = poll
        self.clock = clock
        self.ack_ttl = timedelta(hours=ack_hours)
        self._ack_key: bytes | None = None  # signs acknowledge links (read on first page)
        self.sent = 0  # sends that succeeded
        self.failed = 0  # sends that did not
        self._inflight: set[asyncio.Task[None]] = set()
        self._done: list[deliveries.Outcome] = []

    async def stop(self, timeout: float = 30.0) -> None:
        """Stop claiming, let the sends in flight finish (up to `timeout`), record them."""
        await super().stop(timeout)
        await self._settle(timeout)
        for channel in self.channels.values():
            with contextlib.suppress(Exception):
                await channel.close()

    async def drain(self) -> int:
        """Route everything and send everything due now, until nothing is left; returns
        how many sends were made (for `murphy worker --once` and tests)."""
        total = 0
        while True:
            await self.writer.run(partial(deliveries.release, now=self.clock()))
            await self._route_all()
            claimed = await self._claim()
            total += claimed
            await self._settle(None)
            if not claimed:
                return total

    # --- the loop ------------------------------------------------------------------------

    async def _round(self) -> float:
        """One pass: record, route, claim. The delay before the next pass."""
        await self._record()
        if await asyncio.to_thread(self._held_due):
            await self.writer.run(partial(deliveries.release, now=self.clock()))
        routed = await self._route_all()
        free = self.concurrency - len(self._inflight)
        claimed = await self._claim() if free > 0 else 0
        if self._done or routed or (free > 0 and claimed >= min(free, self.batch)):
            return 0.0  # more may be waiting
        if len(self._inflight) >= self.concurrency:
            return self.poll  # every slot busy: a finished send wakes us
        due = await asyncio.to_thread(self._peek)
        if due is None:
            return self.poll
        wait = (due - self.clock()).total_seconds()
        return min(self.poll, wait) if wait > 0 else BUSY_RETRY  # due, but another worker has it

    async def _route_all(self) -> int:
        total = 0
        while await asyncio.to_thread(self._outbox_waiting):
            count = await self.writer.run(
                partial(deliveries.route, channels=self.usable, now=self.clock(), limit=self.batch)
            )
            total += count
            if count < self.batch:
                break
        return total

    async def _claim(self) -> int:
        free = self.concurrency - len(self._inflight)
        if free <= 0:
            return 0
        claimed = await self.writer.run(
            partial(
                deliveries.claim, now=self.clock(), limit=min(free, self.batch), lease=self.lease
            )
        )
        if self._ack_key is None and any(item.payload.get("page") for item in claimed):
            self._ack_key = await self.writer.run(paging.ack_key)
        loop = asyncio.get_running_loop()
        for item in claimed:
            task = loop.create_task(self._send(item), name=f"murphy-send-{item.id}")
            self._inflight.add(task)
            task.add_done_callback(self._inflight.discard)
        return len(claimed)

    async def _send(self, item: deliveries.Claimed) -> None:
        started, began = self.clock(), time.perf_counter()
        channel = self.channels.get(item.channel)
        incident = item.payload.get("incident") or {}
        message = Outgoing(
            delivery_id=item.id,
            key=item.key,
            channel=item.channel,
            address=item.address,
            attempt=item.attempt,
            payload=item.payload,
            link=f"{self.public_url}{incident.get('path') or item.payload.get('path') or '/'}",
            ack_link=self._ack_link(item),
        )
        if channel is None:
            result = Result(ok=False, permanent=True, detail=f"no channel {item.channel!r}")
        else:
            try:
                result = await channel.send(message)
            except Exception as exc:  # a channel's bug must not lose the try
                log.exception("delivery %s: channel %s raised", item.id, item.channel)
                result = Result(ok=False, detail=f"{type(exc).__name__}: {exc}")
        if result.ok:
            self.sent += 1
        else:
            self.failed += 1
        self._done.append(
            deliveries.Outcome(
                delivery_id=item.id,
                attempt=item.attempt,
                started_at=started,
                duration_ms=int((time.perf_counter() - began) * 1000),
                ok=result.ok,
                detail=result.detail,
                permanent=result.permanent,
                retry_after=result.retry_after,
            )
        )
        self.wake()

    def _ack_link(self, item: deliveries.Claimed) -> str | None:
        """The signed one-click acknowledge link of a page (None for other messages)."""
        if not item.payload.get("page") or self._ack_key is None:
            return None
        token = rules.ack_token(self._ack_key, item.id, self.clock() + self.ack_ttl)
        return f"{self.public_url}/ack/{token}"

    async def _record(self) -> None:
        done, self._done = self._done, []
        if not done:
            return
        try:
            await self.writer.run(
                partial(deliveries.record, outcomes=done, now=self.clock(), policy=self.policy)
            )
        except Exception:
            self._done = done + self._done  # keep them for the next round
            raise

    async def _settle(self, timeout: float | None) -> None:
        """Wait for the sends in flight, then record every result."""
        if self._inflight:
            await asyncio.wait(set(self._inflight), timeout=timeout)
        await self._record()

    def _outbox_waiting(self) -> bool:
        with self.db.engine.connect() as conn:
            return deliveries.pending_outbox(conn)

    def _held_due(self) -> bool:
        with self.db.engine.connect() as conn:
            return deliveries.held_due(conn, self.clock())

    def _peek(self) -> datetime | None:
        with self.db.engine.connect() as conn:
            return deliveries.next_due(conn)

    def _on_event(self, event: Event) -> None:
        """This process committed a message or a retry: look at once."""
        if event.name in WAKE_EVENTS:
            self.wake()


def collect(results: Iterable[Iterable[Channel] | None]) -> dict[str, Channel]:
    """Merge the `notification_channels` hook's answers; a name given twice is an error."""
    merged: dict[str, Channel] = {}
    for result in results:
        for channel in result or []:
            if channel.name in merged or channel.name == deliveries.IN_APP:
                raise ValueError(f"two notification channels named {channel.name!r}")
            merged[channel.name] = channel
    return merged


def from_settings(
    db: Database, writer: Writer, manager: Any, settings: Any, *, bus: EventBus | None
) -> Deliverer:
    """The delivery worker a process runs, with the plugins' channels and the settings
    (`manager` a pluggy PluginManager, `settings` a `murphy.settings.Settings`)."""
    return Deliverer(
        db,
        writer,
        collect(manager.hook.notification_channels(settings=settings)),
        public_url=settings.public_url,
        bus=bus,
        concurrency=settings.delivery_concurrency,
        lease=settings.delivery_lease_seconds,
        policy=deliveries.RetryPolicy(
            max_attempts=settings.delivery_max_attempts,
            base_seconds=settings.delivery_retry_seconds,
            cap_seconds=settings.delivery_retry_max_seconds,
        ),
        ack_hours=settings.ack_link_hours,
    )
