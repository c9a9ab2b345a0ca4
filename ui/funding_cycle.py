"""One year of funding of one post: where its cycle stands, what is missing, and the form of
its next step (demande reçue → signée → acompte → justification → solde).

The rules are the core's (`funding.rules`): this module collects input, asks the core to
check it, confirms what cannot be undone and calls one command. Each step's widgets are keyed
by the line's version: once a step is saved the next one starts at today's date, never at
the previous step's date.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import streamlit as st

from ctg_core.common import config, db, formats
from ctg_core.common.auth import CurrentUser
from ctg_core.common.errors import CtgError
from ctg_core.common.models import RenewalStatus
from ctg_core.common.validation import changed_fields, validated
from ctg_core.funding import commands as funding
from ctg_core.funding import queries as funding_queries
from ctg_core.funding import rules
from ctg_core.funding.queries import FundingLine
from ctg_core.funding.rules import Stage
from ui.confirm import ask, confirmation
from ui.form_feedback import FormState, field_error, form_problems, form_state, save, save_changes
from ui.plain_text import md

DONE, TODO = "✓", "○"
PENDING = "funding-pending"  # the checked input waiting for its confirmation


def cycle_panel(line: FundingLine, user: CurrentUser, today: date) -> None:
    """The line's steps, what it waits for, then (Caf roles) the form of its next step."""
    st.markdown(f"## {md(line.territory)} — {line.year}")
    st.caption(f"Titulaire(s) : {md(line.holders) or '—'} · étape : {line.stage.label}")
    left, right = st.columns([3, 2])
    with left:
        st.markdown("  \n".join(steps(line)))
    with right:
        if line.missing:
            st.markdown("**Ce qui manque**  \n" + "  \n".join(f"– {md(m)}" for m in line.missing))
        else:
            st.markdown("**Ce qui manque** : rien, l'année est soldée.")
    if not user.decides_funding:
        st.caption("Les décisions de financement sont enregistrées par la Caf.")
        return
    next_step(line, user, today)
    if line.advance_paid_on is None:
        with st.expander("Coût déclaré et droit de l'année", icon=":material/calculate:"):
            declaration_form(line, user)
    with st.expander("Historique de la ligne", icon=":material/history:"):
        show_history(line, user)


def steps(line: FundingLine) -> list[str]:
    """The cycle in words, each step marked done (✓) or to do (○)."""
    droit = (
        f"{DONE} Droit : **{formats.euros(line.entitlement)}** "
        f"({formats.number(line.fte, 2)} ETP, {line.months} mois, coût éligible "
        f"{formats.euros(line.eligible_cost)})"
        if line.entitlement > 0
        else f"{TODO} Droit : coût éligible à déclarer"
    )
    received, signed = line.renewal_received_on, line.renewal_signed_on
    due = f" (à signer avant le {formats.day(line.renewal_due_on)})" if line.renewal_due_on else ""
    return [
        droit,
        f"{DONE} Demande de renouvellement reçue le {formats.day(received)}"
        if received
        else f"{TODO} Demande de renouvellement{due}",
        f"{DONE} Convention annuelle signée le {formats.day(signed)}"
        if line.renewal_status is RenewalStatus.signee and signed
        else f"{TODO} Signature de la convention annuelle",
        f"{DONE} Acompte versé : **{formats.euros(line.advance_amount)}** le "
        f"{formats.day(line.advance_paid_on)}"
        if line.advance_paid_on
        else f"{TODO} Acompte",
        f"{DONE} Dépenses justifiées le {formats.day(line.justified_on)} : coût réel "
        f"{formats.euros(line.actual_cost)}, droit définitif "
        f"**{formats.euros(line.final_entitlement)}**"
        if line.justified_on
        else f"{TODO} Justification des dépenses (coût réel)",
        f"{DONE} Solde réglé le {formats.day(line.balance_paid_on)} : {line.balance_text}"
        if line.balance_paid_on
        else f"{TODO} Solde" + (f" : **{line.balance_text}**" if line.justified_on else ""),
    ]


def next_step(line: FundingLine, user: CurrentUser, today: date) -> None:
    name = f"funding-step-{line.id}"
    state = form_state(name)
    # A new step (or a new version of the line) starts a fresh form: dates at today.
    state.start((line.id, line.stage, line.version), {}, line.version)
    stage = line.stage
    if stage is Stage.a_renouveler:
        renewal_form(state, name, line, user, RenewalStatus.demande_recue)
    elif stage is Stage.demande_recue:
        renewal_form(state, name, line, user, RenewalStatus.signee)
    elif stage is Stage.signee:
        advance_form(state, name, line, user, today)
    elif stage is Stage.acompte_verse and today < rules.justification_opens(line.year):
        st.info(
            f"Acompte versé. Les dépenses {line.year} se justifient une fois l'année écoulée, "
            f"à partir du {formats.day(rules.justification_opens(line.year))}.",
            icon=":material/schedule:",
        )
    elif stage is Stage.acompte_verse:
        justification_form(state, name, line, user, today)
    elif stage is Stage.justifiee:
        balance_form(state, name, line, user, today)
    else:
        st.success(f"Année {line.year} soldée : {line.balance_text}.", icon=":material/check:")


