"""Settings read from the environment at call time (never frozen at import)."""

from __future__ import annotations

import os
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

PROJECT_ROOT = Path(__file__).resolve().parent.parent.parent
DATA_DIR = PROJECT_ROOT / "data"
GEO_DIR = DATA_DIR / "geo"
DEFAULT_DATABASE_URL = f"sqlite:///{DATA_DIR / 'ctg.db'}"
PARIS = ZoneInfo("Europe/Paris")


def database_url() -> str:
    """`CTG_DATABASE_URL`, or the embedded SQLite file under `data/`."""
    url = os.environ.get("CTG_DATABASE_URL", "").strip()
    if not url:
        return DEFAULT_DATABASE_URL
    # Accept the usual `postgresql://` spelling and run it on psycopg 3.
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def today() -> date:
    """The one clock of the app: the date in France, or `CTG_TODAY` (AAAA-MM-JJ) when set.

    Pages, queries, the demo and the tests all ask this function, so a test (or a
    demonstration) can pin the day and a run that crosses midnight stays consistent.
    """
    pinned = os.environ.get("CTG_TODAY", "").strip()
    if pinned:
        try:
            return date.fromisoformat(pinned)
        except ValueError:
            raise ValueError(
                f"CTG_TODAY doit être une date AAAA-MM-JJ, pas « {pinned} »."
            ) from None
    return datetime.now(PARIS).date()


def departement() -> str:
    """INSEE code of the département shown by default (`CTG_DEPARTEMENT`, 44), spelt as
    INSEE does: « 2a » → « 2A », « 1 » → « 01 »."""
    code = os.environ.get("CTG_DEPARTEMENT", "").strip().upper() or "44"
    return "0" + code if code.isdigit() and len(code) == 1 else code


def map_tiles() -> str:
    """Background tiles of the map: `none` (default, works offline), `osm` or `ign`."""
    value = os.environ.get("CTG_MAP_TILES", "none").strip().lower()
    return value if value in {"none", "osm", "ign"} else "none"


PRODUCTION = "production"
DEMONSTRATION = "demonstration"


def environment() -> str:
    """`CTG_ENV`: « production » (sign-in required) or « demonstration » (the default when
    unset). Any other value is refused: a typo must not open a server in demonstration."""
    value = os.environ.get("CTG_ENV", "").strip().lower()
    if value in {"", "demo", DEMONSTRATION}:
        return DEMONSTRATION
    if value == PRODUCTION:
        return PRODUCTION
    raise ValueError(
        f"CTG_ENV vaut « {value} » : les seules valeurs permises sont « production » et "
        "« demonstration » (ou aucune valeur, pour une démonstration)."
    )
