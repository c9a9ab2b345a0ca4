"""The forms of the indicators: define, edit, archive; add, correct, remove a value; a whole
year at once; the catalogue and the open-data import (admin). Every number is typed as text
and read by the core's French number rule; each form calls one command and shows its French
answer under the field concerned."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import streamlit as st

from ctg_core.common.auth import CurrentUser
from ctg_core.common.models import IndicatorDirection, MeasureKind
from ctg_core.common.validation import changed_fields
from ctg_core.indicators import commands as indicator_commands
from ctg_core.indicators import open_data
from ctg_core.indicators.queries import CatalogueEntry, IndicatorSeries
from ctg_core.plan.queries import AxisRef
from ui.confirm import ask_button, confirmation
from ui.form_feedback import FormState, field_error, form_problems, form_state, save, save_changes
from ui.plain_text import md

DEFINITION_FIELDS = (
    "name",
    "unit",
    "measure",
    "direction",
    "axis_id",
    "action_id",
    "baseline_value",
    "baseline_year",
    "target_value",
    "target_year",
    "source",
)
REPORT_KEY = "open-data-report"
SAMPLES_DIR = Path(__file__).resolve().parent.parent / "data" / "open_data"


@dataclass(frozen=True)
class Links:
    """What an indicator can be attached to: an axis, or one action of the convention."""

    axes: Sequence[AxisRef]
    actions: Mapping[int, str]  # id → « PE-01 — Créer un multi-accueil »


def typed_number(value: float | None) -> str:
    """A stored number as the user would type it: « 42,5 », « 1250 » (empty if none)."""
    if value is None:
        return ""
    if not math.isfinite(value) or abs(value) >= 1e15:
        return repr(value)
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.6f}".rstrip("0").rstrip(".").replace(".", ",")


def typed_year(year: int | None) -> str:
    return "" if year is None else str(year)


# --- defining an indicator ---------------------------------------------------------------------


def _definition_fields(
    state: FormState,
    name: str,
    shown: dict[str, Any],
    links: Links,
    *,
    from_catalogue: bool,
) -> dict[str, Any]:
    key = lambda f: state.widget_key(name, f)  # noqa: E731
    values: dict[str, Any] = {}
    if not from_catalogue:
        values["name"] = st.text_input("Nom de l'indicateur", value=shown["name"], key=key("name"))
        field_error(state, "name")
        unit_col, measure_col, direction_col = st.columns([1, 2, 1])
        with unit_col:
            values["unit"] = st.text_input(
                "Unité",
                value=shown["unit"],
                key=key("unit"),
                placeholder="familles, %, €…",
                help="Écrite après chaque valeur et en titre de l'axe des graphiques.",
            )
            field_error(state, "unit")
        with measure_col:
            kinds = list(MeasureKind)
            values["measure"] = st.selectbox(
                "Type de mesure",
                kinds,
                index=kinds.index(MeasureKind(shown["measure"])),
                format_func=lambda k: k.label,
                key=key("measure"),
                help="Fixe les valeurs permises : un effectif n'est jamais négatif, un taux "
                "peut dépasser 100 %, une part va de 0 à 100 %.",
            )
            field_error(state, "measure")
        with direction_col:
            directions = list(IndicatorDirection)
            values["direction"] = st.selectbox(
                "Sens",
                directions,
                index=directions.index(IndicatorDirection(shown["direction"])),
                format_func=lambda d: d.label,
                key=key("direction"),
            )
            field_error(state, "direction")
        labels = {None: "Aucun axe"} | {a.id: a.label for a in links.axes}
        options = list(labels)
        values["axis_id"] = st.selectbox(
            "Axe",
            options,
            index=options.index(shown["axis_id"]) if shown["axis_id"] in options else 0,
            format_func=labels.__getitem__,
            key=key("axis_id"),
        )
        field_error(state, "axis_id")
    measured = {None: "Aucune action (indicateur de la convention)"} | dict(links.actions)
    choices = list(measured)
    values["action_id"] = st.selectbox(
        "Action mesurée",
        choices,
        index=choices.index(shown["action_id"]) if shown["action_id"] in choices else 0,
        format_func=lambda i: measured.get(i, f"Action n° {i}"),
        key=key("action_id"),
        help="Rattaché à une action, l'indicateur est montré avec elle en comité.",
    )
    field_error(state, "action_id")
    cols = st.columns(4)
    for col, field, label, hint in (
        (cols[0], "baseline_value", "Référence", "ex. 120 ou 42,5"),
        (cols[1], "baseline_year", "Année de référence", "ex. 2024"),
        (cols[2], "target_value", "Cible", "ex. 160"),
        (cols[3], "target_year", "Année de la cible", "ex. 2028"),
    ):
        with col:
            values[field] = st.text_input(
                label, value=shown[field], key=key(field), placeholder=hint
            )
            field_error(state, field)
    values["source"] = st.text_input("Source", value=shown["source"], key=key("source"))
    field_error(state, "source")
    return values


def _blank_definition() -> dict[str, Any]:
    return {
        "name": "",
        "unit": "",
        "measure": MeasureKind.quantity,
        "direction": IndicatorDirection.higher_is_better,
        "axis_id": None,
        "action_id": None,
        "baseline_value": "",
        "baseline_year": "",
        "target_value": "",
        "target_year": "",
        "source": "",
    }


def new_indicator_form(
    convention_id: int,
    user: CurrentUser,
    entries: Sequence[CatalogueEntry],
    followed: set[int],
    links: Links,
) -> None:
    """An indicator from the catalogue (comparable across territories) or the convention's own."""
    origin = st.radio(
        "Origine",
        ["catalogue", "propre"],
        format_func={
            "catalogue": "Du catalogue (comparable entre territoires)",
            "propre": "Propre à la convention",
        }.__getitem__,
        horizontal=True,
        key=f"new-indicator-origin-{convention_id}",
    )
    name = f"new-indicator-{convention_id}-{origin}"
    state = form_state(name)
    state.start(convention_id, _blank_definition(), None)
    assert state.shown is not None
    form_problems(state, (*DEFINITION_FIELDS, "catalogue_id"))
    offered = [e for e in entries if e.id not in followed]
    if origin == "catalogue" and not offered:
        st.caption(
            "La convention suit déjà tous les indicateurs du catalogue."
            if entries
            else "Le catalogue est vide."
        )
        return
    with st.form(f"{name}-{state.generation}", enter_to_submit=False):
        values: dict[str, Any] = {}
        if origin == "catalogue":
            by_id = {e.id: e for e in offered}
            values["catalogue_id"] = st.selectbox(
                "Indicateur du catalogue",
                list(by_id),
                format_func=lambda i: f"{by_id[i].name} ({by_id[i].unit})",
                key=state.widget_key(name, "catalogue_id"),
            )
            field_error(state, "catalogue_id")
        values |= _definition_fields(
            state, name, state.shown, links, from_catalogue=origin == "catalogue"
        )
        submitted = st.form_submit_button(
            "Ajouter l'indicateur", type="primary", icon=":material/add:"
        )
    if submitted:
        save(
            lambda session: indicator_commands.create_indicator(
                session, user, convention_id, values
            ),
            done=lambda indicator: f"Indicateur « {indicator.name} » ajouté.",
            state=state,
        )


