"""Forms that keep the user's input: French errors under each field, conflicts, toasts.

A form's state lives in `st.session_state` under its key. Its widgets are keyed by a
*generation*: a failed save keeps the generation (the user's input stays in the widgets),
a successful one starts a new generation (fresh widgets showing the saved values).
The values the form first showed are kept too, so only the fields the user really changed
are sent, and the version they came from is the one checked by the service.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import streamlit as st

from ctg_core.common import db
from ctg_core.common.db import Session
from ctg_core.common.errors import ConflictError, CtgError, ValidationFailed
from ui.feedback import show_error

T = TypeVar("T")

_FLASH_KEY = "flash_messages"


@dataclass
class FormState:
    generation: int = 0
    owner: object = None  # what the form edits (action id, convention id…)
    shown: dict[str, Any] | None = None
    seen_version: int | None = None
    errors: dict[str, str] = field(default_factory=dict)
    problem: CtgError | None = None  # a conflict or refusal not tied to one field

    def widget_key(self, name: str, field_name: str) -> str:
        return f"{name}-{self.generation}-{field_name}"

    def start(self, owner: object, shown: dict[str, Any], version: int | None) -> None:
        """Show `shown` (from `version`) unless this form is already editing `owner`."""
        if self.owner != owner or self.shown is None:
            self.generation += 1
            self.owner = owner
            self.shown = dict(shown)
            self.seen_version = version
            self.errors = {}
            self.problem = None

    def refused(self, error: CtgError) -> None:
        """Remember why a save failed; keep the input as it is."""
        if isinstance(error, ValidationFailed):
            self.errors = dict(error.errors)
            self.problem = None
        else:
            self.errors = {}
            self.problem = error
        if isinstance(error, ConflictError):
            # The user has now seen the other person's values: their next save applies
            # their own changes on top of that version.
            self.seen_version = error.info.current_version

    def saved(self) -> None:
        """Next run shows fresh widgets with what is now stored."""
        self.owner = None
        self.shown = None


def form_state(name: str) -> FormState:
    key = f"form:{name}"
    if key not in st.session_state:
        st.session_state[key] = FormState()
    return st.session_state[key]


def field_error(state: FormState, field_name: str) -> None:
    """The French message for this field, right under its widget."""
    message = state.errors.get(field_name)
    if message:
        st.error(message, icon=":material/error:")


def form_problems(state: FormState, fields: Iterable[str]) -> None:
    """What cannot be shown next to a field: a conflict, a refusal, an unknown field."""
    if state.problem is not None:
        show_error(state.problem)
    known = set(fields)
    for name, message in state.errors.items():
        if name not in known:
            st.error(message, icon=":material/error:")


def flash(message: str) -> None:
    """A toast shown on the next run (a toast sent right before `st.rerun` is lost)."""
    st.session_state.setdefault(_FLASH_KEY, []).append(message)


def show_flash() -> None:
    for message in st.session_state.pop(_FLASH_KEY, []):
        st.toast(message, icon=":material/check_circle:")


def save(
    write: Callable[[Session], T],
    *,
    done: str | Callable[[T], str],
    state: FormState | None = None,
) -> None:
    """The one save pattern of the pages: run one command in a write session.

    Saved: the form (if any) starts afresh, a toast says what was saved, the page reruns.
    Refused: with a `state`, the French reasons go under the fields and the input stays
    (rerun); without one, the reason is shown where the save was asked.
    """
    try:
        with db.session(write=True) as session:
            result = write(session)
    except CtgError as error:
        if state is None:
            show_error(error)
            return
        state.refused(error)
        st.rerun()
    if state is not None:
        state.saved()
    flash(done(result) if callable(done) else done)
    st.rerun()


def changed(values: dict[str, Any], shown: dict[str, Any]) -> dict[str, Any]:
    """The fields whose input differs from what the form showed."""
    return {name: value for name, value in values.items() if not same(value, shown.get(name))}


def same(a: Any, b: Any) -> bool:
    if a in (None, "") and b in (None, ""):
        return True
    return bool(a == b) or str(a) == str(b)
