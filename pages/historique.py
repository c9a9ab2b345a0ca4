"""Historique — qui a changé quoi, quand, dans quelle réunion: the change log filtered by who,
what (record and field), when, convention and meeting; each line in words with a link to
the record, and the same lines exported to Excel or CSV (`ui.downloads`).

The administrator and Caf management read everything (the administrator also the users,
sign-ins and refusals); a conseiller the conventions they follow. Deep link:
`?convention=12` (the convention page's history leads here).
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from ctg_core.common import db, formats
from ctg_core.common.errors import ValidationFailed
from ctg_core.exchange import exports
from ctg_core.exchange.writers import Table
from ctg_core.people import queries as people
from ctg_core.people.queries import HistoryFilters
from ui.auth import current_user
from ui.downloads import download_buttons
from ui.url import requested_id

user = current_user()
st.title("Historique")
st.caption(
    "Chaque modification enregistrée : qui, quand, l'ancienne et la nouvelle valeur, et la "
    "réunion où elle a été faite. Rien n'est jamais effacé de l'historique."
)

with db.session() as session:
    everyone = {c.id: c.label for c in people.people_choices(session)}
    conventions = {c.id: c.label for c in people.history_conventions(session, user)}
kinds = dict(people.entity_choices(user))


def choice(label: str, options: dict, *, key: str, none: str, **kwargs) -> object:  # type: ignore[type-arg]
    """A selectbox whose empty choice means « all »."""
    return st.selectbox(
        label,
        [None, *options],
        format_func=lambda value: none if value is None else options[value],
        key=key,
        **kwargs,
    )


# --- filters ---------------------------------------------------------------------------------

wanted = requested_id("convention")
if "history-convention" not in st.session_state and wanted in conventions:
    st.session_state["history-convention"] = wanted

who_col, what_col, field_col = st.columns(3)
with who_col:
    who = choice("Qui", everyone, key="history-who", none="Tout le monde")
with what_col:
    entity = choice("Quoi", kinds, key="history-entity", none="Tous les enregistrements")
with field_col:
    fields = dict(people.field_choices(entity)) if entity else {}
    field = choice(
        "Champ",
        fields,
        key=f"history-field-{entity}",
        none="Tous les champs",
        disabled=not fields,
        help="Choisissez d'abord un type d'enregistrement.",
    )

since_col, until_col, convention_col, meeting_col = st.columns([1, 1, 2, 2])
with since_col:
    since_text = st.text_input("Du", key="history-since", placeholder="JJ/MM/AAAA", max_chars=10)
with until_col:
    until_text = st.text_input("Au", key="history-until", placeholder="JJ/MM/AAAA", max_chars=10)
try:
    since, until = people.period(since_text, until_text)
except ValidationFailed as refusal:
    since = until = None
    for message in refusal.errors.values():
        st.error(message, icon=":material/error:")
with convention_col:
    convention_id = choice(
        "Convention", conventions, key="history-convention", none="Toutes les conventions"
    )
with db.session() as session:
    meetings = (
        {c.id: c.label for c in people.meeting_choices(session, convention_id)}  # type: ignore[arg-type]
        if convention_id
        else {}
    )
with meeting_col:
    meeting_id = choice(
        "Réunion",
        meetings,
        key=f"history-meeting-{convention_id}",
        none="Toutes les réunions",
        disabled=not meetings,
        help="Les réunions de la convention choisie.",
    )

if convention_id:
    st.query_params["convention"] = str(convention_id)
else:
    st.query_params.pop("convention", None)

filters = HistoryFilters(
    user_id=who,  # type: ignore[arg-type]
    entity=entity,  # type: ignore[arg-type]
    field=field,  # type: ignore[arg-type]
    since=since,
    until=until,
    convention_id=convention_id,  # type: ignore[arg-type]
    meeting_id=meeting_id,  # type: ignore[arg-type]
)
# --- the lines -------------------------------------------------------------------------------

with db.session() as session:
    log = people.history_log(session, user, filters)

if not log.lines:
    st.info("Aucune modification ne correspond à ces filtres.", icon=":material/info:")
    st.stop()

counted = f"{formats.number(log.total)} modification(s)"
if log.truncated:
    counted += (
        f" : les {formats.number(len(log.lines))} plus récentes sont affichées, l'export "
        f"(Excel ou CSV) en contient jusqu'à {formats.number(people.MAX_EXPORTED)}."
    )
st.caption(counted)


def export() -> Table:
    """The filtered lines, up to `MAX_EXPORTED`: read only when a button is clicked."""
    with db.session() as session:
        log = people.history_log(session, user, filters, limit=people.MAX_EXPORTED)
    return exports.history_viewer_table(log.lines)


download_buttons(
    export,
    "historique-ctg",
    label="Exporter",
    help=(
        "Classeur Excel des modifications qui répondent aux filtres, jusqu'à "
        f"{formats.number(people.MAX_EXPORTED)} lignes ; chaque texte y reste du texte."
    ),
    key="history-export",
)

st.dataframe(
    pd.DataFrame(
        [
            {
                "Date": formats.moment(item.line.at),
                "Par": item.line.user_name,
                "Opération": item.line.operation_label,
                "Objet": item.subject,
                "Lien": item.link,
                "Modifications": item.changes,
                "Réunion": item.line.meeting or "—",
                "Convention": item.convention or "—",
            }
            for item in log.lines
        ]
    ),
    key="history_table",
    hide_index=True,
    column_config={
        "Objet": st.column_config.TextColumn("Objet", width="medium"),
        "Lien": st.column_config.LinkColumn("Fiche", display_text="Ouvrir", width="small"),
        "Modifications": st.column_config.TextColumn("Modifications", width="large"),
    },
)
