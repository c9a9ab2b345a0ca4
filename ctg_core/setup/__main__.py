"""Installation commands, run on the server:

    python -m ctg_core.setup users add --admin EMAIL "Prénom Nom"
    python -m ctg_core.setup users list

They act on `CTG_DATABASE_URL` (migrated to the latest version first).
"""

from __future__ import annotations

import argparse
import sys

from sqlmodel import Session

from ctg_core.common import config, db
from ctg_core.common.errors import ValidationFailed
from ctg_core.setup import bootstrap
from ctg_core.setup.users import add_first_admin, user_lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m ctg_core.setup", description="Installation de CTG Pilotage."
    )
    topics = parser.add_subparsers(dest="topic", required=True)
    users = topics.add_parser("users", help="les utilisateurs")
    verbs = users.add_subparsers(dest="verb", required=True)
    add = verbs.add_parser("add", help="créer le premier administrateur")
    add.add_argument(
        "--admin",
        action="store_true",
        required=True,
        help="créer un administrateur (les autres utilisateurs s'ajoutent depuis la page "
        "Administration)",
    )
    add.add_argument("email", help="adresse e-mail de connexion (celle du fournisseur d'identité)")
    add.add_argument("name", help="nom affiché, p. ex. « Claire Martin »")
    verbs.add_parser("list", help="lister les utilisateurs")
    args = parser.parse_args(argv)

    url = config.database_url()
    bootstrap.upgrade(url)
    with Session(db.engine_for(url), expire_on_commit=False) as session:
        if args.verb == "list":
            print("\n".join(user_lines(session)) or "Aucun utilisateur.")
            return 0
        try:
            user = add_first_admin(session, args.email, args.name)
        except ValidationFailed as refusal:
            print("Refusé : " + " ".join(refusal.errors.values()), file=sys.stderr)
            return 1
    print(f"Administrateur créé : {user.name} <{user.email}>. Il peut se connecter.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
