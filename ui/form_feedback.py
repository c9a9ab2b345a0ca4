"""Forms that keep the user's input: French errors under each field, conflicts, toasts.

A form's state lives in `st.session_state` under its key. Its widgets are keyed by a
*generation*: a refused save keeps the generation (the user's input stays in the widgets),
a successful one starts a new generation (fresh widgets showing the saved values).
The values the form showed are kept too, so only the fields the user really changed are
sent (`common.validation.changed_fields`), with the version they came from.

After a conflict the form starts again from what is stored now (the colleague's values)
with the user's own changes on top (`pending`): saving again applies only those, on the
new version. A field the user did not touch never overwrites a colleague's change.
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
    pending: dict[str, Any] = field(default_factory=dict)  # the user's changes kept over a conflict

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
            if not self.pending:
                self.problem = None

    @property
    def defaults(self) -> dict[str, Any]:
        """What the widgets start with: the stored values, the user's pending changes on top."""
        return {**(self.shown or {}), **self.pending}

    def refused(self, error: CtgError, attempted: dict[str, Any] | None = None) -> None:
        """Remember why a save failed; keep the input. After a conflict, start again from
        what is stored now with the user's `attempted` changes kept on top."""
        if isinstance(error, ValidationFailed):
            self.errors = dict(error.errors)
            self.problem = None
        else:
            self.errors = {}
            self.problem = error
        if isinstance(error, ConflictError):
            self.pending = dict(attempted or {})
            self.owner = None  # next run reloads the record (new version, colleague's values)

    def saved(self) -> None:
        """Next run shows fresh widgets with what is now stored."""
        self.owner = None
        self.shown = None
        self.pending = {}
        self.problem = None


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
    attempted: dict[str, Any] | None = None,
) -> None:
    """The one save pattern of the pages: run one command in a write session.

    Saved: the form (if any) starts afresh, a toast says what was saved, the page reruns.
    Refused: with a `state`, the French reasons go under the fields and the input stays
    (rerun; after a conflict, the `attempted` changes are kept over the stored values);
    without one, the reason is shown where the save was asked.
    """
    try:
        with db.session(write=True) as session:
            result = write(session)
    except CtgError as error:
        if state is None:
            show_error(error)
            return
        state.refused(error, attempted)
        st.rerun()
    if state is not None:
        state.saved()
    flash(done(result) if callable(done) else done)
    st.rerun()


def save_changes(
    write: Callable[[Session], T],
    *,
    done: str | Callable[[T], str],
    state: FormState,
    change: dict[str, Any],
) -> None:
    """`save` for an edit form: `change` holds only the fields the user changed
    (`changed_fields`); when there are none, say so and send nothing."""
    if not change:
        st.info("Aucune modification à enregistrer.", icon=":material/info:")
        return
    save(write, done=done, state=state, attempted=change)
