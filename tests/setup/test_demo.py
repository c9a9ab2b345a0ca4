"""The demo generator: deterministic, believable, clearly fictitious."""

from collections import Counter
from datetime import date

import pytest
import sqlalchemy as sa
from sqlmodel import Session, SQLModel, select

from ctg_core.common import db, models, settings
from ctg_core.common.models import (
    Action,
    ActionStatus,
    AgendaItem,
    Convention,
    ConventionPhase,
    IndicatorValue,
    Meeting,
    MeetingStatus,
    PostFunding,
    RenewalStatus,
    Territory,
    TerritoryKind,
    User,
    UserTerritory,
)
from ctg_core.reference.funding_rules import load_funding_rules
from ctg_core.reference.territories import load_national_epci, load_territories
from ctg_core.setup import bootstrap, demo

TODAY = date(2026, 11, 25)
VOLATILE = {"created_at", "updated_at"}


def _fresh(url: str) -> Session:
    bootstrap.upgrade(url)
    session = Session(db.engine_for(url), expire_on_commit=False)
    load_territories(session, "44")
    load_funding_rules(session)
    return session


def _dump(session: Session) -> dict[str, list[tuple]]:
    dump = {}
    for table in SQLModel.metadata.sorted_tables:
        columns = [c for c in table.columns if c.name not in VOLATILE]
        rows = session.execute(sa.select(*columns).order_by(*table.primary_key.columns)).all()
        dump[table.name] = [tuple(r) for r in rows]
    return dump


def test_same_seed_gives_the_same_data_and_another_seed_does_not(tmp_path):
    dumps = []
    for name, seed in (("a", 7), ("b", 7), ("c", 8)):
        with _fresh(f"sqlite:///{tmp_path / name}.db") as session:
            demo.generate(session, seed=seed, today=TODAY)
            dumps.append(_dump(session))
    assert dumps[0] == dumps[1]
    assert dumps[0]["actions"] != dumps[2]["actions"]


@pytest.fixture
def demo_world(session):
    report = demo.generate(session, today=TODAY)
    return session, report


def test_every_phase_is_represented_and_each_convention_has_5_to_40_actions(demo_world):
    session, report = demo_world
    conventions = session.exec(select(Convention)).all()
    assert {c.phase for c in conventions} == set(ConventionPhase)
    per_convention = Counter(session.exec(select(Action.convention_id)).all())
    assert len(per_convention) == report.conventions == len(conventions)
    assert all(5 <= n <= 40 for n in per_convention.values())


def test_actions_span_every_status_and_some_are_late(demo_world):
    session, _ = demo_world
    actions = session.exec(select(Action)).all()
    assert {a.status for a in actions} == set(ActionStatus)
    late = [a for a in actions if models.is_late(a.status, a.due_on, TODAY)]
    assert 0 < len(late) < len(actions) / 2


def test_two_communes_hold_a_ctg_of_their_own(demo_world):
    session, _ = demo_world
    kinds = session.exec(
        select(Territory.kind).join(Convention, Convention.territory_id == Territory.id)
    ).all()
    assert Counter(kinds)[TerritoryKind.commune] == 2


def test_indicators_have_several_years_and_posts_three_funding_years(demo_world):
    session, _ = demo_world
    years = session.exec(select(IndicatorValue.indicator_id, IndicatorValue.year)).all()
    per_indicator = Counter(i for i, _ in years)
    assert min(per_indicator.values()) >= 3
    fundings = session.exec(select(PostFunding)).all()
    # Three years, and next year's renewals opened on 1 October (tests/funding: the cycle).
    assert {f.year for f in fundings} == {2024, 2025, 2026, 2027}
    pending = [f for f in fundings if f.renewal_status is not RenewalStatus.signee]
    assert pending and all(f.year in {2026, 2027} for f in pending)
    assert all(f.advance_paid_on is None for f in pending)


def test_closed_meetings_are_in_the_past_and_people_are_labelled_fictitious(demo_world):
    session, _ = demo_world
    meetings = session.exec(select(Meeting)).all()
    assert all(m.held_on < TODAY for m in meetings if m.status is MeetingStatus.closed)
    assert all("(démo)" in u.name for u in session.exec(select(User)))
    assert settings.holds_demo_data(session)


def test_national_scale_reaches_every_epci_of_france(tmp_path):
    with _fresh(f"sqlite:///{tmp_path / 'national.db'}") as session:
        added = load_national_epci(session)
        epci = session.exec(
            select(sa.func.count())
            .select_from(Territory)
            .where(Territory.kind == TerritoryKind.epci)
        ).one()
        assert added == 1255 - 17
        assert epci == 1255


def test_one_demo_persona_per_role_with_the_officer_scoped_to_a_territory(demo_world):
    from ctg_core.common.auth import demo_personas
    from ctg_core.common.models import Role

    session, _ = demo_world
    personas = {p.role: p for p in demo_personas(session)}
    assert list(personas) == list(Role)
    assert len(personas[Role.coop_officer].territory_ids) == 1
    assert personas[Role.committee].territory_ids == personas[Role.coop_officer].territory_ids
    assert personas[Role.admin].territory_ids == frozenset()


def test_three_conventions_have_a_meeting_ahead_with_its_agenda_built(demo_world):
    session, _ = demo_world
    ahead = session.exec(
        select(Meeting).where(Meeting.status == MeetingStatus.planned).order_by(Meeting.held_on)
    ).all()
    assert [(m.held_on - TODAY).days for m in ahead] == [0, 7, 14]
    assert len({m.convention_id for m in ahead}) == 3
    for meeting in ahead:
        points = session.exec(select(AgendaItem).where(AgendaItem.meeting_id == meeting.id)).all()
        assert len(points) >= 2 and points[-1].title == "Questions diverses"
    officer = session.exec(select(User).where(User.role == "coop_officer")).first()
    scope = session.exec(
        select(UserTerritory.territory_id).where(UserTerritory.user_id == officer.id)
    ).all()
    assert session.get(Convention, ahead[0].convention_id).territory_id in scope


def test_what_changed_since_the_last_committee_has_its_history(demo_world):
    from ctg_core.committee import rules

    session, _ = demo_world
    for meeting in session.exec(select(Meeting).where(Meeting.status == MeetingStatus.planned)):
        previous = rules.previous_meeting(session, meeting)
        changes = rules.changes_between(session, meeting.convention_id, previous, None)
        assert changes.changed() == set(changes.entries) != set()
