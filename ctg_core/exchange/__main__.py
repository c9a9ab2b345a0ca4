"""Sauvegarder et restaurer la base SQLite de CTG Pilotage, application en marche.

    python -m ctg_core.exchange backup [FICHIER]   # data/sauvegardes/ctg-AAAAMMJJ-HHMMSS.db
    python -m ctg_core.exchange restore FICHIER [--oui]

La base est celle de CTG_DATABASE_URL (défaut : data/ctg.db). Pour PostgreSQL : pg_dump et
pg_restore (README, section Sauvegardes).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ctg_core.common import config, formats
from ctg_core.exchange.backup import BackupInfo, BackupRefused, backup, inspect, restore


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m ctg_core.exchange",
        description="Sauvegarde et restauration de la base SQLite de CTG Pilotage.",
    )
    verbs = parser.add_subparsers(dest="verb", required=True)
    saving = verbs.add_parser("backup", help="copie cohérente de la base, même en service")
    saving.add_argument("fichier", nargs="?", type=Path, help="fichier de sauvegarde à créer")
    restoring = verbs.add_parser("restore", help="remet la base dans l'état d'une sauvegarde")
    restoring.add_argument("fichier", type=Path, help="sauvegarde à restaurer")
    restoring.add_argument("--oui", action="store_true", help="ne pas demander de confirmation")
    args = parser.parse_args(argv)
    url = config.database_url()
    try:
        if args.verb == "backup":
            info = backup(url, args.fichier)
            print(f"Sauvegarde écrite : {info.path}")
            _describe(info)
            return 0
        checked = inspect(args.fichier)
        print(f"Sauvegarde lue : {checked.path}")
        _describe(checked)
        if not args.oui and not _confirmed(url):
            print("Restauration annulée : rien n'a changé.")
            return 1
        restore(args.fichier, url)
        from ctg_core.setup import bootstrap  # an older backup is brought to the current schema

        bootstrap.upgrade(url)
        print(f"Base restaurée : {url.split('@')[-1]} (l'état précédent est sauvegardé à côté).")
        return 0
    except BackupRefused as refusal:
        print(refusal.message, file=sys.stderr)
        return 2


def _describe(info: BackupInfo) -> None:
    print(
        f"  {formats.number(info.conventions)} conventions, {formats.number(info.actions)} "
        f"actions, schéma {info.revision or '—'}, {formats.number(info.size / 1024)} Ko"
    )


def _confirmed(url: str) -> bool:
    answer = input(f"Remplacer le contenu de {url.split('@')[-1]} par cette sauvegarde ? [o/N] ")
    return answer.strip().lower() in {"o", "oui", "y", "yes"}


if __name__ == "__main__":
    sys.exit(main())
