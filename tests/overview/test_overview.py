"""Vue d'ensemble: territory rows, headline figures against hand-computed values, filters kept
in the URL — the queries on both databases, the page through AppTest."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlmodel import Session, delete, select
from streamlit.testing.v1 import AppTest

from ctg_core.common import formats
from ctg_core.common.models import (
    Action,
    ActionStatus,
    Convention,
    ConventionPhase,
    CooperationPost,
    PhaseChange,
    PostFunding,
    RenewalStatus,
    Role,
)
from ctg_core.funding import commands as funding_commands
from ctg_core.overview import queries as overview
from ctg_core.overview.queries import OverviewFilters
from ctg_core.people import access
from ctg_core.people import commands as people_commands
from ctg_core.plan import commands as plan_commands
from ctg_core.reference.territories import epci_layer_path, read_layer
from tests.factories import CARENE, NANTES_METROPOLE, World
from ui.plain_text import md

ROOT = Path(__file__).resolve().parents[2]
TODAY = date(2026, 11, 25)  # twelve months earlier: 25/11/2025
GRAND_LIEU = "244400438"
ERDRE_ET_GESVRES = "244400503"
REZE = "44143"  # a commune of Nantes Métropole
TREILLIERES = "44209"  # a commune of Erdre et Gesvres
EPCI_OF_44 = 17

P = ConventionPhase
S = ActionStatus


def phase_history(world: World, convention: Convention, *steps: tuple[P, date]) -> None:
    """Replace the convention's phase history by `steps`."""
    session = world.session
    session.exec(delete(PhaseChange).where(PhaseChange.convention_id == convention.id))  # type: ignore[call-overload]
    for phase, reached_on in steps:
        session.add(PhaseChange(convention_id=convention.id, phase=phase, reached_on=reached_on))
    session.commit()


def post(
    world: World,
    territory_code: str,
    officer: str,
    lines: dict[int, tuple[RenewalStatus, date | None]],
    *,
    started_on: date = date(2023, 1, 1),
    ended_on: date | None = None,
) -> CooperationPost:
    """A cooperation post with one funding line per year: (renewal status, signed on)."""
    session = world.session
    row = CooperationPost(
        territory_id=world.territory(territory_code).id,
        officer_name=officer,
        started_on=started_on,
        ended_on=ended_on,
    )
    session.add(row)
    session.flush()
    for year, (status, signed_on) in lines.items():
        session.add(
            PostFunding(
                post_id=row.id,
                year=year,
                eligible_cost=Decimal("50000"),
                entitlement=Decimal("20000"),
                renewal_status=status,
                renewal_due_on=date(year, 3, 31),
                renewal_signed_on=signed_on,
            )
        )
    session.commit()
    return row