def edit_indicator_form(item: IndicatorSeries, user: CurrentUser, links: Links) -> None:
    """Only the fields changed are sent, with the version the form showed."""
    name = f"indicator-{item.id}"
    state = form_state(name)
    shown = {
        "name": item.name,
        "unit": item.unit,
        "measure": item.measure,
        "direction": item.direction,
        "axis_id": item.axis_id,
        "action_id": item.action_id,
        "baseline_value": typed_number(item.baseline_value),
        "baseline_year": typed_year(item.baseline_year),
        "target_value": typed_number(item.target_value),
        "target_year": typed_year(item.target_year),
        "source": item.source,
    }
    state.start(item.id, shown, item.version)
    assert state.shown is not None
    form_problems(state, DEFINITION_FIELDS)
    if item.catalogue_code:
        st.caption("Nom, unité, type de mesure et sens viennent du catalogue.")
    with st.form(f"{name}-{state.generation}", enter_to_submit=False):
        values = _definition_fields(
            state, name, state.defaults, links, from_catalogue=item.catalogue_code is not None
        )
        submitted = st.form_submit_button("Enregistrer l'indicateur", icon=":material/save:")
    if not submitted:
        return
    change = changed_fields(indicator_commands.IndicatorChange, values, state.shown)
    save_changes(
        lambda session: indicator_commands.update_indicator(
            session, user, item.id, state.seen_version or 0, change
        ),
        done=f"Indicateur « {item.name} » enregistré.",
        state=state,
        change=change,
    )


