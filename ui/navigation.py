"""The app's pages, and a guard that keeps Streamlit on the router in app.py.

Each page's url path is its file's stem (``pages/event_browser.py`` -> ``/event_browser``), so a link
to a page resolves the same way whether Streamlit has read app.py's ``st.navigation`` yet or not.
"""
from __future__ import annotations

from pathlib import Path

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager
from streamlit.runtime.scriptrunner import get_script_run_ctx

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


# Load the URL again; the default page has no url path of its own under app.py's router (its URL is "/").
_RELOAD = """<script>(() => {
  const path = window.location.pathname.replace(/\\/$/, "");
  if (path.endsWith("/DEFAULT")) window.location.replace(path.slice(0, -"DEFAULT".length) + window.location.search);
  else window.location.reload();
})();</script>"""


def _run_by_legacy_pages() -> bool:
    """True when this run was started by Streamlit's old multipage mode: its page list then holds app.py
    itself (as the main page beside every file in pages/), which app.py's own navigation never does."""
    ctx = get_script_run_ctx()
    pages = ctx.pages_manager.get_pages().values() if ctx else ()
    return any(Path(str(page.get("script_path", ""))).name == "app.py" for page in pages)


def stay_on_the_router() -> None:
    """Leave Streamlit's legacy multipage mode if this run started in it.

    Because a ``pages/`` folder sits next to app.py, the first session after the server starts is run
    in Streamlit's old mode, which runs a page file by itself, without app.py's sidebar and navigation
    (later sessions are not: app.py's ``st.navigation`` switches the mode off for the process). A rerun in
    the same session did not always leave it: the browser kept the old mode's navigation and showed only what
    the page drew first (seen in 3 of 8 first visits on a busy machine). So the mode is switched off and the
    browser loads the same URL again: a new session, which runs through app.py, on the same page, since a
    page's identity is its url path. Call it first in a page, before anything is drawn: the browser may show
    nothing that follows the first element of such a run, so the reload must be that first element.
    """
    if PagesManager.uses_pages_directory or _run_by_legacy_pages():
        PagesManager.uses_pages_directory = False
        st.html(_RELOAD.replace("DEFAULT", url_path(PAGES[0][0])), unsafe_allow_javascript=True)
        st.stop()
