"""The yearly funding rules: what is in force each year, and (admin) adding next year's rule,
changing a rule no line uses yet, or correcting a used rule — a motivated correction that
recomputes the year's lines, confirmed with the number of lines it touches and logged."""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd
import streamlit as st

from ctg_core.common import db, formats
from ctg_core.common.auth import CurrentUser
from ctg_core.common.errors import CtgError
from ctg_core.common.validation import changed_fields, validated
from ctg_core.funding import commands as funding
from ctg_core.funding import queries as funding_queries
from ctg_core.funding.queries import RuleView
from ui.confirm import ask, confirmation
from ui.form_feedback import FormState, field_error, form_problems, form_state, save, save_changes
from ui.plain_text import md

FIELDS = ("rate", "ceiling_per_fte", "advance_share", "renewal_opens_on", "renewal_due_on", "notes")
PENDING = "funding-rule-correction"


def rules_section(rules: list[RuleView], user: CurrentUser, today: date) -> None:
    st.caption(
        "Chaque année a sa règle : taux de la Caf, plafond par ETP, part versée en acompte et "
        "fenêtre du renouvellement. Une règle déjà appliquée à des lignes ne se modifie que "
        "par une correction motivée, qui recalcule ces lignes et reste à l'historique."
    )
    st.dataframe(rules_table(rules), hide_index=True, key="funding_rules_table")
    if not user.is_admin:
        st.caption("Les règles de financement sont saisies par l'administrateur de la Caf.")
        return
    years = [r.year for r in rules]
    next_year = max([*years, today.year]) + 1
    choice = st.selectbox(
        "Règle à modifier",
        [*years, next_year],
        format_func=lambda y: f"{y} (nouvelle)" if y not in years else str(y),
        key="funding_rule_year",
    )
    rule = next((r for r in rules if r.year == choice), None)
    if rule is None:
        new_rule_form(choice, rules[0] if rules else None, user)
    elif rule.in_use:
        correction_form(rule, user)
    else:
        edit_rule_form(rule, user)
    if rule is not None:
        with st.expander(f"Historique de la règle {rule.year}", icon=":material/history:"):
            show_rule_history(rule.year)


def rules_table(rules: list[RuleView]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Année": [str(r.year) for r in rules],
            "Taux de la Caf": [r.rate_text for r in rules],
            "Plafond par ETP": [formats.euros(r.ceiling_per_fte) for r in rules],
            "Acompte": [r.advance_share_text for r in rules],
            "Renouvellement dès le": [formats.day(r.renewal_opens_on) for r in rules],
            "À signer avant le": [formats.day(r.renewal_due_on) for r in rules],
            "Lignes": [r.lines for r in rules],
            "Notes": [r.notes for r in rules],
        }
    )


def rule_fields(state: FormState, name: str, shown: dict[str, Any]) -> dict[str, Any]:
    key = lambda f: state.widget_key(name, f)  # noqa: E731
    values: dict[str, Any] = {}
    cols = st.columns(3)
    for col, (field, label, hint) in zip(
        cols,
        (
            ("rate", "Taux de la Caf (%)", "50"),
            ("ceiling_per_fte", "Plafond par ETP (€)", "26 000"),
            ("advance_share", "Part versée en acompte (%)", "70"),
        ),
        strict=True,
    ):
        with col:
            values[field] = st.text_input(
                label, value=shown.get(field, ""), key=key(field), placeholder=hint
            )
            field_error(state, field)
    opens, due = st.columns(2)
    with opens:
        values["renewal_opens_on"] = st.date_input(
            "Renouvellement possible dès le",
            value=shown.get("renewal_opens_on"),
            format="DD/MM/YYYY",
            key=key("renewal_opens_on"),
        )
        field_error(state, "renewal_opens_on")
    with due:
        values["renewal_due_on"] = st.date_input(
            "Convention annuelle à signer avant le",
            value=shown.get("renewal_due_on"),
            format="DD/MM/YYYY",
            key=key("renewal_due_on"),
        )
        field_error(state, "renewal_due_on")
    values["notes"] = st.text_input("Notes", value=shown.get("notes", ""), key=key("notes"))
    field_error(state, "notes")
    return values


