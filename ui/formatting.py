"""How the pages show times: UTC as stored, and the viewer's own time zone beside it."""
from __future__ import annotations

from datetime import datetime, UTC
from zoneinfo import ZoneInfo

import streamlit as st


def viewer_timezone() -> str:
    """The browser's IANA time zone when Streamlit knows it, else UTC."""
    try:
        return st.context.timezone or "UTC"
    except Exception:  # noqa: BLE001 - outside a browser session (tests, bare mode)
        return "UTC"


def local_and_utc(moment: datetime | None) -> str:
    """``2026-11-27 14:05:09 CET (13:05:09 UTC)`` for a naive-UTC stored time."""
    if moment is None:
        return "-"
    utc = moment.replace(tzinfo=UTC)
    tz = viewer_timezone()
    if tz == "UTC":
        return utc.strftime("%Y-%m-%d %H:%M:%S UTC")
    local = utc.astimezone(ZoneInfo(tz))
    return f"{local:%Y-%m-%d %H:%M:%S %Z} ({utc:%H:%M:%S} UTC)"
