"""Load test (`make load`): concurrent sessions against 1 and 2 app processes behind HAProxy.

Usage: python scripts/load_test.py [--clients 8] [--duration 30] [--processes 1 2]

1. A scratch PostgreSQL database (on the server of the tests, `CTG_TEST_PG_DSN`), migrated
   and filled with the demo by `scripts/setup_db.py`; dropped at the end.
2. For each process count: that many `streamlit run app.py` on free ports of 127.0.0.1, all on
   that database, behind Debian's HAProxy (`make haproxy`) configured from
   `scripts/load/haproxy.cfg.in`: unprivileged, on a free port, WebSocket passed through,
   sticky sessions by cookie. Each process is warmed up first (imports, caches).
3. `--clients` simulated users (protocol level: `scripts/load/streamlit_client.py`, no
   browser) each repeat, without pause, until `--duration` has passed: open the app (`GET /`,
   then a WebSocket session), the overview, a convention's page with one fiche open, and a
   quick update of that fiche (a new « Dernier commentaire », saved through the fiche's form:
   the app's own save path). Each user edits fiches of its own, so no save is a conflict.
4. Prints, per process count: page runs, errors, p50/p95 by kind of page, page runs per second
   (per process too), the CPU seconds one page run costs the app processes (from /proc), the
   CPU bound (usable cores ÷ CPU seconds per page; one Streamlit process uses at most one core)
   and how close the throughput came to it (goal: 80 %), with the CPU used meanwhile by
   HAProxy, by this script and by the rest of the machine. Then checks that every save the app
   acknowledged is in the database's history and that each fiche holds its last one.

Everything goes to 127.0.0.1 only, bounded in users (≤ 50) and time (≤ 300 s per process
count, 60 s per page). Exit status 1 on any error or any acknowledged save not found.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from string import Template

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts" / "load"))

import psycopg  # noqa: E402
import websockets  # noqa: E402
from sqlmodel import Session, select  # noqa: E402
from streamlit_client import (  # noqa: E402
    AppSession,
    PageFailed,
    fiche_query,
    page_cookie,
    save_fiche_comment,
)

from ctg_core.common import db  # noqa: E402
from ctg_core.common.models import Action, ChangeLog  # noqa: E402
from tests.streamlit_server import free_port, running_app  # noqa: E402

PG_ADMIN_DSN = os.environ.get("CTG_TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/test")
HAPROXY = os.environ.get("HAPROXY", "/usr/sbin/haproxy")
TEMPLATE = ROOT / "scripts" / "load" / "haproxy.cfg.in"
STICKY_COOKIE = "CTG_BACKEND"
MAX_CLIENTS = 50
MAX_DURATION_S = 300
MAX_PROCESSES = 4
PAGE_TIMEOUT_S = 60
TARGET_SHARE = 0.8
KINDS = {"overview": "vue d'ensemble", "convention": "convention", "save": "enregistrement"}


# --- the database ---------------------------------------------------------------------------


@contextmanager
def scratch_database() -> Iterator[str]:
    """A PostgreSQL database of its own, migrated with the demo, dropped on exit."""
    name = f"ctg_load_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
    url = f"{base}/{name}"
    try:
        subprocess.run(
            [sys.executable, str(ROOT / "scripts" / "setup_db.py")],
            env={**os.environ, "CTG_DATABASE_URL": url},
            cwd=ROOT,
            check=True,
        )
        yield url
    finally:
        db.engine_for(url).dispose()
        with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        print(f"Base de test {name} supprimée.")


@dataclass(frozen=True)
class Fiche:
    convention_id: int
    action_id: int
    code: str


def open_fiches(url: str) -> list[Fiche]:
    with Session(db.engine_for(url)) as session:
        actions = session.exec(
            select(Action).where(Action.archived_at.is_(None)).order_by(Action.id)  # type: ignore[union-attr]
        ).all()
        return [Fiche(a.convention_id, a.id, a.code) for a in actions if a.id is not None]


def missing_saves(url: str, saves: list[tuple[int, str]]) -> tuple[list[str], list[str]]:
    """(acknowledged saves absent from the history, fiches not holding their last save)."""
    with Session(db.engine_for(url)) as session:
        logged = {
            (row.entity_id, row.changes.get("last_comment", [None, None])[1])
            for row in session.exec(
                select(ChangeLog).where(
                    ChangeLog.entity == "action", ChangeLog.operation == "update"
                )
            )
        }
        last = dict(saves)  # in acknowledgement order: the last one of each fiche wins
        held = {
            a.id: a.last_comment
            for a in session.exec(select(Action).where(Action.id.in_(list(last))))  # type: ignore[union-attr]
        }
    absent = [f"fiche {aid} : « {text} »" for aid, text in saves if (aid, text) not in logged]
    stale = [
        f"fiche {aid} : « {held.get(aid)} » au lieu de « {text} »"
        for aid, text in last.items()
        if held.get(aid) != text
    ]
    return absent, stale


# --- processes ------------------------------------------------------------------------------


TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (all its threads), from /proc."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def machine_busy_seconds() -> float:
    """CPU seconds every core of the machine spent busy since boot (idle and iowait excluded)."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    return (sum(values[:8]) - values[3] - values[4]) / TICKS


