"""Turning errors into plain messages on the page: never a traceback."""
from __future__ import annotations

import logging
from contextlib import contextmanager
from collections.abc import Iterator

import duckdb
import streamlit as st

from esengine.errors import ConcurrencyError, DomainRuleViolation, EsEngineError, NotFound, ValidationError

log = logging.getLogger(__name__)


def show_error(error: Exception) -> None:
    """Show an error as a person would want to read it."""
    if isinstance(error, ValidationError) and error.field_errors:
        st.error(f"{error.summary}. Please correct:")
        for field, message in error.field_errors.items():
            st.markdown(f"- **{field}**: {message}")
    elif isinstance(error, ConcurrencyError):
        st.warning(f"Conflict: {error}")
    elif isinstance(error, DomainRuleViolation):
        st.error(f"Refused by the domain: {error}")
    elif isinstance(error, NotFound):
        st.info(str(error))
    elif isinstance(error, EsEngineError):
        st.error(str(error))
    elif isinstance(error, duckdb.ConnectionException) and "closed" in str(error).lower():
        st.info("The facilitator has just replaced the room's database. Click again or reload the page: "
                "you will see the new one.")
    else:
        log.exception("unexpected error on a page")
        st.error(f"Something went wrong that we did not expect ({type(error).__name__}: {error}). "
                 "Nothing was changed. Reload the page; if it happens again, report it with this message.")


@contextmanager
def plain_errors() -> Iterator[None]:
    """Run a block of page code; any error becomes a message instead of a traceback."""
    try:
        yield
    except Exception as e:  # noqa: BLE001 - the point is that nothing reaches the page raw
        show_error(e)  # (st.rerun/st.stop raise BaseException subclasses, which pass through)
