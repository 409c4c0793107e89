"""esengine Explorer: the router. Pages live in pages/; shared pieces in ui/; logic in esengine/."""
from pathlib import Path

import streamlit as st

from ui.engine import get_engine
from ui.feedback import plain_errors
from ui.navigation import PAGES, url_path
from ui.sidebar import catching_up_panel, database_panel

st.set_page_config(page_title="esengine Explorer", page_icon=":material/history:", layout="wide")

here = Path(__file__).parent
pages = [st.Page(file, title=title, icon=icon, url_path=url_path(file))
         for file, title, icon in PAGES if (here / file).exists()]


def home() -> None:
    """The app's root opens the first page at its own URL: Streamlit serves the default page at "/" only, so a
    listed default page's own URL (/overview) would say "Page not found" to every session but the first."""
    st.switch_page(pages[0])


navigation = st.navigation([st.Page(home, title=pages[0].title, url_path="home", default=True,
                                    visibility="hidden"), *pages])
with plain_errors():
    engine = get_engine()
    database_panel(engine)
    catching_up_panel(engine)
navigation.run()