@pytest.fixture
def loire(world):
    """Five CTGs with a history, around 25/11/2026 (see the KPI test for the arithmetic).

    - Nantes Métropole: pilotage since 01/06/2025, ends 31/03/2027 (within six months);
      actions: one réalisée, one late, one abandoned (overdue, not late), one to come.
    - CARENE: plan d'actions now, diagnostic a year ago.
    - Rezé, a commune of Nantes Métropole, its own CTG in pilotage since 2024.
    - Treillières (Erdre et Gesvres has none): évaluation now, plan d'actions a year ago;
      one action réalisée, one suspended and overdue (late).
    - Grand Lieu: pilotage a year ago, échue since 28/10/2026.
    """
    nm = world.convention(world.territory(NANTES_METROPOLE), ends_on=date(2027, 3, 31))
    phase_history(world, nm, (P.diagnostic, date(2024, 3, 1)), (P.pilotage, date(2025, 6, 1)))
    world.action(nm, "PE-01", status=S.realisee, progress=100)
    world.action(nm, "PE-02", status=S.en_cours, due_on=date(2026, 6, 30))
    world.action(nm, "EJ-01", status=S.abandonnee, due_on=date(2026, 1, 1))
    world.action(nm, "EJ-02", status=S.a_venir, due_on=date(2027, 6, 30))

    carene = world.convention(
        world.territory(CARENE),
        phase=P.plan_actions,
        signed_on=None,
        starts_on=None,
        ends_on=None,
    )
    phase_history(
        world, carene, (P.diagnostic, date(2025, 10, 1)), (P.plan_actions, date(2026, 9, 1))
    )

    reze = world.convention(world.territory(REZE), ends_on=date(2027, 6, 30))
    phase_history(world, reze, (P.pilotage, date(2024, 1, 1)))

    treillieres = world.convention(world.territory(TREILLIERES), phase=P.evaluation)
    phase_history(
        world,
        treillieres,
        (P.plan_actions, date(2025, 5, 1)),
        (P.pilotage, date(2025, 12, 1)),
        (P.evaluation, date(2026, 10, 1)),
    )
    world.action(treillieres, "PA-01", status=S.realisee, progress=100)
    world.action(treillieres, "PA-02", status=S.suspendue, due_on=date(2026, 1, 1))

    grand_lieu = world.convention(
        world.territory(GRAND_LIEU), phase=P.echue, ends_on=date(2026, 10, 28)
    )
    phase_history(world, grand_lieu, (P.pilotage, date(2022, 1, 1)), (P.echue, date(2026, 10, 28)))

    # Renewals: pending now for Nantes Métropole and Treillières; a year ago only for
    # Treillières (its 2025 line was signed on 15/12/2025, after 25/11/2025).
    post(world, NANTES_METROPOLE, "Ancienne Chargée", {}, ended_on=date(2024, 12, 31))
    post(
        world,
        NANTES_METROPOLE,
        "Yann Petit",
        {
            2025: (RenewalStatus.signee, date(2025, 3, 25)),
            2026: (RenewalStatus.a_renouveler, None),
        },
    )
    post(world, CARENE, "Aurélie Petit", {2026: (RenewalStatus.signee, date(2026, 3, 20))})
    post(
        world,
        TREILLIERES,
        "Camille Chauvin",
        {
            2025: (RenewalStatus.signee, date(2025, 12, 15)),
            2026: (RenewalStatus.demande_recue, None),
        },
    )
    return {"nm": nm, "carene": carene, "reze": reze, "treillieres": treillieres}


def rows_by_code(session, user, filters=None):
    return {r.code: r for r in overview.territory_rows(session, user, TODAY, filters, "44")}


# --- rows ---------------------------------------------------------------------------------


def test_caf_management_sees_every_epci_and_the_communes_with_a_ctg_of_their_own(
    session, world, loire
):
    rows = rows_by_code(session, world.user(Role.caf_manager))

    assert len(rows) == EPCI_OF_44 + 2
    assert {REZE, TREILLIERES} <= set(rows)
    assert rows[ERDRE_ET_GESVRES].phase_key == "aucune"
    assert rows[ERDRE_ET_GESVRES].phase_label == "Aucune CTG"
    assert rows[ERDRE_ET_GESVRES].convention_id is None
    assert rows[TREILLIERES].epci_code == ERDRE_ET_GESVRES
    assert rows[NANTES_METROPOLE].population == world.territory(NANTES_METROPOLE).population


def test_a_row_counts_actions_done_and_late_and_leaves_abandoned_ones_out_of_the_ratio(
    session, world, loire
):
    nm = rows_by_code(session, world.user(Role.caf_manager))[NANTES_METROPOLE]

    assert (nm.actions, nm.actions_done, nm.actions_late, nm.actions_abandoned) == (4, 1, 1, 1)
    assert nm.done_ratio == pytest.approx(1 / 3)
    assert nm.convention_id == loire["nm"].id
    assert nm.phase is P.pilotage
    assert nm.ends_on == date(2027, 3, 31)


def test_the_officer_shown_is_the_one_of_the_active_post(session, world, loire):
    rows = rows_by_code(session, world.user(Role.caf_manager))

    assert rows[NANTES_METROPOLE].officer_name == "Yann Petit"
    assert rows[GRAND_LIEU].officer_name == ""


def test_the_phase_twelve_months_earlier_comes_from_the_phase_history(session, world, loire):
    rows = rows_by_code(session, world.user(Role.caf_manager))

    assert rows[NANTES_METROPOLE].phase_year_ago is P.pilotage
    assert rows[CARENE].phase_year_ago is P.diagnostic
    assert rows[TREILLIERES].phase_year_ago is P.plan_actions
    assert rows[GRAND_LIEU].phase_year_ago is P.pilotage
    assert rows[ERDRE_ET_GESVRES].phase_year_ago is None


