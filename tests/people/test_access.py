"""Who may come in (on SQLite and PostgreSQL): the production guard, the sign-in decision
for an identity the provider vouched for, and the record of sign-ins and refusals."""

from __future__ import annotations

import pytest
from sqlmodel import select

from ctg_core.common.auth import AccountDisabled
from ctg_core.common.errors import PermissionDenied
from ctg_core.common.models import ChangeLog, Role, User
from ctg_core.people import access
from ctg_core.people import commands as people
from ctg_core.people.access import SignInRefused
from ctg_core.plan import commands as plan_commands


@pytest.fixture
def officer(world):
    return world.user(Role.coop_officer, name="Nadia Officier", territories=[world.territory()])


def deactivate(session, user) -> None:
    row = session.get(User, user.id)
    row.is_active = False
    session.add(row)
    session.commit()


def access_entries(session) -> list[ChangeLog]:
    return list(
        session.exec(select(ChangeLog).where(ChangeLog.entity == "access").order_by(ChangeLog.id))
    )


# --- production needs an identity provider ------------------------------------------------------


def test_demonstration_is_the_default_when_ctg_env_is_unset(monkeypatch):
    monkeypatch.delenv("CTG_ENV", raising=False)

    assert access.startup_refusal(sign_in_configured=False) is None


def test_production_without_an_identity_provider_refuses_to_start_in_french(monkeypatch):
    monkeypatch.setenv("CTG_ENV", "production")

    assert access.startup_refusal(sign_in_configured=False) == access.PRODUCTION_WITHOUT_SIGN_IN
    assert "refuse de démarrer" in access.PRODUCTION_WITHOUT_SIGN_IN
    assert access.startup_refusal(sign_in_configured=True) is None


def test_a_mistyped_ctg_env_refuses_to_start_rather_than_open_a_demonstration(monkeypatch):
    monkeypatch.setenv("CTG_ENV", "prod")

    assert access.startup_refusal(sign_in_configured=False) == (
        "CTG_ENV vaut « prod » : les seules valeurs permises sont « production » et "
        "« demonstration » (ou aucune valeur, pour une démonstration)."
    )


# --- the sign-in decision --------------------------------------------------------------------


def test_a_known_e_mail_signs_in_whatever_its_case(session, officer):
    user = access.account_for(session, f"  {officer.email.upper()} ", email_verified=True)

    assert (user.id, user.role, user.territory_ids) == (
        officer.id,
        Role.coop_officer,
        officer.territory_ids,
    )


@pytest.mark.parametrize(
    ("email", "verified", "message", "logged"),
    [
        ("", None, "n'a pas transmis d'adresse e-mail", "aucune adresse e-mail transmise"),
        ("x@exemple.fr", False, "n'est pas vérifiée", "adresse non vérifiée par le fournisseur"),
        ("inconnu@exemple.fr", True, "n'a pas encore accès", "adresse inconnue"),
    ],
)
def test_an_identity_the_app_does_not_know_is_refused_politely(
    session, officer, email, verified, message, logged
):
    with pytest.raises(SignInRefused) as refused:
        access.account_for(session, email, email_verified=verified)

    assert message in refused.value.message
    assert refused.value.logged == f"Connexion refusée : {logged}"
    assert refused.value.account is None


def test_a_deactivated_account_is_refused_at_sign_in(session, officer):
    deactivate(session, officer)

    with pytest.raises(SignInRefused) as refused:
        access.account_for(session, officer.email, email_verified=True)

    assert "a été désactivé" in refused.value.message
    assert refused.value.account.id == officer.id


def test_a_demonstration_persona_cannot_sign_in_through_the_provider(session, world):
    persona = world.user(Role.admin, demo=True)

    with pytest.raises(SignInRefused, match="profil de démonstration"):
        access.account_for(session, persona.email, email_verified=True)


def test_a_page_run_re_reads_the_user(session, officer):
    row = session.get(User, officer.id)
    row.role = Role.committee
    session.add(row)
    session.commit()

    assert access.still_allowed(session, officer).role is Role.committee
    deactivate(session, officer)
    with pytest.raises(AccountDisabled):
        access.still_allowed(session, officer)


# --- the record of sign-ins and refusals ----------------------------------------------------


def test_sign_ins_and_refused_sign_ins_are_recorded(session, officer):
    access.record_sign_in(session, officer)
    access.record_refusal(
        session, email="Inconnu@Exemple.fr", refused="Connexion refusée : adresse inconnue"
    )

    signed, refused = access_entries(session)
    assert (signed.operation, signed.user_id, signed.user_name, signed.changes) == (
        "sign_in",
        officer.id,
        "Nadia Officier",
        {"email": [None, officer.email]},
    )
    assert (refused.operation, refused.user_id, refused.entity_id, refused.changes) == (
        "refused",
        None,
        0,
        {
            "email": [None, "inconnu@exemple.fr"],
            "refused": [None, "Connexion refusée : adresse inconnue"],
        },
    )


def test_a_refused_command_is_recorded_with_what_was_refused(session, officer):
    with pytest.raises(PermissionDenied):
        people.add_user(session, officer, {"email": "a@b.fr", "name": "A", "role": "admin"})

    [entry] = access_entries(session)
    assert (entry.operation, entry.user_id, entry.changes["refused"][1]) == (
        "refused",
        officer.id,
        "Vous n'avez pas le droit de gérer les utilisateurs.",
    )
    assert session.exec(select(User).where(User.email == "a@b.fr")).first() is None


def test_a_deactivated_users_attempt_is_recorded(session, world, officer):
    action = world.action(world.convention(world.territory()))
    deactivate(session, officer)

    with pytest.raises(AccountDisabled):
        plan_commands.update_action(session, officer, action.id, 1, {"progress": 60})

    [entry] = access_entries(session)
    assert "désactivé" in entry.changes["refused"][1]
