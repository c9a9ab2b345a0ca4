"""The confirmation of a step that cannot be undone from the page (archive, close, pay, a
batch of changes): a button asks, a dialog shows what will happen, one click confirms.

The dialog stays open across reruns until the user confirms, cancels or dismisses it; a
refusal from the core is shown inside it and changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import streamlit as st

from ctg_core.common import db
from ctg_core.common.db import Session
from ctg_core.common.errors import CtgError
from ui.feedback import show_error
from ui.form_feedback import flash

T = TypeVar("T")
_PENDING = "confirm-pending"


def ask(key: str) -> None:
    """Open the confirmation `key` (use as a button's `on_click`)."""
    st.session_state[_PENDING] = key


def ask_button(key: str, label: str, *, icon: str | None = None) -> None:
    """The button that opens the confirmation `key` (draw `confirmation(key, …)` after it)."""
    st.button(label, icon=icon, key=f"{key}-ask", on_click=ask, args=(key,))


def forget() -> None:
    st.session_state.pop(_PENDING, None)


def confirmation(
    key: str,
    *,
    title: str,
    question: str,
    confirm_label: str,
    write: Callable[[Session], T],
    done: str | Callable[[T], str],
    details: Callable[[], Any] | None = None,
    icon: str | None = None,
    width: str = "small",
) -> None:
    """Show the dialog `key` if it was asked for. `question` is Markdown (escape user text);
    `write` runs one command in a write session; `done` is the toast after saving (or a
    function of the command's result that returns it)."""
    if st.session_state.get(_PENDING) != key:
        return

    @st.dialog(title, width=width, on_dismiss=forget)  # type: ignore[arg-type]
    def dialog() -> None:
        st.markdown(question)
        if details is not None:
            details()
        confirm, cancel = st.columns(2)
        if cancel.button("Annuler", key=f"{key}-cancel", width="stretch"):
            forget()
            st.rerun()
        if confirm.button(
            confirm_label, type="primary", icon=icon, key=f"{key}-confirm", width="stretch"
        ):
            try:
                with db.session(write=True) as session:
                    result = write(session)
            except CtgError as error:
                show_error(error)
                return
            forget()
            flash(done(result) if callable(done) else done)
            st.rerun()

    dialog()