def test_a_territory_that_renewed_its_ctg_was_covered_a_year_ago_by_the_previous_one(
    session, world, loire
):
    # Grand Lieu's CTG ended on 28/10/2026; its new one reached pilotage on 01/11/2026.
    renewed = world.convention(
        world.territory(GRAND_LIEU),
        phase=P.pilotage,
        starts_on=date(2026, 11, 1),
        ends_on=date(2030, 12, 31),
    )
    phase_history(world, renewed, (P.pilotage, date(2026, 11, 1)))

    row = rows_by_code(session, world.user(Role.caf_manager))[GRAND_LIEU]
    assert (row.convention_id, row.phase) == (renewed.id, P.pilotage)
    assert row.phase_year_ago is P.pilotage  # the 2022 CTG, in pilotage on 25/11/2025


def test_renewals_pending_now_and_twelve_months_earlier(session, world, loire):
    rows = rows_by_code(session, world.user(Role.caf_manager))

    pending = {code: (r.renewals_pending, r.renewals_pending_year_ago) for code, r in rows.items()}
    assert pending[NANTES_METROPOLE] == (1, 0)
    assert pending[CARENE] == (0, 0)
    assert pending[TREILLIERES] == (1, 1)


def test_an_archived_convention_leaves_its_territory_without_ctg(session, world, loire):
    convention = session.get(Convention, loire["carene"].id)
    convention.archived_at = convention.created_at
    session.add(convention)
    session.commit()

    assert rows_by_code(session, world.user(Role.caf_manager))[CARENE].phase_key == "aucune"


def test_an_officer_sees_only_the_territory_of_their_scope(session, world, loire):
    officer = world.user(Role.coop_officer, territories=[world.territory(CARENE)])

    rows = rows_by_code(session, officer)

    assert list(rows) == [CARENE]
    assert rows[CARENE].phase is P.plan_actions


def test_the_data_version_changes_with_every_write_the_rows_show(session, world, loire):
    """The page keeps its rows in three parts, each under its fingerprint: each command below
    changes what a row shows, so each must change the fingerprint of what it changed (else
    the overview would show the state before) and only that one (else a funding write would
    make the page read the territories again); a write the rows do not show leaves them all
    (else every sign-in would make the page read everything again)."""
    admin = world.user(Role.admin, name="Admin")
    nm, treillieres = loire["nm"], loire["treillieres"]
    parts = (overview.facts_version, overview.posts_version, overview.actions_version)
    seen = [tuple(version(session) for version in parts)]

    def written(facts: bool = False, posts: bool = False, actions: bool = False) -> None:
        """Which fingerprints changed: the territories' facts, the posts', the actions'."""
        session.expire_all()
        seen.append(tuple(version(session) for version in parts))
        before, now = seen[-2:]
        assert tuple(a != b for a, b in zip(before, now, strict=True)) == (facts, posts, actions)

    late = next(a for a in session.exec(select(Action).where(Action.code == "PE-02")))
    plan_commands.update_action(
        session, admin, late.id, late.version, {"status": S.realisee, "progress": 100}
    )
    written(actions=True)
    assert rows_by_code(session, admin)[NANTES_METROPOLE].actions_late == 0
    plan_commands.update_convention(session, admin, nm.id, nm.version, {"title": "CTG renommée"})
    written(facts=True)
    assert rows_by_code(session, admin)[NANTES_METROPOLE].convention_title == "CTG renommée"
    lines = session.exec(select(PostFunding).where(PostFunding.year == 2026)).all()
    pending = next(f for f in lines if f.renewal_status is RenewalStatus.a_renouveler)
    assert rows_by_code(session, admin)[NANTES_METROPOLE].funding_alerts == 1  # overdue
    for version, status in enumerate((RenewalStatus.demande_recue, RenewalStatus.signee), 1):
        funding_commands.record_renewal(
            session, admin, pending.id, version, {"status": status, "on": TODAY}, today=TODAY
        )
        written(posts=True)
    nantes = rows_by_code(session, admin)[NANTES_METROPOLE]
    assert (nantes.renewals_pending, nantes.funding_alerts) == (0, 0)
    funding_commands.create_post(
        session,
        admin,
        {
            "territory_id": world.territory(GRAND_LIEU).id,
            "name": "Inès Morel",
            "fte": "1",
            "starts_on": date(2026, 9, 1),
        },
        today=TODAY,
    )
    written(posts=True)  # a post and its holder
    assert rows_by_code(session, admin)[GRAND_LIEU].officer_name == "Inès Morel"
    advisor = world.user(Role.caf_advisor, name="Conseillère")
    written(facts=True)  # a user added
    plan_commands.update_convention(
        session, admin, treillieres.id, treillieres.version, {"advisor_id": advisor.id}
    )
    written(facts=True)
    people_commands.change_user(session, admin, advisor.id, 1, {"name": "Conseillère renommée"})
    written(facts=True)
    assert rows_by_code(session, admin)[TREILLIERES].advisor_name == "Conseillère renommée"
    access.record_sign_in(session, advisor)
    written()


