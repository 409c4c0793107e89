"""The one way pages offer a file: a download button that does not rerun the page."""
from __future__ import annotations

from typing import Any

import streamlit as st


def download_button(label: str, data: Any, file_name: str, mime: str | None = None, *, key: str, **options: Any) -> None:
    """``st.download_button`` with ``on_click="ignore"``: a download changes nothing on the page, and a click that
    also reran it raced the browser's request for a file built on demand (``data`` a callable): the rerun drops
    the callable the request names, and Streamlit answers "Failed to generate file for download"."""
    st.download_button(label, data, file_name, mime, key=key, on_click="ignore", **options)
