"""One error boundary for every page, fragment and callback.

An unexpected error shows a French message with a short reference; the reference and the
stack go to the server log; nothing is half-saved (every command rolls back on any
error, see `ctg_core.common.command`). A French refusal of the core that a page did not
catch (`CtgError`) is shown as what it is, without a reference.

Streamlit (1.67) offers `on_script_error` only to apps served by `st.App`; under
`streamlit run` the hook every error path goes through is
`streamlit.error_util.show_uncaught_app_exception` (page body, fragment reruns and widget
callbacks alike), so `install()` replaces it. `tests/pages/test_error_boundary.py` and the
crafted-URL browser test guard this against a Streamlit upgrade.
"""

from __future__ import annotations

import logging
import uuid

import streamlit as st
from streamlit import config as streamlit_config
from streamlit import error_util

from ctg_core.common.errors import CtgError
from ui.feedback import show_error

LOG = logging.getLogger("ctg_pilotage")
CRASH_TEXT = "Une erreur inattendue s'est produite"
_original = error_util.show_uncaught_app_exception


def install() -> None:
    """Show every uncaught error of the app in French (idempotent)."""
    error_util.show_uncaught_app_exception = _show_in_french


def _show_in_french(error: BaseException) -> None:
    if isinstance(error, CtgError):
        show_error(error)
        return
    reference = uuid.uuid4().hex[:8].upper()
    LOG.error("Erreur inattendue, référence %s", reference, exc_info=error)
    try:
        st.error(
            f"{CRASH_TEXT} (référence **{reference}**). Rien n'a été enregistré par cette "
            "action. Rechargez la page ; si le problème revient, transmettez cette "
            "référence à l'administrateur de la Caf.",
            icon=":material/error:",
        )
    except Exception:  # showing the message must not hide the original failure
        LOG.exception("Impossible d'afficher l'erreur %s", reference)
    if streamlit_config.get_option("global.appTest"):
        _original(error)  # AppTests still see the exception itself