def archive_indicator_button(item: IndicatorSeries, user: CurrentUser) -> None:
    key = f"archive-indicator-{item.id}"
    ask_button(key, "Archiver l'indicateur…", icon=":material/archive:")
    confirmation(
        key,
        title="Archiver l'indicateur",
        question=f"Archiver l'indicateur **{md(item.name)}** ?",
        details=lambda: st.caption(
            "Il quittera la page et les comités ; ses valeurs restent dans l'historique. "
            "Rien n'est supprimé."
        ),
        confirm_label="Archiver",
        icon=":material/archive:",
        write=lambda session: indicator_commands.archive_indicator(
            session, user, item.id, item.version
        ),
        done=f"Indicateur « {item.name} » archivé.",
    )


# --- values ------------------------------------------------------------------------------------


def add_value_form(item: IndicatorSeries, user: CurrentUser, this_year: int) -> None:
    """A value for one year; the box proposes last year, or this year once last year is in."""
    name = f"measure-{item.id}"
    state = form_state(name)
    measured = {int(y) for y in item.points["year"]}
    proposed = this_year - 1 if this_year - 1 not in measured else this_year
    state.start(item.id, {"year": str(proposed), "value": "", "source": item.source}, None)
    assert state.shown is not None
    form_problems(state, ("year", "value", "source"))
    key = lambda f: state.widget_key(name, f)  # noqa: E731
    with st.form(f"{name}-{state.generation}", enter_to_submit=False):
        cols = st.columns([1, 1, 2])
        with cols[0]:
            year = st.text_input("Année", value=state.shown["year"], key=key("year"))
            field_error(state, "year")
        with cols[1]:
            value = st.text_input(
                f"Valeur mesurée{f' ({item.unit})' if item.unit else ''}",
                key=key("value"),
                placeholder="ex. 42,5",
            )
            field_error(state, "value")
        with cols[2]:
            source = st.text_input("Source", value=state.defaults["source"], key=key("source"))
            field_error(state, "source")
        submitted = st.form_submit_button("Ajouter la valeur", icon=":material/add:")
    if submitted:
        save(
            lambda session: indicator_commands.record_indicator_value(
                session, user, item.id, {"year": year, "value": value, "source": source}
            ),
            done="Valeur enregistrée.",
            state=state,
        )


