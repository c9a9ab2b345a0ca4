"""The Financement page's book: every line read once with its alerts, each year's totals and
the Caf view; its fingerprint, which changes with every funding write; and the filters of
the year's list. On 25/11/2026, SQLite and PostgreSQL."""

from contextlib import nullcontext
from datetime import date
from decimal import Decimal

import pytest
from sqlmodel import select

from ctg_core.common import auth
from ctg_core.common.auth import CurrentUser
from ctg_core.common.models import CooperationPost, FundingRule, PostFunding, Role, Territory
from ctg_core.funding import queries as funding_queries
from ctg_core.funding.rules import Stage
from ctg_core.overview import queries as overview
from ctg_core.setup import demo
from tests.conftest import TODAY
from tests.factories import CARENE
from tests.funding.conftest import alert_world, line_for, make_post


def test_the_book_holds_every_line_its_alerts_and_totals(world, manager):
    ids = alert_world(world, manager)
    book = funding_queries.funding_book(world.session, manager, TODAY)
    every_line = funding_queries.lines(world.session, manager, TODAY)
    assert book.lines == tuple(every_line)
    assert book.alerts == tuple(funding_queries.funding_alerts(world.session, manager, TODAY))
    assert [line.id for line in book.year(2027)] == [ids["due_soon"]]
    assert book.year(2030) == ()
    droits_2026 = book.totals(2026)
    assert (droits_2026.lines, droits_2026.entitlements, droits_2026.advances_paid) == (
        3,
        Decimal("48000.00"),
        Decimal("16800.00"),
    )
    assert book.totals(2030) == funding_queries.Totals()
    assert book.caf_view.equals(funding_queries.caf_view(every_line))


def test_the_book_of_an_officer_holds_only_their_territory(world, manager):
    alert_world(world, manager)
    officer = world.user(Role.coop_officer, territories=[world.territory(CARENE)])
    book = funding_queries.funding_book(world.session, officer, TODAY)
    assert {line.territory_id for line in book.lines} == {world.territory(CARENE).id}
    assert [a.kind for a in book.alerts] == [funding_queries.AlertKind.renewal_due_soon]


def test_the_books_alert_count_is_the_overviews_figure(world, manager):
    """The overview counts its alerts from the cached book: same figure as the query."""
    alert_world(world, manager)
    carene = world.territory(CARENE).id
    book = funding_queries.funding_book(world.session, manager, TODAY)
    assert book.alert_count() == funding_queries.alert_count(world.session, manager, TODAY) == 4
    assert book.alert_count([carene]) == 1
    assert book.alert_count(iter([carene])) == 1  # any iterable, read once
    assert book.alert_count([]) == 0
    officer = world.user(Role.coop_officer, territories=[world.territory()])
    officer_book = funding_queries.funding_book(world.session, officer, TODAY)
    assert officer_book.alert_count() == funding_queries.alert_count(world.session, officer, TODAY)


def test_every_funding_write_changes_the_fingerprint(world, manager):
    seen = {funding_queries.funding_version(world.session)}

    def changed() -> bool:
        version = funding_queries.funding_version(world.session)
        new = version not in seen
        seen.add(version)
        return new

    post_id = make_post(world, manager)
    assert changed()  # a post and its holder
    line = line_for(world, manager, post_id)
    assert changed()  # a yearly line
    line.declare("48000")
    assert changed()
    line.renew("demande_recue", date(2025, 10, 15))
    assert changed()
    assert not changed()  # reading changes nothing


def test_the_year_list_is_filtered_by_territory_holder_stage_and_alert(world, manager):
    ids = alert_world(world, manager)
    year = funding_queries.funding_book(world.session, manager, TODAY).year(2026)
    names = lambda rows: [line.territory for line in rows]  # noqa: E731
    assert names(year) == [
        "CA Clisson Sèvre et Maine Agglo",
        "CA de la Région Nazairienne et de l'Estuaire (CARENE)",
        "Nantes Métropole",
    ]
    assert names(funding_queries.matching(year, search="  nazairienne ")) == [
        "CA de la Région Nazairienne et de l'Estuaire (CARENE)"
    ]
    assert names(funding_queries.matching(year, search="region")) == names(
        funding_queries.matching(year, search="Région")
    )  # accents and case do not count
    assert len(funding_queries.matching(year, search="tessier")) == 3  # the holder's name
    assert [line.id for line in funding_queries.matching(year, stages=[Stage.acompte_verse])] == [
        ids["paid"]
    ]
    assert names(funding_queries.matching(year, with_alert=True)) == [
        "CA Clisson Sèvre et Maine Agglo",
        "Nantes Métropole",
    ]
    assert funding_queries.matching(year, search="Pornic") == []
    assert funding_queries.matching(year) == list(year)