def new_rule_form(year: int, template: RuleView | None, user: CurrentUser) -> None:
    """Next year's rule, starting from the latest one's rate, ceiling and share."""
    name = f"new-rule-{year}"
    state = form_state(name)
    shown = template.form_values() if template else {}
    shown.update(
        renewal_opens_on=date(year - 1, 10, 1), renewal_due_on=date(year - 1, 12, 31), notes=""
    )
    state.start(year, shown, None)
    form_problems(state, ("year", *FIELDS))
    with st.form(f"{name}-{state.generation}", enter_to_submit=False):
        values = rule_fields(state, name, shown)
        submitted = st.form_submit_button(f"Créer la règle {year}", type="primary")
    if submitted:
        save(
            lambda session: funding.create_rule(session, user, year, values),
            done=f"Règle {year} créée.",
            state=state,
        )


def edit_rule_form(rule: RuleView, user: CurrentUser) -> None:
    st.caption(f"La règle {rule.year} n'est encore appliquée à aucune ligne : elle se modifie.")
    name = f"edit-rule-{rule.year}"
    state = form_state(name)
    state.start((rule.year, rule.version), rule.form_values(), rule.version)
    assert state.shown is not None
    form_problems(state, ("year", *FIELDS))
    with st.form(f"{name}-{state.generation}", enter_to_submit=False):
        values = rule_fields(state, name, state.defaults)
        submitted = st.form_submit_button("Enregistrer la règle", type="primary")
    if submitted:
        change = changed_fields(funding.RuleChange, values, state.shown)
        save_changes(
            lambda session: funding.update_rule(
                session, user, rule.year, state.seen_version or rule.version, change
            ),
            done=f"Règle {rule.year} enregistrée.",
            state=state,
            change=change,
        )


def correction_form(rule: RuleView, user: CurrentUser) -> None:
    st.warning(
        f"La règle {rule.year} s'applique déjà à {rule.lines} ligne"
        f"{'s' if rule.lines > 1 else ''} : toute modification est une correction motivée "
        "qui recalcule le droit des lignes non soldées (et le solde de celles déjà "
        "justifiées). Les lignes soldées gardent leurs montants.",
        icon=":material/warning:",
    )
    name = f"correct-rule-{rule.year}"
    state = form_state(name)
    state.start((rule.year, rule.version), {**rule.form_values(), "reason": ""}, rule.version)
    assert state.shown is not None
    form_problems(state, ("year", "reason", *FIELDS))
    with st.form(f"{name}-{state.generation}", enter_to_submit=False):
        values = rule_fields(state, name, state.defaults)
        values["reason"] = st.text_input(
            "Motif de la correction",
            key=state.widget_key(name, "reason"),
            placeholder="Circulaire rectificative du …",
        )
        field_error(state, "reason")
        submitted = st.form_submit_button("Corriger la règle…", type="primary")
    key = f"correct-rule-{rule.year}"
    if submitted:
        typed = {k: v for k, v in values.items() if k != "reason"}
        change = {
            **changed_fields(funding.RuleChange, typed, state.shown),
            "reason": values["reason"],
        }
        try:
            validated(funding.RuleCorrection, change)
        except CtgError as error:
            state.refused(error)
            st.rerun()
        st.session_state[PENDING] = change
        ask(key)
    pending = st.session_state.get(PENDING)
    if pending is not None:
        confirmation(
            key,
            title=f"Corriger la règle {rule.year}",
            question=f"Corriger la règle {rule.year} (« {md(pending.get('reason', ''))} ») et "
            f"recalculer ses {rule.lines} ligne{'s' if rule.lines > 1 else ''} non soldées ?",
            details=lambda: st.caption(
                "La correction, son motif et chaque ligne recalculée (avant → après) sont "
                "inscrits à l'historique de la règle et des lignes."
            ),
            confirm_label="Corriger et recalculer",
            write=lambda session: funding.correct_rule(
                session, user, rule.year, state.seen_version or rule.version, pending
            ),
            done=lambda ids: f"Règle {rule.year} corrigée : {len(ids)} ligne(s) recalculée(s).",
        )


def show_rule_history(year: int) -> None:
    with db.session() as session:
        entries = funding_queries.rule_history(session, year)
    if not entries:
        st.caption("Aucune modification depuis le chargement de la règle.")
        return
    for entry in entries:
        lines = [f"**{formats.moment(entry.at)}** · {md(entry.user_name)} · {entry.operation}"]
        lines += [md(change) for change in entry.changes]
        if entry.reason:
            lines.append(f"Motif : {md(entry.reason)}")
        if entry.recomputed:
            lines.append("Lignes recalculées : " + " ; ".join(md(r) for r in entry.recomputed))
        if entry.kept:
            lines.append("Lignes inchangées : " + " ; ".join(md(k) for k in entry.kept))
        st.markdown("  \n".join(lines))
