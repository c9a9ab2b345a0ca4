"""Financement des postes de chargé de coopération : droit, renouvellement, acompte, solde."""

import pandas as pd
import streamlit as st

from ctg_core.common import config, db, formats
from ctg_core.common.errors import CtgError
from ctg_core.common.models import RenewalStatus
from ctg_core.common.validation import validated
from ctg_core.exchange import exports
from ctg_core.funding import commands as funding
from ctg_core.funding import queries as funding_queries
from ui.auth import current_user
from ui.downloads import download_buttons
from ui.feedback import show_error
from ui.form_feedback import flash, show_flash
from ui.plain_text import md

user = current_user()
today = config.today()
show_flash()

st.title("Financement des postes de chargé de coopération")
st.caption(
    "La Caf cofinance le poste de chargé de coopération de chaque territoire. Chaque année, le "
    "territoire renouvelle la convention du poste ; l'acompte n'est versé qu'après signature."
)

with db.session() as session:
    years = funding_queries.funding_years(session)
if not years:
    st.info("Aucun financement de poste n'est encore enregistré.", icon=":material/info:")
    st.stop()

year = st.selectbox("Année", years, index=years.index(today.year) if today.year in years else 0)
with db.session() as session:
    lines = funding_queries.funding_lines(session, user, year, today)

if lines.empty:
    st.info("Aucun poste financé cette année sur vos territoires.", icon=":material/info:")
    st.stop()

pending = lines[lines["renewal_status"] != RenewalStatus.signee.value]
blocked = lines[lines["advance_blocked"]]
cols = st.columns(4)
cols[0].metric("Droits de l'année", formats.euros(lines["entitlement"].sum()))
cols[1].metric("Acomptes versés", formats.euros(lines["advance_amount"].fillna(0).sum()))
cols[2].metric("Renouvellements en attente", formats.number(len(pending)))
cols[3].metric(
    "Acomptes bloqués",
    formats.number(len(blocked)),
    help="Renouvellement non signé à la date prévue.",
)

if not blocked.empty:
    names = ", ".join(md(name) for name in blocked["territory"])
    st.warning(f"Renouvellement en retard, acompte bloqué : {names}.", icon=":material/warning:")

table = lines.assign(
    alerte=lines["advance_blocked"].map({True: "⚠ Acompte bloqué", False: ""}),
)
st.dataframe(
    table,
    hide_index=True,
    placeholder="—",
    column_order=[
        "territory",
        "officer",
        "fte",
        "eligible_cost",
        "entitlement",
        "renewal_label",
        "renewal_due_on",
        "renewal_signed_on",
        "advance_amount",
        "advance_paid_on",
        "balance_amount",
        "alerte",
    ],
    column_config={
        "territory": st.column_config.TextColumn("Territoire"),
        "officer": st.column_config.TextColumn("Chargé de coopération"),
        "fte": st.column_config.NumberColumn("ETP", format="localized"),
        "eligible_cost": st.column_config.NumberColumn("Coût éligible", format="euro"),
        "entitlement": st.column_config.NumberColumn("Droit", format="euro"),
        "renewal_label": st.column_config.TextColumn("Renouvellement"),
        "renewal_due_on": st.column_config.DateColumn("À signer avant", format="DD/MM/YYYY"),
        "renewal_signed_on": st.column_config.DateColumn("Signé le", format="DD/MM/YYYY"),
        "advance_amount": st.column_config.NumberColumn("Acompte", format="euro"),
        "advance_paid_on": st.column_config.DateColumn("Versé le", format="DD/MM/YYYY"),
        "balance_amount": st.column_config.NumberColumn("Solde", format="euro"),
        "alerte": st.column_config.TextColumn("Alerte"),
    },
)
download_buttons(exports.funding_table(lines), f"financement-postes-{year}", label="Tableau")

if not user.decides_funding:
    st.caption("Les décisions de financement sont réservées à la direction de la Caf.")
    st.stop()