def correct_value_form(item: IndicatorSeries, user: CurrentUser) -> None:
    """Correct the value of a year (history keeps the old one), or remove a wrong one."""
    if item.points.empty:
        return
    points = {int(row["id"]): row for _, row in item.points.iterrows()}
    picked = st.selectbox(
        "Année à corriger",
        list(points),
        index=len(points) - 1,
        format_func=lambda i: (
            f"{int(points[i]['year'])} — {typed_number(float(points[i]['value']))}"
        ),
        key=f"correct-pick-{item.id}",
    )
    point = points[picked]
    name = f"correct-{item.id}-{picked}"
    state = form_state(name)
    state.start(
        (picked, int(point["version"])),
        {"value": typed_number(float(point["value"])), "source": point["source"] or ""},
        int(point["version"]),
    )
    assert state.shown is not None
    form_problems(state, ("value", "source"))
    key = lambda f: state.widget_key(name, f)  # noqa: E731
    with st.form(f"{name}-{state.generation}", enter_to_submit=False):
        cols = st.columns([1, 2])
        with cols[0]:
            value = st.text_input(
                "Valeur corrigée", value=state.defaults["value"], key=key("value")
            )
            field_error(state, "value")
        with cols[1]:
            source = st.text_input("Source", value=state.defaults["source"], key=key("source"))
            field_error(state, "source")
        submitted = st.form_submit_button("Enregistrer la correction", icon=":material/edit:")
    if submitted:
        change = changed_fields(
            indicator_commands.CorrectionData, {"value": value, "source": source}, state.shown
        )
        save_changes(
            lambda session: indicator_commands.correct_indicator_value(
                session, user, picked, state.seen_version or 0, change
            ),
            done=f"Valeur {int(point['year'])} corrigée.",
            state=state,
            change=change,
        )
    key_remove = f"remove-value-{picked}"
    ask_button(key_remove, f"Retirer la valeur {int(point['year'])}…", icon=":material/delete:")
    confirmation(
        key_remove,
        title="Retirer une valeur",
        question=f"Retirer la valeur **{int(point['year'])}** de **{md(item.name)}** ?",
        details=lambda: st.caption(
            "Elle est archivée (l'historique la garde) et l'année pourra être saisie à nouveau."
        ),
        confirm_label="Retirer",
        icon=":material/delete:",
        write=lambda session: indicator_commands.archive_indicator_value(
            session, user, picked, int(point["version"])
        ),
        done=f"Valeur {int(point['year'])} retirée.",
    )


def year_form(
    convention_id: int, series: Sequence[IndicatorSeries], user: CurrentUser, this_year: int
) -> None:
    """One year for every indicator at once; those already measured that year are listed."""
    years = list(range(this_year, this_year - 6, -1))
    year = st.selectbox("Année saisie", years, index=1, key=f"year-entry-{convention_id}")
    missing = [s for s in series if year not in set(int(y) for y in s.points["year"])]
    done = [s for s in series if s not in missing]
    if done:
        st.caption(
            "Déjà saisies pour cette année (à corriger dans la carte de l'indicateur) : "
            + ", ".join(md(s.name) for s in done)
            + "."
        )
    if not missing:
        st.caption("Tous les indicateurs ont une valeur pour cette année.")
        return
    name = f"year-{convention_id}-{year}"
    state = form_state(name)
    state.start((convention_id, year), {}, None)
    form_problems(state, [f"value:{s.id}" for s in missing])
    with st.form(f"{name}-{state.generation}", enter_to_submit=False):
        values = {}
        for item in missing:
            values[item.id] = st.text_input(
                f"{item.name}{f' ({item.unit})' if item.unit else ''}",
                key=state.widget_key(name, str(item.id)),
                placeholder="vide : pas de valeur",
            )
            field_error(state, f"value:{item.id}")
        source = st.text_input(
            "Source (pour toutes les valeurs)", key=state.widget_key(name, "source")
        )
        submitted = st.form_submit_button(
            f"Enregistrer l'année {year}", type="primary", icon=":material/save:"
        )
    if submitted:
        save(
            lambda session: indicator_commands.record_year_values(
                session, user, convention_id, {"year": year, "values": values, "source": source}
            ),
            done=lambda report: f"{report.recorded} valeur(s) enregistrée(s) pour {report.year}.",
            state=state,
        )


