"""Show the core's typed errors as French messages, never as tracebacks."""

from __future__ import annotations

import streamlit as st

from ctg_core.common.errors import (
    ConflictError,
    CtgError,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from ctg_core.common.labels import FIELD_LABELS
from ui.plain_text import md


def show_error(error: CtgError) -> None:
    if isinstance(error, ValidationFailed):
        st.error("La saisie n'a pas été enregistrée :", icon=":material/error:")
        for message in error.errors.values():
            st.markdown(f"- {md(message)}")
    elif isinstance(error, ConflictError):
        st.warning(md(error.message), icon=":material/sync_problem:")
        values = {
            FIELD_LABELS.get(k, k): (v.label if hasattr(v, "label") else v)
            for k, v in error.info.current_values.items()
        }
        if values:
            st.caption("Valeurs enregistrées par l'autre personne :")
            st.json(values, expanded=True)
    elif isinstance(error, PermissionDenied):
        st.error(md(error.message), icon=":material/block:")
    elif isinstance(error, NotFound):
        st.warning(md(error.message), icon=":material/search_off:")
    else:
        st.error(md(error.message))
