"""A background task that works in rounds on the event loop: the timer scheduler
(`core.scheduler`) and the delivery worker (`murphy.notify.worker`) are both one.

A subclass implements `_round()`, which does one unit of work and returns how long to
sleep before the next; `_on_event` may call `wake()` when an event on the bus means
there is work sooner (`wake` is safe from any thread). A round that raises is logged and
tried again after `ERROR_RETRY` seconds. `stop()` lets the round in progress finish.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from murphy.core.events import Event, EventBus

log = logging.getLogger(__name__)

ERROR_RETRY = 2.0  # seconds after a failed round (database down, writer full)


class Rounds:
    """Runs `_round()` until stopped, sleeping the delay each round returns."""

    def __init__(self, *, name: str, bus: EventBus | None) -> None:
        self.name = name
        self.bus = bus
        self._task: asyncio.Task[None] | None = None
        self._wake: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping = False
        self._unsubscribe: Callable[[], None] | None = None

    def start(self) -> None:
        """Start on the running event loop (idempotent)."""
        if self._task is not None:
            return
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        self._stopping = False
        if self.bus is not None:
            self._unsubscribe = self.bus.subscribe(self._on_event)
        self._task = self._loop.create_task(self._run(), name=self.name)

    async def stop(self, timeout: float = 30.0) -> None:
        """Stop after the round in progress."""
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        task, self._task = self._task, None
        if task is None:
            return
        self._stopping = True
        if self._wake is not None:
            self._wake.set()
        with contextlib.suppress(asyncio.CancelledError):
            try:
                await asyncio.wait_for(task, timeout)
            except TimeoutError:
                log.warning("%s did not stop within %.0f s", self.name, timeout)

    def wake(self) -> None:
        """Cut the current sleep short (from any thread)."""
        if self._loop is not None and self._wake is not None and not self._wake.is_set():
            self._loop.call_soon_threadsafe(self._wake.set)

    async def _round(self) -> float:
        """One unit of work; the seconds to sleep before the next."""
        raise NotImplementedError

    def _on_event(self, event: Event) -> None:
        """An event was committed in this process; call `wake()` if it means work."""

    async def _run(self) -> None:
        while not self._stopping:
            try:
                delay = await self._round()
            except Exception:
                log.exception("%s: a round failed; trying again in %.0f s", self.name, ERROR_RETRY)
                delay = ERROR_RETRY
            if delay > 0 and not self._stopping:
                await self._sleep(delay)

    async def _sleep(self, seconds: float) -> None:
        if self._wake is None:
            return
        if not self._wake.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), seconds)
        self._wake.clear()
