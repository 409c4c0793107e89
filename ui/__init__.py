"""Small pieces the Streamlit pages share: the cached engine, error display, the sidebar."""
