"""Migration 0007 carries the funding rows written before the full cycle existed."""

from datetime import date
from decimal import Decimal

import sqlalchemy as sa

from ctg_core.common import db
from ctg_core.setup import bootstrap


def _old_rows(url: str) -> None:
    """Rows as the schema of 0003 held them (the page assumed a 70 % acompte)."""
    with db.engine_for(url).begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO territories (id, kind, code, name, search_name, population, "
                "departement) VALUES (1, 'epci', '244400404', 'Nantes Métropole', "
                "'nantes metropole', 683000, '44')"
            )
        )
        conn.execute(
            sa.text(
                "INSERT INTO funding_rules (year, rate, ceiling_per_fte, notes) VALUES "
                "(2025, 0.5, 25500, ''), (2026, 0.5, 26000, '')"
            )
        )
        conn.execute(
            sa.text(
                "INSERT INTO cooperation_posts (id, territory_id, officer_name, officer_email, "
                "started_on, version) VALUES (1, 1, 'Léa Tessier', 'lea@exemple.invalid', "
                "'2023-03-01', 1)"
            )
        )
        conn.execute(
            sa.text(
                "INSERT INTO post_fundings (id, post_id, year, fte, eligible_cost, entitlement, "
                "renewal_status, renewal_due_on, renewal_received_on, renewal_signed_on, "
                "advance_amount, advance_paid_on, balance_amount, balance_paid_on, version) "
                "VALUES (1, 1, 2025, 0.8, 40000, 20000, 'signee', '2025-03-31', '2025-03-11', "
                "'2025-03-26', 14000, '2025-04-30', 6000, '2026-06-15', 4), "
                "(2, 1, 2026, 0.8, 41000, 20500, 'a_renouveler', '2026-03-31', NULL, NULL, "
                "NULL, NULL, NULL, NULL, 1)"
            )
        )


def test_existing_rules_posts_and_lines_are_carried_over(empty_database_url):
    url = empty_database_url
    bootstrap.upgrade(url, "0003")
    _old_rows(url)
    bootstrap.upgrade(url)

    with db.engine_for(url).connect() as conn:
        rules = conn.execute(
            sa.text(
                "SELECT year, advance_share, renewal_opens_on, renewal_due_on, version "
                "FROM funding_rules ORDER BY year"
            )
        ).all()
        holders = conn.execute(
            sa.text("SELECT post_id, name, email, fte, starts_on, ends_on FROM post_holders")
        ).all()
        lines = conn.execute(
            sa.text(
                "SELECT id, months, actual_cost, justified_on, final_entitlement, "
                "balance_amount FROM post_fundings ORDER BY id"
            )
        ).all()
    assert [(y, _money(s, "0.0001"), _day(o), _day(d), v) for y, s, o, d, v in rules] == [
        (2025, Decimal("0.7000"), date(2024, 10, 1), date(2025, 3, 31), 1),
        (2026, Decimal("0.7000"), date(2025, 10, 1), date(2026, 3, 31), 1),
    ]
    assert [(p, n, e, _money(f), _day(s), x) for p, n, e, f, s, x in holders] == [
        (1, "Léa Tessier", "lea@exemple.invalid", Decimal("0.80"), date(2023, 3, 1), None)
    ]
    # The 2025 solde was recorded: justified that day at its declared cost, 14 000 + 6 000.
    assert [(i, m, _money(c), _day(j), _money(f), _money(b)) for i, m, c, j, f, b in lines] == [
        (1, 12, Decimal("40000.00"), date(2026, 6, 15), Decimal("20000.00"), Decimal("6000.00")),
        (2, 12, None, None, None, None),
    ]

    bootstrap.downgrade(url, "0003")
    bootstrap.upgrade(url)
    with db.engine_for(url).connect() as conn:
        assert conn.execute(sa.text("SELECT COUNT(*) FROM post_holders")).scalar() == 1


def _day(value: object) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) else value  # type: ignore[return-value]


def _money(value: object, unit: str = "0.01") -> Decimal | None:
    """A number as stored (SQLite gives a float back) to the unit of its column."""
    return None if value is None else Decimal(str(value)).quantize(Decimal(unit))