# --- headline figures ---------------------------------------------------------------------


def test_kpis_match_the_hand_computed_figures(session, world, loire):
    rows = overview.territory_rows(session, world.user(Role.caf_manager), TODAY, None, "44")
    departement = overview.departement_population(session, "44")
    kpis = overview.overview_kpis(rows, TODAY, departement)
    nm, treillieres, grand_lieu = (
        world.territory(code).population for code in (NANTES_METROPOLE, TREILLIERES, GRAND_LIEU)
    )

    assert kpis.reference_day == date(2025, 11, 25)
    # Signed now: Nantes Métropole, Rezé, Treillières; a year ago: NM, Rezé, Grand Lieu.
    assert (kpis.signed.value, kpis.signed.delta) == (3, 0)
    # Drafting now: CARENE; a year ago: CARENE (diagnostic) and Treillières (plan d'actions).
    assert (kpis.drafting.value, kpis.drafting.delta) == (1, -1)
    # Nantes Métropole ends on 31/03/2027, before 25/05/2027; Rezé (30/06/2027) does not.
    assert (kpis.ending_soon.value, kpis.ending_soon.delta) == (1, None)
    # Rezé lies inside Nantes Métropole: counted once.
    assert kpis.population_covered.value == nm + treillieres
    assert kpis.population_covered.year_ago == nm + grand_lieu
    assert departement > 1_400_000
    assert kpis.population_share == pytest.approx((nm + treillieres) / departement)
    assert (kpis.actions_done.value, kpis.actions_late.value) == (2, 2)
    assert kpis.actions_done.delta is None
    assert (kpis.renewals_pending.value, kpis.renewals_pending.year_ago) == (2, 1)


def test_the_departement_population_is_the_sum_of_its_communes(session):
    # Every commune of Loire-Atlantique belongs to an EPCI, whose layer carries the population
    # of its communes in the département: both sums agree.
    layer = read_layer(epci_layer_path("44"))
    expected = sum(f["properties"]["population"] for f in layer["features"])

    assert overview.departement_population(session, "44") == expected


# --- filters ------------------------------------------------------------------------------


def test_phase_filter_keeps_the_chosen_phases_including_no_ctg(session, world, loire):
    filters = OverviewFilters(phases=("plan_actions", "aucune"))

    rows = rows_by_code(session, world.user(Role.caf_manager), filters)

    assert CARENE in rows and ERDRE_ET_GESVRES in rows
    assert {r.phase_key for r in rows.values()} == {"plan_actions", "aucune"}


def test_axis_filter_keeps_territories_with_such_actions_and_counts_only_them(
    session, world, loire
):
    rows = rows_by_code(session, world.user(Role.caf_manager), OverviewFilters(axes=("PA",)))

    assert list(rows) == [TREILLIERES]
    assert (rows[TREILLIERES].actions, rows[TREILLIERES].actions_late) == (2, 1)


def test_a_commune_in_the_territory_filter_brings_the_epci_whose_ctg_covers_it(
    session, world, loire
):
    filters = OverviewFilters(territories=(REZE,))

    rows = rows_by_code(session, world.user(Role.caf_manager), filters)

    assert set(rows) == {REZE, NANTES_METROPOLE}


@pytest.mark.parametrize(
    ("deadline", "expected"),
    [("6", {NANTES_METROPOLE}), ("12", {NANTES_METROPOLE, REZE}), ("depassee", {GRAND_LIEU})],
)
def test_deadline_filter(session, world, loire, deadline, expected):
    rows = rows_by_code(session, world.user(Role.caf_manager), OverviewFilters(deadline=deadline))

    assert set(rows) == expected


def test_filters_round_trip_through_query_parameters():
    filters = OverviewFilters(
        phases=("echue", "pilotage", "pilotage"),
        axes=("PE", "EJ"),
        territories=("44143", "244400404"),
        deadline="6",
    )

    params = filters.to_query_params()

    assert params == {
        "phase": "pilotage,echue",
        "axe": "EJ,PE",
        "territoire": "244400404,44143",
        "echeance": "6",
    }
    assert OverviewFilters.from_query_params(params) == filters
    assert OverviewFilters().to_query_params() == {}