st.subheader("Enregistrer une étape")
by_id = {int(r.id): r for r in lines.itertuples()}
line_id = st.selectbox("Poste", list(by_id), format_func=lambda i: by_id[i].territory)
line = by_id[line_id]
st.write(
    f"Renouvellement : **{line.renewal_label}** · Droit : **{formats.euros(line.entitlement)}**"
)

renew, pay = st.columns(2)
with renew.form("renewal"):
    next_steps = funding.RENEWAL_ORDER[
        funding.RENEWAL_ORDER.index(RenewalStatus(line.renewal_status)) + 1 :
    ]
    step = st.selectbox(
        "Étape",
        next_steps[:1],
        format_func=lambda s: s.label,
        placeholder="Renouvellement déjà signé",
    )
    on = st.date_input("Date", value=today, format="DD/MM/YYYY")
    if st.form_submit_button("Enregistrer l'étape", disabled=not next_steps):
        try:
            with db.session(write=True) as session:
                funding.record_renewal(
                    session, user, line_id, int(line.version), {"status": step, "on": on}
                )
            flash("Renouvellement enregistré.")
            st.rerun()
        except CtgError as error:
            show_error(error)


@st.dialog("Confirmer le versement de l'acompte")
def confirm_advance(payment: funding.AdvancePayment) -> None:
    st.write(
        f"Verser **{formats.euros(payment.amount)}** à **{md(line.territory)}** "
        f"le {formats.day(payment.paid_on)} ? Cette opération est inscrite à l'historique."
    )
    if st.button("Confirmer le versement", type="primary"):
        try:
            with db.session(write=True) as session:
                funding.pay_advance(
                    session,
                    user,
                    line_id,
                    int(line.version),
                    payment,
                )
            flash("Acompte enregistré.")
            st.rerun()
        except CtgError as error:
            show_error(error)


if line.advance_paid_on is not None and not pd.isna(line.advance_paid_on):
    pay.success(
        f"Acompte de {formats.euros(line.advance_amount)} versé le "
        f"{formats.day(line.advance_paid_on)}.",
        icon=":material/check:",
    )
elif line.renewal_status != RenewalStatus.signee.value:
    pay.info(
        "L'acompte sera possible une fois le renouvellement annuel signé.",
        icon=":material/lock:",
    )
else:
    with pay.form("advance"):
        amount = st.text_input(
            "Montant de l'acompte (€)",
            value=formats.number(float(line.entitlement) * 0.7, 2),
            help="Proposé : 70 % du droit de l'année. Virgule décimale : 12 250,50.",
        )
        paid_on = st.date_input("Versé le", value=today, format="DD/MM/YYYY")
        if st.form_submit_button("Verser l'acompte…"):
            try:  # read the amount before asking for confirmation of a wrong one
                confirm_advance(
                    validated(funding.AdvancePayment, {"amount": amount, "paid_on": paid_on})
                )
            except CtgError as error:
                show_error(error)

with st.expander("Coût déclaré et droit de l'année", icon=":material/calculate:"):
    st.caption(
        "Le droit est calculé avec la règle de l'année : taux de la Caf appliqué au coût "
        "éligible, dans la limite du plafond par ETP."
    )
    with st.form("declaration"):
        cols = st.columns(2)
        fte = cols[0].text_input("ETP", value=formats.number(line.fte, 2))
        cost = cols[1].text_input("Coût éligible (€)", value=formats.number(line.eligible_cost, 2))
        if st.form_submit_button("Recalculer le droit"):
            try:
                with db.session(write=True) as session:
                    saved = funding.declare_funding(
                        session,
                        user,
                        line_id,
                        int(line.version),
                        {"fte": fte, "eligible_cost": cost},
                    )
                flash(f"Droit recalculé : {formats.euros(saved.entitlement)}.")
                st.rerun()
            except CtgError as error:
                show_error(error)
