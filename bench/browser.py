"""Click-to-redrawn time in headless Chromium (filled in once the page exists)."""

from __future__ import annotations


def run(engine, clicks: int = 30, redis_url: str | None = None) -> dict | None:
    return None