# --- the catalogue (admin) --------------------------------------------------------------------

CATALOGUE_FIELDS = (
    "code",
    "name",
    "unit",
    "measure",
    "direction",
    "axis_code",
    "source",
    "definition",
)


def _catalogue_fields(
    state: FormState, name: str, shown: dict[str, Any], *, new: bool
) -> dict[str, Any]:
    key = lambda f: state.widget_key(name, f)  # noqa: E731
    values: dict[str, Any] = {}
    code_col, name_col = st.columns([1, 3])
    with code_col:
        if new:
            values["code"] = st.text_input("Code", key=key("code"), placeholder="TXCOUV")
            field_error(state, "code")
        else:
            st.text_input("Code", value=shown["code"], disabled=True, key=key("code"))
    with name_col:
        values["name"] = st.text_input("Nom", value=shown["name"], key=key("name"))
        field_error(state, "name")
    unit_col, measure_col, direction_col, axis_col = st.columns([1, 2, 1, 1])
    with unit_col:
        values["unit"] = st.text_input("Unité", value=shown["unit"], key=key("unit"))
        field_error(state, "unit")
    with measure_col:
        kinds = list(MeasureKind)
        values["measure"] = st.selectbox(
            "Type de mesure",
            kinds,
            index=kinds.index(MeasureKind(shown["measure"])),
            format_func=lambda k: k.label,
            key=key("measure"),
        )
        field_error(state, "measure")
    with direction_col:
        directions = list(IndicatorDirection)
        values["direction"] = st.selectbox(
            "Sens",
            directions,
            index=directions.index(IndicatorDirection(shown["direction"])),
            format_func=lambda d: d.label,
            key=key("direction"),
        )
    with axis_col:
        values["axis_code"] = st.text_input(
            "Code de l'axe", value=shown["axis_code"], key=key("axis_code"), placeholder="PE"
        )
    values["source"] = st.text_input("Source", value=shown["source"], key=key("source"))
    values["definition"] = st.text_area(
        "Définition", value=shown["definition"], key=key("definition"), height=90
    )
    field_error(state, "definition")
    return values


def new_catalogue_entry_form(user: CurrentUser) -> None:
    name = "new-catalogue-entry"
    state = form_state(name)
    blank = {
        "code": "",
        "name": "",
        "unit": "",
        "measure": MeasureKind.count,
        "direction": IndicatorDirection.higher_is_better,
        "axis_code": "",
        "source": "",
        "definition": "",
    }
    state.start("new", blank, None)
    assert state.shown is not None
    form_problems(state, CATALOGUE_FIELDS)
    with st.form(f"{name}-{state.generation}", enter_to_submit=False):
        values = _catalogue_fields(state, name, state.shown, new=True)
        submitted = st.form_submit_button("Ajouter au catalogue", icon=":material/add:")
    if submitted:
        save(
            lambda session: indicator_commands.create_catalogue_entry(session, user, values),
            done=lambda entry: f"« {entry.name} » ajouté au catalogue.",
            state=state,
        )