def day_input(
    state: FormState, name: str, field: str, label: str, *, optional: bool = False
) -> Any:
    """A date box that starts at today (empty when the date is optional), never at the date
    of a previous step: its key changes with each step. The core judges the date."""
    value = st.date_input(
        label,
        value=None if optional else config.today(),
        format="DD/MM/YYYY",
        min_value=date(1990, 1, 1),
        max_value=date(2100, 12, 31),
        key=state.widget_key(name, field),
    )
    field_error(state, field)
    return value


def renewal_form(
    state: FormState, name: str, line: FundingLine, user: CurrentUser, status: RenewalStatus
) -> None:
    label, button, done = {
        RenewalStatus.demande_recue: (
            "Demande reçue le",
            "Enregistrer la demande reçue",
            "Demande de renouvellement enregistrée",
        ),
        RenewalStatus.signee: (
            "Convention signée le",
            "Enregistrer la signature",
            "Signature de la convention annuelle enregistrée",
        ),
    }[status]
    form_problems(state, ("on",))
    with st.form(f"{name}-{state.generation}", enter_to_submit=False):
        on = day_input(state, name, "on", label)
        submitted = st.form_submit_button(button, type="primary", icon=":material/event:")
    if submitted:
        save(
            lambda session: funding.record_renewal(
                session, user, line.id, line.version, {"status": status, "on": on}
            ),
            done=f"{done} : {line.territory}, {line.year}.",
            state=state,
        )


def _pending(key: str) -> dict[str, Any]:
    return st.session_state.get(PENDING, {}).get(key, {})


def _checked(state: FormState, key: str, check: Any, values: dict[str, Any]) -> None:
    """Run the core's checks now; open the confirmation only for input it accepts."""
    try:
        check()
    except CtgError as error:
        state.refused(error)
        st.rerun()
    state.errors, state.problem = {}, None
    st.session_state.setdefault(PENDING, {})[key] = values
    ask(key)


def advance_form(
    state: FormState, name: str, line: FundingLine, user: CurrentUser, today: date
) -> None:
    proposed = line.proposed_advance
    share = funding_queries.percent_text(line.advance_share) if line.advance_share else "—"
    form_problems(state, ("amount", "paid_on"))
    with st.form(f"{name}-{state.generation}", enter_to_submit=False):
        amount = st.text_input(
            "Montant de l'acompte (€)",
            value=formats.number(proposed, 2) if proposed is not None else "",
            key=state.widget_key(name, "amount"),
            help=f"Proposé : {share} du droit ({formats.euros(line.entitlement)}), selon la "
            f"règle {line.year}. Virgule décimale : 12 250,50.",
        )
        field_error(state, "amount")
        paid_on = day_input(state, name, "paid_on", "Versé le")
        submitted = st.form_submit_button("Verser l'acompte…", type="primary")
    key = f"advance-{line.id}"
    if submitted:
        values = {"amount": amount, "paid_on": paid_on}

        def check() -> None:
            payment = validated(funding.AdvancePayment, values)
            rules.check_advance(line, payment.amount, payment.paid_on, today)

        _checked(state, key, check, values)
    pending = _pending(key)
    if pending:
        payment = validated(funding.AdvancePayment, pending)
        confirmation(
            key,
            title="Confirmer le versement de l'acompte",
            question=f"Verser **{formats.euros(payment.amount)}** à **{md(line.territory)}** "
            f"le {formats.day(payment.paid_on)} (acompte {line.year}) ?",
            details=lambda: st.caption("Ce versement est inscrit à l'historique."),
            confirm_label="Confirmer le versement",
            write=lambda session: funding.pay_advance(
                session, user, line.id, line.version, pending
            ),
            done="Acompte enregistré.",
        )


