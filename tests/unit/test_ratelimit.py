"""The sliding-window limiter: counts, waits, keys, memory bound, threads."""

from __future__ import annotations

import threading

import pytest
from hypothesis import given
from hypothesis import strategies as st

from murphy.core.ratelimit import SlidingWindowLimiter


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now


def make(
    limit: int = 3, window: float = 60.0, **kw: int
) -> tuple[SlidingWindowLimiter[str], FakeClock]:
    clock = FakeClock()
    return SlidingWindowLimiter(limit, window, clock=clock, **kw), clock


def test_allows_up_to_the_limit_then_refuses() -> None:
    limiter, _ = make(limit=3)
    assert [limiter.try_hit("k") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.try_hit("k") > 0
    assert limiter.retry_after("k") > 0


def test_wait_is_until_the_oldest_event_leaves_the_window() -> None:
    limiter, clock = make(limit=2, window=60)
    limiter.hit("k")
    clock.now += 10
    limiter.hit("k")
    clock.now += 5
    assert limiter.retry_after("k") == pytest.approx(45.0)
    clock.now += 45
    assert limiter.retry_after("k") == 0.0
    assert limiter.try_hit("k") == 0.0
    assert limiter.retry_after("k") == pytest.approx(10.0)


def test_window_slides_event_by_event() -> None:
    limiter, clock = make(limit=3, window=100)
    for _ in range(3):
        limiter.hit("k")
        clock.now += 30
    # events at 0, 30, 60; now 90: the first leaves at 100
    assert limiter.retry_after("k") == pytest.approx(10.0)
    clock.now += 10
    assert limiter.try_hit("k") == 0.0
    assert limiter.try_hit("k") == pytest.approx(30.0)


def test_refused_attempts_are_not_recorded_by_try_hit() -> None:
    limiter, clock = make(limit=1, window=60)
    limiter.hit("k")
    for _ in range(50):
        clock.now += 1
        assert limiter.try_hit("k") > 0
    clock.now += 10
    assert limiter.try_hit("k") == 0.0


def test_hit_beyond_the_limit_extends_the_wait() -> None:
    limiter, clock = make(limit=2, window=60)
    limiter.hit("k")
    clock.now += 30
    limiter.hit("k")
    limiter.hit("k")
    assert limiter.retry_after("k") == pytest.approx(60.0)


def test_keys_are_independent_and_reset_forgets() -> None:
    limiter: SlidingWindowLimiter[tuple[str, str]] = SlidingWindowLimiter(1, 60, clock=FakeClock())
    limiter.hit(("alice", "10.0.0.1"))
    assert limiter.retry_after(("alice", "10.0.0.1")) > 0
    assert limiter.retry_after(("alice", "10.0.0.2")) == 0.0
    assert limiter.retry_after(("bob", "10.0.0.1")) == 0.0
    limiter.reset(("alice", "10.0.0.1"))
    assert limiter.retry_after(("alice", "10.0.0.1")) == 0.0


def test_memory_is_bounded_by_max_keys_least_recent_first() -> None:
    limiter, clock = make(limit=1, window=1000, max_keys=100)
    for i in range(1000):
        limiter.hit(f"k{i}")
        clock.now += 0.01
    assert len(limiter) == 100
    assert limiter.retry_after("k999") > 0
    assert limiter.retry_after("k0") == 0.0


def test_expired_keys_are_swept_as_new_events_arrive() -> None:
    limiter, clock = make(limit=5, window=10)
    for i in range(50):
        limiter.hit(f"old{i}")
    clock.now += 11
    limiter.hit("new")
    assert len(limiter) == 1


def test_thread_safe_exactly_limit_allowed() -> None:
    limiter: SlidingWindowLimiter[str] = SlidingWindowLimiter(100, 3600)
    allowed: list[float] = []
    start = threading.Barrier(8)

    def worker() -> None:
        start.wait()
        for _ in range(200):
            if limiter.try_hit("shared") == 0.0:
                allowed.append(1.0)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(allowed) == 100


@pytest.mark.parametrize(
    ("limit", "window", "max_keys"), [(0, 1.0, 1), (1, 0.0, 1), (1, -5.0, 1), (1, 1.0, 0)]
)
def test_refuses_nonsense_configuration(limit: int, window: float, max_keys: int) -> None:
    with pytest.raises(ValueError):
        SlidingWindowLimiter(limit, window, max_keys=max_keys)


@given(
    limit=st.integers(min_value=1, max_value=5),
    window=st.integers(min_value=1, max_value=50),
    steps=st.lists(
        st.tuples(st.integers(min_value=0, max_value=30), st.sampled_from("abc")), max_size=60
    ),
)
def test_matches_a_naive_model(limit: int, window: int, steps: list[tuple[int, str]]) -> None:
    """try_hit allows exactly when fewer than `limit` allowed events lie in the window."""
    clock = FakeClock(0.0)
    limiter: SlidingWindowLimiter[str] = SlidingWindowLimiter(limit, window, clock=clock)
    allowed: dict[str, list[float]] = {}
    for advance, key in steps:
        clock.now += advance
        recent = [t for t in allowed.get(key, []) if t > clock.now - window]
        wait = limiter.try_hit(key)
        if len(recent) < limit:
            assert wait == 0.0
            allowed.setdefault(key, []).append(clock.now)
        else:
            assert wait == pytest.approx(min(recent) + window - clock.now)
