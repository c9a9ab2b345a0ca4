"""Only the Caf decides funding (admin and caf_manager): every step refuses the other roles
at the service level, whatever the page shows, and changes nothing."""

from datetime import date

import pytest

from ctg_core.common.errors import PermissionDenied
from ctg_core.common.models import Role
from ctg_core.funding import commands as funding
from ctg_core.funding import queries as funding_queries
from tests.conftest import TODAY
from tests.factories import CARENE
from tests.funding.conftest import (
    JUSTIFIED,
    PAID,
    RECEIVED,
    SIGNED,
    history_count,
    line_for,
    make_post,
    signed_line,
)

DECIDE = [Role.admin, Role.caf_manager]
REFUSED = [Role.caf_advisor, Role.coop_officer, Role.committee]


def actor(world, role: Role):
    return world.user(role, territories=[world.territory()])


def step_at(world, manager, step: str):
    """The line ready for `step`, and the call recording it as `user`."""
    if step == "create_post":
        return None, lambda user: funding.create_post(
            world.session,
            user,
            {"territory_id": world.territory(CARENE).id, "name": "Nadia Roux", "fte": "1",
             "starts_on": date(2026, 1, 1)},
            today=TODAY,
        )  # fmt: skip
    post = make_post(world, manager)
    if step == "add_holder":
        return None, lambda user: funding.add_holder(
            world.session, user, post, 1, {"name": "Karim Leroy", "fte": "0,5",
                                           "starts_on": date(2026, 1, 1)}, today=TODAY
        )  # fmt: skip
    if step == "update_holder":
        holder = funding_queries.posts(world.session, manager)[0].holders[0]
        return None, lambda user: funding.update_holder(
            world.session, user, holder.id, holder.version, {"ends_on": date(2026, 6, 30)},
            today=TODAY,
        )  # fmt: skip
    if step == "open_line":
        return None, lambda user: funding.open_line(
            world.session, user, post, {"year": 2026}, today=TODAY
        )
    line = line_for(world, manager, post)
    if step == "declare_funding":
        return line, lambda user: funding.declare_funding(
            world.session, user, line.id, line.row.version, {"eligible_cost": "48000"}
        )
    if step == "record_renewal":
        return line, lambda user: funding.record_renewal(
            world.session, user, line.id, line.row.version,
            {"status": "demande_recue", "on": RECEIVED}, today=TODAY,
        )  # fmt: skip
    line.declare("48000")
    line.renew("demande_recue", RECEIVED)
    line.renew("signee", SIGNED)
    if step == "pay_advance":
        return line, lambda user: funding.pay_advance(
            world.session, user, line.id, line.row.version,
            {"amount": "16800", "paid_on": PAID}, today=TODAY,
        )  # fmt: skip
    line.pay("16800")
    if step == "record_justification":
        return line, lambda user: funding.record_justification(
            world.session, user, line.id, line.row.version,
            {"actual_cost": "48000", "justified_on": JUSTIFIED}, today=date(2027, 3, 1),
        )  # fmt: skip
    line.justify("48000")
    return line, lambda user: funding.settle_balance(
        world.session, user, line.id, line.row.version, {"paid_on": date(2027, 4, 2)},
        today=date(2027, 6, 1),
    )  # fmt: skip


STEPS = [
    "create_post",
    "add_holder",
    "update_holder",
    "open_line",
    "declare_funding",
    "record_renewal",
    "pay_advance",
    "record_justification",
    "settle_balance",
]


@pytest.mark.parametrize("step", STEPS)
@pytest.mark.parametrize("role", REFUSED)
def test_roles_outside_caf_management_cannot_record_a_step(world, manager, step, role):
    line, record = step_at(world, manager, step)
    before = line.row.model_dump() if line else None
    entries = history_count(world.session)
    with pytest.raises(PermissionDenied):
        record(actor(world, role))
    assert history_count(world.session) == entries
    if line:
        assert line.row.model_dump() == before


@pytest.mark.parametrize("step", STEPS)
@pytest.mark.parametrize("role", DECIDE)
def test_the_admin_and_caf_management_record_each_step(world, manager, step, role):
    _line, record = step_at(world, manager, step)
    entries = history_count(world.session)
    record(actor(world, role))
    assert history_count(world.session) > entries


def test_an_officer_reads_their_own_post_and_what_is_missing(world, manager):
    own = signed_line(world, manager)
    carene = line_for(world, manager, make_post(world, manager, territory=world.territory(CARENE)))
    officer = world.user(Role.coop_officer, territories=[world.territory()])

    lines = funding_queries.lines(world.session, officer, TODAY)
    assert [(line.id, line.territory, line.year) for line in lines] == [
        (own.id, "Nantes Métropole", 2026)
    ]
    assert lines[0].missing == ("Acompte à verser par la Caf",)
    assert [p.territory for p in funding_queries.posts(world.session, officer)] == [
        "Nantes Métropole"
    ]
    with pytest.raises(PermissionDenied):
        funding_queries.line_history(world.session, officer, carene.id)
