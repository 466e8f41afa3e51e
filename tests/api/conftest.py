"""Fixtures of the HTML page tests (test_pages*.py)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.factories import Factory

HTML = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.fixture
def web(client: TestClient) -> TestClient:
    """The client, asking for HTML like a browser."""
    client.headers["accept"] = HTML
    return client


@pytest.fixture
def hq(factory: Factory) -> Factory:
    """The test taxonomy, site HQ (Europe/Berlin) with a dispatcher 'dana', and site LAB
    that dana cannot see."""
    factory.taxonomy()
    factory.site("HQ")
    factory.site("LAB", timezone="America/New_York")
    factory.user("dana", "dispatcher", ["HQ"])
    return factory