def justification_form(
    state: FormState, name: str, line: FundingLine, user: CurrentUser, today: date
) -> None:
    st.caption(
        f"Justificatif des dépenses {line.year} : le coût réel donne le droit définitif "
        "(même règle, mêmes ETP et mois) ; solde = droit définitif − acompte."
    )
    form_problems(state, ("actual_cost", "justified_on"))
    with st.form(f"{name}-{state.generation}", enter_to_submit=False):
        cost = st.text_input(
            "Coût réel justifié (€)",
            key=state.widget_key(name, "actual_cost"),
            placeholder="47 250,00",
        )
        field_error(state, "actual_cost")
        justified_on = day_input(state, name, "justified_on", "Justificatif reçu le")
        submitted = st.form_submit_button("Calculer le solde…", type="primary")
    key = f"justify-{line.id}"
    if submitted:
        values = {"actual_cost": cost, "justified_on": justified_on}

        def check() -> None:
            given = validated(funding.Justification, values)
            rules.check_justification(line, given.actual_cost, given.justified_on, today)

        _checked(state, key, check, values)
    pending = _pending(key)
    if pending:
        given = validated(funding.Justification, pending)
        final, balance = line.justification_preview(given.actual_cost)
        confirmation(
            key,
            title="Confirmer la justification",
            question=f"Coût réel {line.year} de **{md(line.territory)}** : "
            f"**{formats.euros(given.actual_cost)}**, reçu le {formats.day(given.justified_on)}."
            f"  \nDroit définitif : **{formats.euros(final)}** · acompte versé : "
            f"{formats.euros(line.advance_amount)}  \nSolde : **{rules.balance_text(balance)}**",
            confirm_label="Enregistrer la justification",
            write=lambda session: funding.record_justification(
                session, user, line.id, line.version, pending
            ),
            done=f"Justification enregistrée : solde {rules.balance_text(balance)}.",
        )


def balance_form(
    state: FormState, name: str, line: FundingLine, user: CurrentUser, today: date
) -> None:
    recover = line.balance_amount is not None and line.balance_amount < 0
    st.markdown(f"Solde {line.year} : **{line.balance_text}**")
    form_problems(state, ("paid_on",))
    with st.form(f"{name}-{state.generation}", enter_to_submit=False):
        paid_on = day_input(
            state, name, "paid_on", "Somme récupérée le" if recover else "Solde versé le"
        )
        submitted = st.form_submit_button(
            "Enregistrer le recouvrement…" if recover else "Verser le solde…", type="primary"
        )
    key = f"balance-{line.id}"
    if submitted:
        values = {"paid_on": paid_on}

        def check() -> None:
            given = validated(funding.BalanceSettlement, values)
            rules.check_balance(line, given.paid_on, today)

        _checked(state, key, check, values)
    pending = _pending(key)
    if pending:
        given = validated(funding.BalanceSettlement, pending)
        confirmation(
            key,
            title="Confirmer le règlement du solde",
            question=f"{md(line.territory)}, solde {line.year} : **{line.balance_text}**, "
            f"réglé le {formats.day(given.paid_on)} ?",
            confirm_label="Confirmer",
            write=lambda session: funding.settle_balance(
                session, user, line.id, line.version, pending
            ),
            done=f"Solde {line.year} réglé.",
        )


def declaration_form(line: FundingLine, user: CurrentUser) -> None:
    st.caption(
        "Droit = taux de la Caf × coût éligible, dans la limite du plafond par ETP × ETP × "
        "mois couverts / 12, arrondi au centime."
    )
    name = f"funding-declaration-{line.id}"
    state = form_state(name)
    shown = {
        "fte": formats.number(line.fte, 2),
        "months": str(line.months),
        "eligible_cost": formats.number(line.eligible_cost, 2),
    }
    state.start((line.id, line.version), shown, line.version)
    form_problems(state, tuple(shown))
    defaults = state.defaults
    with st.form(f"{name}-{state.generation}", enter_to_submit=False):
        cols = st.columns(3)
        values = {}
        for col, (field, label) in zip(
            cols,
            (("fte", "ETP"), ("months", "Mois couverts"), ("eligible_cost", "Coût éligible (€)")),
            strict=True,
        ):
            with col:
                values[field] = st.text_input(
                    label, value=defaults[field], key=state.widget_key(name, field)
                )
                field_error(state, field)
        submitted = st.form_submit_button("Recalculer le droit")
    if submitted:
        change = changed_fields(funding.FundingDeclaration, values, shown)
        save_changes(
            lambda session: funding.declare_funding(
                session, user, line.id, state.seen_version or line.version, change
            ),
            done=lambda saved: f"Droit recalculé : {formats.euros(saved.entitlement)}.",
            state=state,
            change=change,
        )


def show_history(line: FundingLine, user: CurrentUser) -> None:
    with db.session() as session:
        entries = funding_queries.line_history(session, user, line.id)
    if not entries:
        st.caption("Aucune modification enregistrée.")
        return
    for entry in entries:
        st.markdown(
            f"**{formats.moment(entry.at)}** · {md(entry.user_name)} · {entry.operation_label}  \n"
            f"{md(entry.summary)}"
        )