def test_unknown_values_in_a_url_are_dropped_not_raised():
    filters = OverviewFilters.from_query_params(
        {"phase": "pilotage,signee,<script>", "echeance": "99", "territoire": "44143,x y"}
    )

    assert filters == OverviewFilters(phases=("pilotage",), territories=("44143",))


def test_repeated_query_parameters_are_read_too():
    filters = OverviewFilters.from_query_params({"phase": ["pilotage", "echue"]})

    assert filters.phases == ("pilotage", "echue")


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2026, 11, 25), -12, date(2025, 11, 25)),
        (date(2024, 2, 29), -12, date(2023, 2, 28)),
        (date(2026, 8, 31), 6, date(2027, 2, 28)),
        (date(2026, 11, 30), 3, date(2027, 2, 28)),
    ],
)
def test_add_months_clamps_to_the_end_of_shorter_months(day, months, expected):
    assert overview.add_months(day, months) == expected


# --- the page (AppTest, SQLite) -----------------------------------------------------------

XSS = "<img src=x onerror=alert(1)>"


def app() -> AppTest:
    return AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)


def metric(at: AppTest, label: str):
    return next(m for m in at.metric if m.label == label)


@pytest.fixture
def page_world(app_world):
    """Around the pinned day of the pages (CTG_TODAY): Nantes Métropole signed for more than a
    year and ending in two months, with two actions réalisées and one late, and a renewal
    pending; CARENE drafting its plan d'actions now and its diagnostic a year ago."""
    today = TODAY
    world = app_world
    manager = world.user(Role.caf_manager, name="Direction", demo=True)
    nm = world.convention(
        world.territory(NANTES_METROPOLE),
        title=f"CTG {XSS}",
        ends_on=today + timedelta(days=60),
    )
    phase_history(world, nm, (P.pilotage, today - timedelta(days=400)))
    world.action(nm, "PE-01", status=S.realisee, progress=100)
    world.action(nm, "PE-02", status=S.realisee, progress=100)
    world.action(nm, "EJ-01", status=S.en_cours, due_on=today - timedelta(days=10))
    carene = world.convention(
        world.territory(CARENE), phase=P.plan_actions, signed_on=None, starts_on=None, ends_on=None
    )
    phase_history(
        world,
        carene,
        (P.diagnostic, today - timedelta(days=500)),
        (P.plan_actions, today - timedelta(days=30)),
    )
    post(world, NANTES_METROPOLE, XSS, {today.year: (RenewalStatus.a_renouveler, None)})
    return {"manager": manager, "nm": nm, "carene": carene, "world": world}


def test_the_page_shows_the_hand_computed_kpis_in_french(page_world):
    session: Session = page_world["world"].session
    nm_population = page_world["world"].territory(NANTES_METROPOLE).population
    departement = overview.departement_population(session, "44")

    at = app()
    at.run()

    assert not at.exception
    assert metric(at, "Conventions signées").value == "1"
    assert metric(at, "Conventions signées").delta == "0"  # signed a year ago already
    assert metric(at, "En cours d'élaboration").value == "1"
    assert metric(at, "Échéance dans les 6 mois").value == "1"
    assert metric(at, "Population couverte").value == f"{nm_population:,}".replace(",", "\u202f")
    assert metric(at, "Part du département").value == formats.percent(nm_population / departement)
    assert metric(at, "Actions réalisées").value == "2"
    assert metric(at, "Actions en retard").value == "1"
    assert metric(at, "Postes à renouveler").value == "1"
    assert metric(at, "Postes à renouveler").delta == "+1"
    assert "17 territoires affichés" in at.caption[0].value


def test_a_write_made_after_the_page_was_drawn_shows_on_its_next_run(page_world):
    """The rows are cached per state of the data: a change saved elsewhere (another page,
    another server) is seen on the next run, not the cached state."""
    world = page_world["world"]
    admin = world.user(Role.admin, name="Admin")
    at = app()
    at.run()
    assert (metric(at, "Actions réalisées").value, metric(at, "Actions en retard").value) == (
        "2",
        "1",
    )
    late = world.session.exec(select(Action).where(Action.code == "EJ-01")).one()
    plan_commands.update_action(
        world.session, admin, late.id, late.version, {"status": S.realisee, "progress": 100}
    )

    at.run()

    assert not at.exception
    assert (metric(at, "Actions réalisées").value, metric(at, "Actions en retard").value) == (
        "3",
        "0",
    )