def test_the_lines_read_as_plain_rows_are_the_database_rows_with_their_alerts(session, admin):
    """The lines are read column by column, the yearly rules apart: on the demo (every stage
    of the cycle), each line holds what the ORM reads of its row, post, territory, EPCI and
    rule, and the alerts `alerts_of` finds on that row, on several days."""
    demo.generate(session, today=TODAY)
    rows = {line.id: line for line in session.exec(select(PostFunding))}
    rule = {r.year: r for r in session.exec(select(FundingRule))}
    for day in (TODAY, date(2026, 1, 5), date(2027, 3, 1)):
        found = funding_queries.lines(session, admin, day)
        assert sorted(line.id for line in found) == sorted(rows)
        for line in found:
            row = rows[line.id]
            post = session.get(CooperationPost, row.post_id)
            territory = session.get(Territory, post.territory_id)
            epci = session.get(Territory, territory.epci_id) if territory.epci_id else None
            stored = {name: getattr(row, name) for name in PostFunding.model_fields}
            assert {name: getattr(line, name) for name in stored} == stored
            year_rule = rule.get(row.year)
            assert (line.rate, line.ceiling_per_fte, line.advance_share) == (
                (year_rule.rate, year_rule.ceiling_per_fte, year_rule.advance_share)
                if year_rule
                else (None, None, None)
            )
            assert (line.territory_id, line.territory, line.holders) == (
                territory.id,
                territory.name,
                post.officer_name,
            )
            assert line.epci == (epci.name if epci else territory.name)
            assert line.alerts == funding_queries.alerts_of(row, day)
            assert line.missing == funding_queries.missing_of(line, day)


@pytest.mark.parametrize(
    "day", [TODAY, date(2025, 10, 20), date(2026, 1, 5), date(2027, 3, 1), date(2027, 12, 31)]
)
def test_a_book_read_a_year_at_a_time_is_the_book_read_at_once(session, admin, day):
    """With `reopen`, the book reads the first screen (this year's lines and every line with
    an alert, chosen in SQL) and another year when asked for: same alerts, in the same
    order, same lines, totals and Caf view as when every line is read at once — on the demo
    (every stage of the cycle), on days before, within and after its years."""
    demo.generate(session, today=TODAY)
    officer = _officer_of_a_funded_territory(session)
    for user in (admin, officer):
        at_once = funding_queries.funding_book(session, user, day)
        in_parts = funding_queries.funding_book(
            session, user, day, reopen=lambda: nullcontext(session)
        )
        assert in_parts.alerts == at_once.alerts
        assert in_parts.alert_count() == at_once.alert_count()
        assert in_parts.years == at_once.years
        for year in (*at_once.years, 2030):
            assert in_parts.year(year) == at_once.year(year)
            assert in_parts.totals(year) == at_once.totals(year)
        assert in_parts.lines == at_once.lines == tuple(funding_queries.lines(session, user, day))
        assert in_parts.caf_view.equals(at_once.caf_view)


@pytest.mark.parametrize(
    "day", [TODAY, date(2025, 10, 20), date(2026, 1, 5), date(2027, 3, 1), date(2027, 12, 31)]
)
def test_the_alert_counts_per_territory_are_the_books_for_every_role(session, admin, day):
    """`alert_counts` counts the lines in alert from their few columns alone, not from the
    book (the overview shows it, in each row's `funding_alerts`): on the demo (every stage
    of the cycle), on days before, within and after its years, for every demo persona and an
    officer of a funded territory, the same figure per territory, for the overview's rows,
    and in all, as the book the Financement page reads."""
    demo.generate(session, today=TODAY)
    users = [*auth.demo_personas(session), admin, _officer_of_a_funded_territory(session)]
    assert {user.role for user in users} == set(Role)
    shown_in_all = 0
    for user in users:
        book = funding_queries.funding_book(session, user, day, reopen=lambda: nullcontext(session))
        per_territory: dict[int, set[int]] = {}
        for alert in book.alerts:
            per_territory.setdefault(alert.line.territory_id, set()).add(alert.line.id)
        counts = funding_queries.alert_counts(session, user, day)
        assert counts == {territory: len(ids) for territory, ids in per_territory.items()}
        assert funding_queries.alert_count(session, user, day) == book.alert_count()
        rows = overview.territory_rows(session, user, day, None, "44")
        shown = sum(row.funding_alerts for row in rows)
        assert shown == book.alert_count(row.territory_id for row in rows)
        shown_in_all += shown
    assert (shown_in_all > 0) is (day > date(2025, 12, 31))  # no line in alert before 2026


def test_a_book_reads_each_other_year_once(session, admin):
    demo.generate(session, today=TODAY)
    asked: list[int] = []

    def reopen():
        asked.append(1)
        return nullcontext(session)

    book = funding_queries.funding_book(session, admin, TODAY, reopen=reopen)
    assert TODAY.year in book.years
    book.year(TODAY.year)
    assert asked == []  # the first screen's year is read with the book
    other = next(year for year in book.years if year != TODAY.year)
    assert book.year(other) is book.year(other)
    assert len(asked) == 1


def _officer_of_a_funded_territory(session):
    territory_id = session.exec(
        select(CooperationPost.territory_id).join(
            PostFunding, PostFunding.post_id == CooperationPost.id
        )
    ).first()
    return CurrentUser(
        id=0, name="Chargée", email="c@example.org", role=Role.coop_officer,
        territory_ids=frozenset({territory_id}),
    )  # fmt: skip