@contextmanager
def haproxy(backends: list[str], folder: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """HAProxy on a free port of 127.0.0.1 in front of `backends` (http://127.0.0.1:port),
    with sticky sessions; as `nobody` when this script runs as root."""
    if not Path(HAPROXY).exists():
        raise SystemExit(
            f"HAProxy introuvable ({HAPROXY}) : `make load` l'installe (make haproxy)."
        )
    port = free_port()
    servers = "\n".join(
        f"    server app{n} {url.removeprefix('http://')} cookie app{n} check inter 2s"
        for n, url in enumerate(backends, start=1)
    )
    config = folder / f"haproxy-{len(backends)}.cfg"
    config.write_text(Template(TEMPLATE.read_text()).substitute(port=port, servers=servers))
    config.chmod(0o644)
    folder.chmod(0o755)
    unprivileged = {"user": "nobody", "group": "nogroup"} if os.geteuid() == 0 else {}
    log = open(folder / f"haproxy-{len(backends)}.log", "wb")  # noqa: SIM115
    process = subprocess.Popen(
        [HAPROXY, "-f", str(config), "-db"],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        **unprivileged,  # type: ignore[arg-type]
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for n in range(1, len(backends) + 1):
            try:
                wait_for_backend(url, f"app{n}", process)
            except RuntimeError as failure:
                log.flush()
                said = (folder / f"haproxy-{len(backends)}.log").read_text(errors="replace")
                raise RuntimeError(f"{failure}\n{said[-2000:]}") from None
        yield url, process
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def wait_for_backend(url: str, name: str, process: subprocess.Popen[bytes]) -> None:
    """Until HAProxy routes a request carrying `name`'s cookie to `name` (its health check
    passed and the sticky cookie works)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"HAProxy s'est arrêté au démarrage (code {process.returncode})")
        request = urllib.request.Request(url + "/", headers={"Cookie": f"{STICKY_COOKIE}={name}"})
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                if response.headers.get("X-CTG-Backend") == name:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"HAProxy n'envoie rien à {name} après 30 s")


# --- the load -------------------------------------------------------------------------------


@dataclass
class Outcome:
    processes: int
    clients: int
    wall: float = 0.0
    latencies: dict[str, list[float]] = field(default_factory=lambda: {k: [] for k in KINDS})
    errors: list[str] = field(default_factory=list)
    saves: list[tuple[int, str]] = field(default_factory=list)  # (action id, comment), acked
    alone: dict[str, list[float]] = field(default_factory=lambda: {k: [] for k in KINDS})
    sessions: Counter[str] = field(default_factory=Counter)  # by app process
    app_cpu: float = 0.0
    haproxy_cpu: float = 0.0
    client_cpu: float = 0.0
    machine_cpu: float = 0.0

    @property
    def pages(self) -> int:
        return sum(len(samples) for samples in self.latencies.values())

    @property
    def cpu_per_page(self) -> float:
        return self.app_cpu / self.pages if self.pages else float("nan")

    @property
    def usable_cores(self) -> int:
        return min(self.processes, os.cpu_count() or 1)

    @property
    def pages_per_second(self) -> float:
        return self.pages / self.wall if self.wall else 0.0

    @property
    def cpu_bound(self) -> float:
        return self.usable_cores / self.cpu_per_page


def sticky_value(cookie: str) -> str:
    morsel = SimpleCookie(cookie).get(STICKY_COOKIE)
    return morsel.value if morsel else ""


async def one_user(
    number: int, url: str, fiches: list[Fiche], deadline: float, token: str, outcome: Outcome
) -> None:
    """A user who opens the app, the overview, a fiche, saves a comment — again and again."""
    cookie = ""
    visit = 0
    while time.monotonic() < deadline:
        fiche = fiches[visit % len(fiches)]
        visit += 1
        try:
            cookie = await asyncio.to_thread(page_cookie, url, cookie)
            session = await AppSession.open(url, cookie)
            try:
                if session.backend != sticky_value(cookie):
                    raise PageFailed(
                        f"session non collante : cookie {sticky_value(cookie) or 'absent'}, "
                        f"servie par {session.backend or 'inconnu'}"
                    )
                outcome.sessions[session.backend] += 1
                overview = await session.run("", timeout=PAGE_TIMEOUT_S)
                outcome.latencies["overview"].append(overview.seconds)
                query = fiche_query(fiche.convention_id, fiche.action_id)
                page = await session.run("convention", query, timeout=PAGE_TIMEOUT_S)
                outcome.latencies["convention"].append(page.seconds)
                comment = f"Test de charge {token} · {outcome.processes} p. · u{number} v{visit}"
                saved = await save_fiche_comment(
                    session,
                    page,
                    fiche.convention_id,
                    fiche.action_id,
                    fiche.code,
                    comment,
                    timeout=PAGE_TIMEOUT_S,
                )
                outcome.latencies["save"].append(saved.seconds)
                outcome.saves.append((fiche.action_id, comment))
            finally:
                await session.close()
        except (PageFailed, OSError, websockets.WebSocketException) as error:
            outcome.errors.append(f"utilisateur {number}, visite {visit} : {error}")
            await asyncio.sleep(1)  # a failing server is not hammered


async def run_load(
    url: str, clients: int, duration: float, fiches: list[Fiche], outcome: Outcome
) -> None:
    deadline = time.monotonic() + duration
    token = uuid.uuid4().hex[:6]
    await asyncio.gather(
        *(one_user(n, url, fiches[n::clients], deadline, token, outcome) for n in range(clients))
    )


async def warm_up(url: str, fiche: Fiche) -> None:
    """First runs of a process import and cache what every later run reuses."""
    for _ in range(2):
        session = await AppSession.open(url)
        try:
            await session.run("", timeout=PAGE_TIMEOUT_S * 2)
            await session.run(
                "convention",
                fiche_query(fiche.convention_id, fiche.action_id),
                timeout=PAGE_TIMEOUT_S,
            )
        finally:
            await session.close()


async def alone(url: str, pid: int, fiche: Fiche, visits: int, outcome: Outcome) -> None:
    """One user alone on a warm process: the CPU each kind of page costs it (nothing else
    runs in that process meanwhile, so the process's CPU time is the page's)."""
    token = uuid.uuid4().hex[:6]
    for visit in range(visits):
        session = await AppSession.open(url)
        try:
            before = cpu_seconds(pid)
            await session.run("", timeout=PAGE_TIMEOUT_S)
            middle = cpu_seconds(pid)
            query = fiche_query(fiche.convention_id, fiche.action_id)
            page = await session.run("convention", query, timeout=PAGE_TIMEOUT_S)
            after_page = cpu_seconds(pid)
            comment = f"Test de charge {token} · seul · v{visit}"
            await save_fiche_comment(
                session, page, fiche.convention_id, fiche.action_id, fiche.code, comment
            )
            outcome.saves.append((fiche.action_id, comment))
            after_save = cpu_seconds(pid)
        finally:
            await session.close()
        outcome.alone["overview"].append(middle - before)
        outcome.alone["convention"].append(after_page - middle)
        outcome.alone["save"].append(after_save - after_page)


def measure(
    url: str, processes: int, clients: int, duration: float, fiches: list[Fiche], folder: Path
) -> Outcome:
    outcome = Outcome(processes, clients)
    with ExitStack() as stack:
        servers = [
            stack.enter_context(running_app(url, log_path=folder / f"app-{processes}-{n}.log"))
            for n in range(1, processes + 1)
        ]
        for server in servers:
            asyncio.run(warm_up(server.url, fiches[-1]))
        if processes == 1:
            asyncio.run(alone(servers[0].url, servers[0].process.pid, fiches[-1], 5, outcome))
        proxy_url, proxy = stack.enter_context(haproxy([s.url for s in servers], folder))
        pids = [s.process.pid for s in servers]
        app_before = sum(cpu_seconds(pid) for pid in pids)
        proxy_before, client_before = cpu_seconds(proxy.pid), time.process_time()
        machine_before, started = machine_busy_seconds(), time.perf_counter()
        print(
            f"Charge : {clients} utilisateurs pendant {duration:.0f} s sur {processes} processus…",
            flush=True,
        )
        asyncio.run(run_load(proxy_url, clients, duration, fiches[:-1], outcome))
        outcome.wall = time.perf_counter() - started
        outcome.machine_cpu = machine_busy_seconds() - machine_before
        outcome.app_cpu = sum(cpu_seconds(pid) for pid in pids) - app_before
        outcome.haproxy_cpu = cpu_seconds(proxy.pid) - proxy_before
        outcome.client_cpu = time.process_time() - client_before
    return outcome


# --- the report -----------------------------------------------------------------------------


def percentile(samples: list[float], share: float) -> float:
    if not samples:
        return float("nan")
    if len(samples) == 1:
        return samples[0]
    return statistics.quantiles(samples, n=100, method="inclusive")[round(share * 100) - 1]


def report(outcomes: list[Outcome], clients: int, duration: float) -> None:
    cores = os.cpu_count() or 1
    print(
        f"\n=== Test de charge — {clients} utilisateurs simultanés, {duration:.0f} s par "
        f"configuration, machine de {cores} cœurs ({time.strftime('%d/%m/%Y %H:%M')}) ==="
    )
    print(
        f"{'processus':>9} {'pages':>6} {'erreurs':>7} {'p50 (s)':>8} {'p95 (s)':>8} "
        f"{'pages/s':>8} {'/s/proc.':>8} {'CPU s/page':>10} {'borne/s':>8} {'% borne':>8}"
    )
    for o in outcomes:
        every = [s for samples in o.latencies.values() for s in samples]
        share = o.pages_per_second / o.cpu_bound
        mark = "ok" if share >= TARGET_SHARE else "< 80 %"
        print(
            f"{o.processes:>9} {o.pages:>6} {len(o.errors):>7} {percentile(every, 0.5):8.2f} "
            f"{percentile(every, 0.95):8.2f} {o.pages_per_second:8.2f} "
            f"{o.pages_per_second / o.processes:8.2f} {o.cpu_per_page:10.3f} {o.cpu_bound:8.2f} "
            f"{share * 100:6.0f} % {mark}"
        )
    print("\np50 / p95 par type de page (s) :")
    print(f"{'processus':>9} " + " ".join(f"{label:>18}" for label in KINDS.values()))
    for o in outcomes:
        cells = [
            f"{percentile(o.latencies[k], 0.5):.2f} / {percentile(o.latencies[k], 0.95):.2f}"
            f" ({len(o.latencies[k])})"
            for k in KINDS
        ]
        print(f"{o.processes:>9} " + " ".join(f"{c:>18}" for c in cells))
    print("\nCPU pendant la mesure (s de CPU) :")
    for o in outcomes:
        others = o.machine_cpu - o.app_cpu - o.haproxy_cpu - o.client_cpu
        sessions = ", ".join(f"{name} {count}" for name, count in sorted(o.sessions.items()))
        print(
            f"  {o.processes} processus : {o.wall:.1f} s × {cores} cœurs = {o.wall * cores:.0f} "
            f"disponibles ; application {o.app_cpu:.1f}, HAProxy {o.haproxy_cpu:.1f}, "
            f"client de charge {o.client_cpu:.1f}, reste de la machine {others:.1f} "
            f"(PostgreSQL, autres travaux) : machine occupée à "
            f"{o.machine_cpu / (o.wall * cores) * 100:.0f} % ; sessions par processus : {sessions}"
        )
    for o in outcomes:
        if o.alone["overview"]:
            costs = {k: statistics.median(v) for k, v in o.alone.items()}
            print(
                f"CPU s par page pour un utilisateur seul (médiane de {len(o.alone['save'])}) : "
                + ", ".join(f"{KINDS[k]} {cost:.3f}" for k, cost in costs.items())
                + f" ; la visite entière (les trois) {sum(costs.values()):.3f}, soit "
                f"{1 / sum(costs.values()):.2f} visite/s par cœur."
            )
    print(
        "Page : une exécution de page attendue par l'utilisateur (ouverture de la vue "
        "d'ensemble, d'une convention, ou enregistrement d'une fiche : l'envoi du formulaire et la "
        "page qui suit). Borne CPU : cœurs "
        f"utilisables (un processus Streamlit en utilise un au plus) ÷ CPU s par page ; "
        f"objectif ≥ {TARGET_SHARE * 100:.0f} % de la borne."
    )


def verdict(outcomes: list[Outcome], url: str) -> bool:
    """Print the errors and the saves check; True when the run failed."""
    saves = [save for o in outcomes for save in o.saves]
    absent, stale = missing_saves(url, saves)
    errors = [error for o in outcomes for error in o.errors]
    print(
        f"\nEnregistrements confirmés par l'application : {len(saves)} ; absents de "
        f"l'historique : {len(absent)} ; fiches sans leur dernier enregistrement : "
        f"{len(stale)}."
    )
    for line in (errors + absent + stale)[:20]:
        print("  " + line)
    failed = bool(errors or absent or stale)
    if failed:
        missing = len(absent) + len(stale)
        print(f"ÉCHEC : {len(errors)} erreur(s), {missing} enregistrement(s) manquant(s).")
    return failed


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--clients", type=int, default=8, help=f"utilisateurs simultanés (≤ {MAX_CLIENTS})"
    )
    parser.add_argument(
        "--duration",
        type=float,
        default=30,
        help=f"secondes par configuration (≤ {MAX_DURATION_S})",
    )
    parser.add_argument(
        "--processes",
        type=int,
        nargs="+",
        default=[1, 2],
        help=f"nombres de processus (≤ {MAX_PROCESSES})",
    )
    args = parser.parse_args()
    if not 1 <= args.clients <= MAX_CLIENTS:
        parser.error(f"--clients doit être entre 1 et {MAX_CLIENTS}")
    if not 1 <= args.duration <= MAX_DURATION_S:
        parser.error(f"--duration doit être entre 1 et {MAX_DURATION_S} s")
    if not all(1 <= p <= MAX_PROCESSES for p in args.processes):
        parser.error(f"--processes : entre 1 et {MAX_PROCESSES} processus")
    # Stopped by SIGTERM too, the servers, HAProxy and the scratch database are cleaned up.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if shutil.which(HAPROXY) is None:
        raise SystemExit(f"HAProxy introuvable ({HAPROXY}) : lancez `make load` (qui l'installe).")
    outcomes = []
    with tempfile.TemporaryDirectory(prefix="ctg-load-") as tmp, scratch_database() as url:
        fiches = open_fiches(url)
        if len(fiches) < args.clients + 1:
            raise SystemExit(
                "Pas assez de fiches dans la démonstration pour ce nombre d'utilisateurs."
            )
        for processes in args.processes:
            outcomes.append(measure(url, processes, args.clients, args.duration, fiches, Path(tmp)))
        report(outcomes, args.clients, args.duration)
        failed = verdict(outcomes, url)
        if failed:
            for log in sorted(Path(tmp).glob("*.log")):  # what the servers said last
                tail = log.read_text(errors="replace").strip().splitlines()[-5:]
                if tail:
                    print(f"--- {log.name}\n" + "\n".join(tail))
    if failed:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