def test_a_funding_write_made_after_the_page_was_drawn_shows_on_its_next_run(page_world):
    """A renewal signed elsewhere: the next run shows the post no longer pending and its line
    no longer in alert (the posts' part of the rows is read again, not the territories')."""
    world = page_world["world"]
    admin = world.user(Role.admin, name="Admin")
    at = app()
    at.run()
    assert metric(at, "Postes à renouveler").value == "1"
    assert funding_link(at) == (
        "Financement des postes : 1 ligne en alerte (renouvellements, acomptes bloqués, "
        "soldes à justifier)"
    )
    line = world.session.exec(select(PostFunding)).one()
    for version, status in enumerate((RenewalStatus.demande_recue, RenewalStatus.signee), 1):
        funding_commands.record_renewal(
            world.session, admin, line.id, version, {"status": status, "on": TODAY}, today=TODAY
        )

    at.run()

    assert not at.exception
    assert metric(at, "Postes à renouveler").value == "0"
    assert funding_link(at) is None


def funding_link(at: AppTest) -> str | None:
    links = [p.value for p in at.get("page_link") if p.proto.page.endswith("financement")]
    return links[0] if links else None


def test_filters_come_from_the_url_and_drive_kpis_and_caption(page_world):
    at = app()
    at.query_params["phase"] = "plan_actions"
    at.run()

    assert not at.exception
    assert at.sidebar.multiselect(key="ov_filter_phase").value == ["plan_actions"]
    assert "1 territoire affiché" in at.caption[0].value
    assert metric(at, "Conventions signées").value == "0"
    assert metric(at, "En cours d'élaboration").value == "1"


def test_changing_a_filter_updates_the_url_and_the_link_reopens_the_same_view(page_world):
    at = app()
    at.run()
    at.sidebar.multiselect(key="ov_filter_phase").set_value(["pilotage", "aucune"]).run()
    at.sidebar.selectbox(key="ov_filter_echeance").set_value("6").run()

    assert not at.exception
    assert at.query_params["phase"] == "pilotage,aucune"
    assert at.query_params["echeance"] == "6"
    shared = dict(at.query_params)
    signed = metric(at, "Conventions signées").value

    reopened = app()
    for key, value in shared.items():
        reopened.query_params[key] = value
    reopened.run()

    assert not reopened.exception
    assert reopened.sidebar.multiselect(key="ov_filter_phase").value == ["pilotage", "aucune"]
    assert reopened.sidebar.selectbox(key="ov_filter_echeance").value == "6"
    assert metric(reopened, "Conventions signées").value == signed == "1"
    assert "1 territoire affiché" in reopened.caption[0].value


def test_resetting_the_filters_clears_the_url(page_world):
    at = app()
    at.query_params["territoire"] = CARENE
    at.run()
    assert "1 territoire affiché" in at.caption[0].value

    at.sidebar.button[0].click().run()

    assert "territoire" not in at.query_params
    assert "17 territoires affichés" in at.caption[0].value


def test_filters_matching_nothing_say_so(page_world):
    at = app()
    at.query_params["echeance"] = "depassee"
    at.run()

    assert not at.exception
    assert "Aucun territoire" in at.info[-1].value


def test_the_table_tab_lists_every_territory_with_its_phase_in_words(page_world):
    at = app()
    at.query_params["vue"] = "Tableau"
    at.run()

    assert not at.exception
    table = at.dataframe[0].value
    assert len(table) == EPCI_OF_44
    nantes = table[table["Territoire"] == "Nantes Métropole"].iloc[0]
    assert nantes["Phase"] == "Pilotage et suivi"
    assert nantes["Réalisées"] == 67  # 2 réalisées sur 3
    assert nantes["En retard"] == 1
    assert nantes["Renouvellement"] == "En attente"
    assert set(table[table["Territoire"] == "CC d'Erdre et Gesvres"]["Phase"]) == {"Aucune CTG"}


def test_the_selected_territory_summary_links_to_its_convention_and_shows_text_as_text(
    page_world,
):
    at = app()
    at.session_state["ov_selected"] = NANTES_METROPOLE
    at.run()

    assert not at.exception
    [link] = [p for p in at.get("page_link") if p.value == "Ouvrir la convention"]
    assert link.proto.page.endswith("convention")
    assert link.proto.query_string == f"convention={page_world['nm'].id}"
    summary = next(m.value for m in at.markdown if "Convention :" in m.value)
    assert md(XSS) in summary
    assert XSS not in summary