def edit_catalogue_entry_form(entry: CatalogueEntry, user: CurrentUser) -> None:
    name = f"catalogue-{entry.id}"
    state = form_state(name)
    shown = {
        "code": entry.code,
        "name": entry.name,
        "unit": entry.unit,
        "measure": entry.measure,
        "direction": entry.direction,
        "axis_code": entry.axis_code,
        "source": entry.source,
        "definition": entry.definition,
    }
    state.start(entry.id, shown, entry.version)
    assert state.shown is not None
    form_problems(state, CATALOGUE_FIELDS)
    with st.form(f"{name}-{state.generation}", enter_to_submit=False):
        values = _catalogue_fields(state, name, state.defaults, new=False)
        submitted = st.form_submit_button("Enregistrer l'entrée", icon=":material/save:")
    if submitted:
        change = changed_fields(indicator_commands.CatalogueChange, values, state.shown)
        save_changes(
            lambda session: indicator_commands.update_catalogue_entry(
                session, user, entry.id, state.seen_version or 0, change
            ),
            done=f"« {entry.name} » enregistré.",
            state=state,
            change=change,
        )
    key = f"archive-catalogue-{entry.id}"
    ask_button(key, "Retirer du catalogue…", icon=":material/archive:")
    confirmation(
        key,
        title="Retirer du catalogue",
        question=f"Retirer **{md(entry.name)}** du catalogue ?",
        details=lambda: st.caption(
            "Il ne sera plus proposé aux conventions ; celles qui le suivent le gardent."
        ),
        confirm_label="Retirer",
        icon=":material/archive:",
        write=lambda session: indicator_commands.archive_catalogue_entry(
            session, user, entry.id, entry.version
        ),
        done=f"« {entry.name} » retiré du catalogue.",
    )


# --- the Caf open data (admin) -----------------------------------------------------------------


def samples() -> list[Path]:
    return sorted(SAMPLES_DIR.glob("*.csv"))


def open_data_form(user: CurrentUser, entries: Sequence[CatalogueEntry]) -> None:
    """Import a Caf file for a catalogue indicator: the report says how many territories
    matched and which codes did not; a bad file changes nothing."""
    by_code = {e.code: e for e in entries}
    codes = sorted(by_code, key=lambda c: (c not in open_data.VALUE_COLUMNS, by_code[c].name))
    code = st.selectbox(
        "Indicateur du catalogue",
        codes,
        format_func=lambda c: f"{c} — {by_code[c].name}",
        key="open-data-code",
    )
    origin = st.radio(
        "Fichier",
        ["upload", "sample"],
        format_func={
            "upload": "Fichier téléchargé sur le site open data de la Caf",
            "sample": "Échantillon fictif fourni avec l'application",
        }.__getitem__,
        horizontal=True,
        key="open-data-origin",
    )
    content: bytes | None = None
    filename = ""
    if origin == "upload":
        uploaded = st.file_uploader(
            "Fichier CSV de la Caf (séparateur « ; », virgule décimale)",
            type=["csv"],
            key="open-data-file",
        )
        if uploaded is not None:
            content, filename = uploaded.getvalue(), uploaded.name
    else:
        files = {p.name: p for p in samples()}
        filename = st.selectbox(
            "Échantillon (données fictives)", list(files), key="open-data-sample"
        )
        content = files[filename].read_bytes() if filename else None
    if st.button(
        "Importer",
        type="primary",
        icon=":material/upload:",
        disabled=content is None,
        key="open-data-import",
    ):

        def run(session):  # type: ignore[no-untyped-def]
            report = indicator_commands.import_open_data(
                session, user, {"catalogue_code": code, "filename": filename}, content or b""
            )
            st.session_state[REPORT_KEY] = report
            return report

        save(
            run, done=lambda report: f"Import terminé : {report.matched} territoire(s) reconnu(s)."
        )
    report = st.session_state.get(REPORT_KEY)
    if report is not None:
        lines = [
            f"**Dernier import ({md(report.catalogue_code)})** : {report.matched} "
            f"{'département' if report.level == 'departement' else 'territoire'}(s) reconnu(s), "
            f"années {', '.join(str(y) for y in report.years)} "
            f"(colonne lue : {md(report.value_column)}).",
            f"{report.added} valeur(s) ajoutée(s), {report.replaced} remplacée(s), "
            f"{report.unchanged} inchangée(s).",
            f"Lignes « XX » ignorées : {report.placeholders} · sans valeur (secret statistique) : "
            f"{report.blanks}.",
        ]
        if report.unknown_codes:
            lines.append(
                "Codes non reconnus (non importés) : "
                + ", ".join(md(c) for c in report.unknown_codes)
                + "."
            )
        st.markdown("  \n".join(lines))
