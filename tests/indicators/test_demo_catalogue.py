"""The demo lets territories be compared on catalogue indicators."""

from datetime import date

from ctg_core.indicators import queries
from ctg_core.setup import demo

TODAY = date(2026, 11, 25)


def test_the_demo_compares_every_epci_on_published_figures_and_conventions_on_their_own(session):
    demo.generate(session, today=TODAY)

    published = queries.compare_territories(session, "TXCOUV", 2024, "44")
    sources = [(r.kind.value, r.source) for r in published.rows]
    assert sources.count(("epci", queries.OPEN_DATA)) == 17
    assert sources.count(("commune", queries.CONVENTION_ENTRY)) == 2  # communes with a CTG
    assert published.departement_value == 63.5
    entered = queries.compare_territories(session, "TXCOUV", 2025, "44")
    assert len(entered.rows) >= 5
    assert {r.source for r in entered.rows} == {queries.CONVENTION_ENTRY}
    assert len(queries.compare_territories(session, "FAM_PARENTALITE", 2025, "44").rows) >= 3
    assert [e.code for e in queries.comparable_codes(session, "44")] == [
        "FAM_PARENTALITE",
        "ALLOCATAIRES",
        "PLACES_EAJE",
        "TXCOUV",
    ]