def test_an_officer_sees_only_their_territory(page_world):
    """The overview page is the Caf's (an officer is refused it, see `common.auth.PAGE_ROLES`);
    its rows stay scoped to the officer's territory in the core all the same."""
    world = page_world["world"]
    officer = world.user(Role.coop_officer, territories=[world.territory(CARENE)], demo=True)
    rows = overview.territory_rows(world.session, officer, TODAY, departement="44")
    kpis = overview.overview_kpis(rows, TODAY, overview.departement_population(world.session, "44"))

    assert [row.code for row in rows] == [CARENE]
    assert (kpis.drafting.value, kpis.signed.value) == (1, 0)
    at = app()
    at.session_state["persona_id"] = officer.id
    at.switch_page("pages/vue_ensemble.py")
    at.run()
    assert not at.exception
    assert not at.metric


# --- the first page in two passes (ui/first_paint.py) ---------------------------------------
# AppTest runs no JavaScript: it never gets a light pass by itself (it tells no locale), so
# these tests put the session in the state a browser's first run leaves it in. The browser
# side (the map reports, the page is drawn whole around it) is tests/overview/test_map_browser.py.


def light_app(state: str = "light") -> AppTest:
    at = app()
    at.session_state["first_paint"] = state
    return at


def test_a_client_that_runs_no_javascript_gets_the_whole_page_at_once(page_world):
    at = app()
    at.run()

    assert at.session_state["first_paint"] == "done"
    assert len(at.metric) == 8
    assert next(s.label for s in at.sidebar.selectbox) == "Profil de démonstration"


def test_the_light_pass_draws_the_map_alone_and_keeps_the_place_of_the_rest(page_world):
    at = light_app()
    at.run()

    assert not at.exception
    assert at.session_state["first_paint"] == "light"  # until the map reports it is drawn
    assert len(at.metric) == 0
    assert "Chiffres clés en cours de chargement…" in [c.value for c in at.caption]
    assert at.selectbox == []  # neither the profiles, nor the filters, nor the layers yet
    assert at.title[0].value == "Vue d'ensemble des CTG"


def test_once_the_map_is_drawn_the_next_run_draws_the_whole_page(page_world):
    at = light_app("drawn")  # as the map's report leaves it
    at.run()

    assert not at.exception
    assert at.session_state["first_paint"] == "done"
    assert len(at.metric) == 8
    assert "Chiffres clés en cours de chargement…" not in [c.value for c in at.caption]
    labels = [s.label for s in at.selectbox]
    assert "Profil de démonstration" in labels and "Échéance de la convention" in labels


def test_a_light_pass_that_draws_no_map_ends_at_once(page_world):
    at = light_app()
    at.query_params["vue"] = "Tableau"  # the table tab: no map to wait for
    at.run()

    assert not at.exception
    assert at.session_state["first_paint"] == "done"
    assert len(at.metric) == 8
    assert len(at.dataframe) == 1


def _light_pass_of(page_id: str, state: str) -> None:
    """Run by AppTest: app.py's question for `page_id`, the session being in `state`."""
    import streamlit as st

    from ui import first_paint

    st.session_state.setdefault(first_paint.STATE_KEY, state)
    st.write(str(first_paint.light_pass(page_id)))


@pytest.mark.parametrize(
    ("page_id", "state", "light", "after"),
    [
        ("vue_ensemble", "light", True, "light"),  # still waiting for its map
        ("convention", "light", False, "done"),  # left before the map was drawn
        (None, "light", False, "done"),  # (the hidden « accueil » of other roles)
        ("vue_ensemble", "drawn", False, "drawn"),  # the fragment's rerun ends it
        ("vue_ensemble", "done", False, "done"),
    ],
)
def test_a_session_that_leaves_before_the_map_is_drawn_has_no_light_pass_any_more(
    page_id, state, light, after
):
    """A menu link clicked during the light pass: app.py draws the next page whole, the demo
    profile list included (it would otherwise stay hidden on every page)."""
    at = AppTest.from_function(_light_pass_of, args=(page_id, state))
    at.run()

    assert at.markdown[0].value == str(light)
    assert at.session_state["first_paint"] == after
