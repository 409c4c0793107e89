"""The app's pages, and a guard that keeps Streamlit on the router in app.py.

Each page's url path is its file's stem (``pages/event_browser.py`` -> ``/event_browser``), so a link
to a page resolves the same way whether Streamlit has read app.py's ``st.navigation`` yet or not.
"""
from __future__ import annotations

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

# (file, title, icon). A page appears once its file exists.
PAGES = [
    ("pages/overview.py", "Overview", ":material/dashboard:"),
    ("pages/commands.py", "Commands", ":material/send:"),
    ("pages/event_browser.py", "Event browser", ":material/list_alt:"),
    ("pages/time_travel.py", "Time travel", ":material/history:"),
    ("pages/projections.py", "Projections", ":material/table_view:"),
    ("pages/analytics.py", "Analytics", ":material/bar_chart:"),
    ("pages/temporal_queries.py", "Temporal queries", ":material/schedule:"),
    ("pages/import_export.py", "Import & export", ":material/upload_file:"),
    ("pages/facilitator.py", "Facilitator", ":material/groups:"),
]


def url_path(file: str) -> str:
    return file.rsplit("/", 1)[-1].removesuffix(".py")


def stay_on_the_router() -> None:
    """Leave Streamlit's legacy multipage mode if this run started in it.

    Because a ``pages/`` folder sits next to app.py, the first session after the server starts is run
    in Streamlit's old mode, which runs a page file by itself, without app.py's sidebar and navigation
    (later sessions are not: app.py's ``st.navigation`` switches the mode off for the process). Switching
    it off here and rerunning lands on the same page through app.py, since a page's identity is its url path.
    """
    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()
