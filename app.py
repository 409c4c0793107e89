"""esengine Explorer: the router. Pages live in pages/; shared pieces in ui/; logic in esengine/."""
from pathlib import Path

import streamlit as st

from ui.engine import get_engine
from ui.feedback import plain_errors
from ui.navigation import PAGES, url_path
from ui.sidebar import catching_up_panel, database_panel

st.set_page_config(page_title="esengine Explorer", page_icon=":material/history:", layout="wide")

here = Path(__file__).parent
navigation = st.navigation([
    st.Page(file, title=title, icon=icon, url_path=url_path(file), default=(i == 0))
    for i, (file, title, icon) in enumerate(PAGES) if (here / file).exists()
])
with plain_errors():
    engine = get_engine()
    database_panel(engine)
    catching_up_panel(engine)
navigation.run()
