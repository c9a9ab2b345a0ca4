"""Who may come in: the production guard, the sign-in decision for an identity the provider
vouched for, and the record of sign-ins and refusals that the administrator reads in the
history viewer.

Sign-in is not a command (nobody is signed in yet): these functions write the access
record themselves, in a transaction of their own.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Session, select

from ctg_core.common import config
from ctg_core.common.auth import CurrentUser, acting_user, current_user_from
from ctg_core.common.errors import PermissionDenied
from ctg_core.common.history import access_entry
from ctg_core.common.models import User

PRODUCTION_WITHOUT_SIGN_IN = (
    "CTG_ENV=production, mais aucune connexion OpenID Connect n'est configurée : "
    "CTG Pilotage refuse de démarrer, pour ne pas ouvrir un serveur de production en mode "
    "démonstration. Ajoutez la section [auth] de .streamlit/secrets.toml (voir le README, "
    "« Mettre en service »), ou retirez CTG_ENV pour une démonstration."
)


def startup_refusal(sign_in_configured: bool) -> str | None:
    """Why the app must not open at all, in French, or None.

    Production (`CTG_ENV=production`) requires an identity provider: without one the app
    would fall back to the mode démonstration, where anyone picks any role.
    """
    try:
        environment = config.environment()
    except ValueError as error:
        return str(error)
    if environment == config.PRODUCTION and not sign_in_configured:
        return PRODUCTION_WITHOUT_SIGN_IN
    return None


class SignInRefused(PermissionDenied):
    """The provider signed this person in, but CTG Pilotage does not let them in.
    `message` is for them; `logged` is what the administrator reads in the history;
    `account` is the user when the address is known (a deactivated account)."""

    def __init__(self, message: str, logged: str, account: CurrentUser | None = None) -> None:
        super().__init__("se connecter")
        self.message = message
        self.args = (message,)
        self.logged = logged
        self.account = account


def account_for(session: Session, email: str, *, email_verified: object = None) -> CurrentUser:
    """The active user behind an e-mail the identity provider vouched for, or
    `SignInRefused`: no e-mail, an address the provider says is unverified, an unknown
    address, a deactivated account, a demonstration account."""
    email = email.strip().lower()
    if not email:
        raise SignInRefused(
            "Votre fournisseur d'identité n'a pas transmis d'adresse e-mail : l'accès est "
            "refusé. Contactez l'administrateur de la Caf.",
            "Connexion refusée : aucune adresse e-mail transmise",
        )
    if email_verified is False:
        raise SignInRefused(
            f"L'adresse {email} n'est pas vérifiée par votre fournisseur d'identité : "
            "l'accès est refusé.",
            "Connexion refusée : adresse non vérifiée par le fournisseur",
        )
    row = session.exec(select(User).where(sa.func.lower(User.email) == email)).first()
    if row is None:
        raise SignInRefused(
            f"Le compte {email} n'a pas encore accès à CTG Pilotage. Demandez à "
            "l'administrateur de la Caf de vous ajouter.",
            "Connexion refusée : adresse inconnue",
        )
    if not row.is_active:
        raise SignInRefused(
            f"Le compte {email} a été désactivé : l'accès à CTG Pilotage est fermé. "
            "Contactez l'administrateur de la Caf si c'est une erreur.",
            "Connexion refusée : compte désactivé",
            current_user_from(session, row),
        )
    if row.is_demo:
        raise SignInRefused(
            f"{email} est un profil de démonstration : il ne sert qu'en mode démonstration.",
            "Connexion refusée : profil de démonstration",
        )
    return current_user_from(session, row)


def still_allowed(session: Session, user: CurrentUser) -> CurrentUser:
    """The signed-in user as stored now (role and territories of today), re-read on every
    page run; `AccountDisabled` once they were deactivated."""
    return acting_user(session, user)


def is_deactivated(session: Session, user_id: int) -> bool:
    """True for a user who exists and was deactivated (a demo persona chosen earlier)."""
    row = session.get(User, user_id)
    return row is not None and not row.is_active


def record_sign_in(session: Session, user: CurrentUser) -> None:
    """Write « X s'est connecté(e) » to the history (once per browser session)."""
    session.add(
        access_entry(user_id=user.id, user_name=user.name, email=user.email, operation="sign_in")
    )
    session.commit()


def record_refusal(
    session: Session, *, refused: str, user: CurrentUser | None = None, email: str = ""
) -> None:
    """Write a refusal (a sign-in, a page) to the history: who, when, what was refused."""
    email = email.strip().lower()
    session.add(
        access_entry(
            user_id=user.id if user else None,
            user_name=user.name if user else email,
            email=user.email if user else email,
            operation="refused",
            refused=refused,
        )
    )
    session.commit()
