"""A sliding-window rate limiter: at most `limit` events per key in any `window` seconds.

Pure and in-process: the clock is injected, every method is thread-safe, and memory
is bounded (at most `limit` timestamps per key and at most `max_keys` keys; when
full, keys whose events have all expired go first, then the least recently used).
Each process keeps its own counts, so N worker processes allow up to N x `limit`.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)

Clock = Callable[[], float]
_TINY = 1e-6


class SlidingWindowLimiter(Generic[K]):
    """Counts events per key over a sliding window and says how long to wait."""

    def __init__(
        self,
        limit: int,
        window: float,
        *,
        clock: Clock = time.monotonic,
        max_keys: int = 100_000,
    ) -> None:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        if window <= 0:
            raise ValueError("window must be positive")
        if max_keys < 1:
            raise ValueError("max_keys must be at least 1")
        self.limit = limit
        self.window = float(window)
        self.max_keys = max_keys
        self._clock = clock
        self._events: OrderedDict[K, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def retry_after(self, key: K) -> float:
        """Seconds until `key` may have another event; 0.0 if it may now."""
        with self._lock:
            return self._wait(key, self._clock())

    def hit(self, key: K) -> None:
        """Record an event for `key`, whether or not it was within the limit."""
        with self._lock:
            self._record(key, self._clock())

    def try_hit(self, key: K) -> float:
        """Record an event if the limit allows it and return 0.0; else the wait, unrecorded."""
        with self._lock:
            now = self._clock()
            wait = self._wait(key, now)
            if wait == 0.0:
                self._record(key, now)
            return wait

    def reset(self, key: K) -> None:
        """Forget every event of `key`."""
        with self._lock:
            self._events.pop(key, None)

    def __len__(self) -> int:
        """How many keys are tracked (expired ones included until they are swept)."""
        with self._lock:
            return len(self._events)

    def _wait(self, key: K, now: float) -> float:
        stamps = self._events.get(key)
        if stamps is None:
            return 0.0
        self._expire(stamps, now)
        if not stamps:
            del self._events[key]
            return 0.0
        if len(stamps) < self.limit:
            return 0.0
        return max(stamps[0] + self.window - now, _TINY)  # blocked: always a positive wait

    def _record(self, key: K, now: float) -> None:
        stamps = self._events.get(key)
        if stamps is None:
            stamps = self._events[key] = deque(maxlen=self.limit)
        else:
            self._events.move_to_end(key)
        stamps.append(now)
        self._evict(now)

    def _expire(self, stamps: deque[float], now: float) -> None:
        while stamps and stamps[0] <= now - self.window:
            stamps.popleft()

    def _evict(self, now: float) -> None:
        """Drop expired keys, then the least recently hit ones beyond `max_keys`.

        Keys are ordered by their last event, so the expired ones are all at the front
        and this costs O(1) amortized per event.
        """
        while self._events:
            oldest = next(iter(self._events.values()))
            if oldest[-1] > now - self.window:
                break
            self._events.popitem(last=False)
        while len(self._events) > self.max_keys:
            self._events.popitem(last=False)
