"""esengine Explorer: the router. Pages live in pages/; shared pieces in ui/; logic in esengine/."""
from pathlib import Path

import streamlit as st

from ui.engine import get_engine
from ui.feedback import plain_errors
from ui.sidebar import database_panel

st.set_page_config(page_title="esengine Explorer", page_icon=":material/history:", layout="wide")

# (file, title, icon, url path). A page appears once its file exists.
PAGES = [
    ("pages/overview.py", "Overview", ":material/dashboard:", "overview"),
    ("pages/commands.py", "Commands", ":material/send:", "commands"),
    ("pages/event_browser.py", "Event browser", ":material/list_alt:", "events"),
    ("pages/time_travel.py", "Time travel", ":material/history:", "time_travel"),
    ("pages/projections.py", "Projections", ":material/table_view:", "projections"),
    ("pages/analytics.py", "Analytics", ":material/bar_chart:", "analytics"),
    ("pages/temporal_queries.py", "Temporal queries", ":material/schedule:", "temporal"),
    ("pages/import_export.py", "Import & export", ":material/upload_file:", "import_export"),
]
here = Path(__file__).parent
navigation = st.navigation([
    st.Page(file, title=title, icon=icon, url_path=url, default=(i == 0))
    for i, (file, title, icon, url) in enumerate(PAGES) if (here / file).exists()
])
with plain_errors():
    database_panel(get_engine())
navigation.run()
