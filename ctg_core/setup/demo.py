"""Deterministic, clearly fictitious demo data on the real territories.

Same seed and same reference date → the same rows. Every convention, action, person and
figure here is invented; the UI says so whenever the `demo_data` setting is on.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Session, select

from ctg_core.committee.rules import (
    FREE_POINT_MINUTES,
    MEETING_MINUTES,
    agenda_order,
    agenda_reasons,
    point_minutes,
)
from ctg_core.common import config
from ctg_core.common.models import (
    Action,
    ActionStatus,
    AgendaItem,
    Axis,
    ChangeLog,
    Convention,
    ConventionPhase,
    CooperationPost,
    Decision,
    FundingRule,
    Indicator,
    IndicatorCatalogue,
    IndicatorDirection,
    IndicatorValue,
    MeasureKind,
    Meeting,
    MeetingKind,
    MeetingStatus,
    PhaseChange,
    PlanSnapshot,
    PostFunding,
    PostHolder,
    RenewalStatus,
    Role,
    Setting,
    Territory,
    TerritoryFigure,
    TerritoryKind,
    User,
    UserTerritory,
)
from ctg_core.funding import rules as funding_rules
from ctg_core.indicators import open_data
from ctg_core.indicators.commands import write_figures
from ctg_core.reference.indicator_catalogue import load_indicator_catalogue

DEFAULT_SEED = 44

FIRST_NAMES = [
    "Camille",
    "Nicolas",
    "Sophie",
    "Yann",
    "Claire",
    "Julien",
    "Aurélie",
    "Thomas",
    "Maëlle",
    "Erwan",
    "Léa",
    "Mathieu",
    "Gwenaëlle",
    "Pierre",
    "Nadia",
    "Karim",
    "Anne",
    "Loïc",
]
LAST_NAMES = [
    "Le Goff",
    "Martin",
    "Bernard",
    "Guého",
    "Moreau",
    "Le Roux",
    "Petit",
    "Durand",
    "Jamet",
    "Leroy",
    "Tessier",
    "Gautier",
    "Chauvin",
    "Rousseau",
    "Bouvier",
    "Hervé",
    "Pasquier",
]

ACTION_TITLES: dict[str, list[str]] = {
    "PE": [
        "Créer un multi-accueil de 20 places",
        "Ouvrir une maison d'assistants maternels",
        "Renforcer le relais petite enfance",
        "Accueil d'enfants porteurs de handicap en crèche",
        "Places d'accueil en horaires atypiques",
        "Guichet unique des demandes d'accueil",
    ],
    "EJ": [
        "Structurer l'accueil de loisirs du mercredi",
        "Créer un espace jeunes intercommunal",
        "Soutenir les projets portés par les 16-25 ans",
        "Promeneurs du net sur le territoire",
        "Harmoniser les tarifs des accueils de loisirs",
        "Séjours courts pour les 11-14 ans",
    ],
    "PA": [
        "Lieu d'accueil enfants-parents itinérant",
        "Cafés des parents dans les écoles",
        "Soutien à la parentalité des pères",
        "Réseau d'écoute et d'appui aux parents",
        "Ateliers numériques parents-ados",
    ],
    "AVS": [
        "Agrément d'un centre social intercommunal",
        "Espace de vie sociale en milieu rural",
        "Diagnostic de l'animation de la vie sociale",
        "Soutien au bénévolat associatif",
        "Fête des solidarités annuelle",
    ],
    "ADN": [
        "Maison France Services itinérante",
        "Permanences d'accès aux droits Caf",
        "Conseillers numériques en mairie",
        "Lutte contre le non-recours aux prestations",
        "Ateliers « premiers pas numériques »",
    ],
    "LOG": [
        "Repérage du logement indigne",
        "Accompagnement des jeunes vers le logement",
        "Prévention des expulsions locatives",
        "Logements temporaires pour saisonniers",
    ],
    "HAN": [
        "Pôle ressources handicap",
        "Inclusion des enfants en situation de handicap en ALSH",
        "Formation des animateurs à l'accueil inclusif",
        "Répit pour les aidants familiaux",
    ],
}

INDICATORS = [
    ("Places d'accueil du jeune enfant pour 100 enfants de moins de 3 ans", "places", "PE", 1),
    ("Jeunes inscrits dans les accueils de loisirs", "jeunes", "EJ", 1),
    ("Familles accompagnées par une action de parentalité", "familles", "PA", 1),
    ("Taux de non-recours estimé à la prime d'activité", "%", "ADN", -1),
    ("Habitants touchés par l'animation de la vie sociale", "habitants", "AVS", 1),
    ("Enfants en situation de handicap accueillis en ALSH", "enfants", "HAN", 1),
]

LEADS = [
    "Service enfance-jeunesse",
    "Centre social",
    "CCAS",
    "Relais petite enfance",
    "Service habitat",
    "Direction des solidarités",
    "Association partenaire",
    "",
]
PARTNERS = ["Caf", "Département", "MSA", "Éducation nationale", "Mission locale", "CAF, Communes"]
VIGILANCE = [
    "Recrutement difficile",
    "Financement à confirmer",
    "Foncier non identifié",
    "Retard du partenaire",
    "Besoin d'arbitrage des élus",
]

PHASE_ORDER = list(ConventionPhase)
PHASE_PLAN = [  # one entry per EPCI, in code order; None = no CTG
    ConventionPhase.pilotage,
    ConventionPhase.pilotage,
    ConventionPhase.evaluation,
    ConventionPhase.pilotage,
    ConventionPhase.plan_actions,
    ConventionPhase.diagnostic,
    ConventionPhase.pilotage,
    ConventionPhase.preparation,
    ConventionPhase.pilotage,
    ConventionPhase.echue,
    ConventionPhase.pilotage,
    None,
    ConventionPhase.evaluation,
    ConventionPhase.pilotage,
    ConventionPhase.plan_actions,
    None,
    ConventionPhase.pilotage,
]


# Days since the current phase was reached, and days an earlier phase lasted.
CURRENT_AGE = {
    ConventionPhase.preparation: (10, 90),
    ConventionPhase.diagnostic: (10, 120),
    ConventionPhase.plan_actions: (10, 150),
    ConventionPhase.pilotage: (60, 1100),
    ConventionPhase.evaluation: (30, 240),
    ConventionPhase.echue: (20, 120),
}
PAST_DURATION = {
    ConventionPhase.preparation: (60, 150),
    ConventionPhase.diagnostic: (90, 200),
    ConventionPhase.plan_actions: (60, 150),
    ConventionPhase.pilotage: (1100, 1400),
    ConventionPhase.evaluation: (120, 300),
}


@dataclass(frozen=True)
class DemoReport:
    conventions: int
    actions: int
    indicators: int
    posts: int
    meetings: int
    users: int


def _person(rng: random.Random) -> str:
    return f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"


def _slug(name: str) -> str:
    keep = "".join(ch if ch.isalnum() else "." for ch in name.lower())
    return ".".join(part for part in keep.split(".") if part)


def generate(
    session: Session,
    *,
    seed: int = DEFAULT_SEED,
    today: date | None = None,
    departement: str | None = "44",
    communes_with_own_ctg: int = 2,
) -> DemoReport:
    """Create the demo world on the territories already loaded (EPCI of `departement`,
    or every EPCI when `departement` is None, as for the national benchmark)."""
    rng = random.Random(seed)
    today = today or config.today()
    axes = {a.code: a for a in session.exec(select(Axis).order_by(Axis.position))}
    query = select(Territory).where(Territory.kind == TerritoryKind.epci).order_by(Territory.code)
    if departement:
        query = query.where(Territory.departement == departement)
    epcis = list(session.exec(query))
    rules = {r.year: r for r in session.exec(select(FundingRule))}

    users = _users(session, rng)
    advisors = [u for u in users if u.role is Role.caf_advisor]
    chosen: list[tuple[Territory, ConventionPhase]] = []
    for index, epci in enumerate(epcis):
        phase = PHASE_PLAN[index % len(PHASE_PLAN)]
        if phase is not None:
            chosen.append((epci, phase))
    # A few communes carry a CTG of their own, inside EPCI that have none.
    without = [e for i, e in enumerate(epcis) if PHASE_PLAN[i % len(PHASE_PLAN)] is None]
    for epci in without[:communes_with_own_ctg]:
        commune = session.exec(
            select(Territory)
            .where(Territory.epci_id == epci.id)
            .order_by(Territory.population.desc(), Territory.code)  # type: ignore[attr-defined]
        ).first()
        if commune is not None:
            chosen.append((commune, ConventionPhase.pilotage))

    counts = {"actions": 0, "indicators": 0, "meetings": 0}
    for n, (territory, phase) in enumerate(chosen):
        convention = _convention(session, rng, territory, phase, advisors[n % len(advisors)], today)
        counts["actions"] += _actions(session, rng, convention, axes, today)
        counts["indicators"] += _indicators(session, rng, convention, axes, today)
        _post(session, rng, territory, rules, today, n)
        if phase in {ConventionPhase.pilotage, ConventionPhase.evaluation, ConventionPhase.echue}:
            counts["meetings"] += _meetings(session, rng, convention, users[0], today)
    counts["indicators"] += _catalogue_indicators(session, seed, today)
    _scope_demo_users(session, users, chosen)
    counts["meetings"] += _committees_ahead(session, users, today)
    session.merge(Setting(key="demo_data", value="1"))
    session.merge(Setting(key="demo_reference_date", value=today.isoformat()))
    session.commit()
    return DemoReport(
        conventions=len(chosen),
        actions=counts["actions"],
        indicators=counts["indicators"],
        posts=len(chosen),
        meetings=counts["meetings"],
        users=len(users),
    )


def _users(session: Session, rng: random.Random) -> list[User]:
    specs = [
        (Role.admin, "Administratrice (démo)"),
        (Role.caf_manager, "Direction Caf (démo)"),
        (Role.caf_advisor, f"{_person(rng)} (démo)"),
        (Role.caf_advisor, f"{_person(rng)} (démo)"),
        (Role.caf_advisor, f"{_person(rng)} (démo)"),
        (Role.coop_officer, f"{_person(rng)} (démo)"),
        (Role.committee, f"{_person(rng)} (démo)"),
    ]
    users = []
    for index, (role, name) in enumerate(specs, 1):
        user = User(
            email=f"{role.value}.{index}@demo.ctg-pilotage.invalid",
            name=name,
            role=role,
            is_demo=True,
        )
        session.add(user)
        users.append(user)
    session.flush()
    return users


def _scope_demo_users(
    session: Session, users: list[User], chosen: list[tuple[Territory, ConventionPhase]]
) -> None:
    """The demo officer and committee member work on the first CTG in pilotage."""
    target = next((t for t, p in chosen if p is ConventionPhase.pilotage), chosen[0][0])
    for user in users:
        if user.role in {Role.coop_officer, Role.committee}:
            session.add(UserTerritory(user_id=user.id, territory_id=target.id))  # type: ignore[arg-type]


def _convention(
    session: Session,
    rng: random.Random,
    territory: Territory,
    phase: ConventionPhase,
    advisor: User,
    today: date,
) -> Convention:
    reached = PHASE_ORDER.index(phase)
    # Walk back from today: the current phase began some time ago, each earlier one lasted a
    # plausible while (a signed CTG runs for years before its evaluation).
    dates = [today - timedelta(days=rng.randint(*CURRENT_AGE[phase]))]
    for earlier in reversed(PHASE_ORDER[:reached]):
        dates.insert(0, dates[0] - timedelta(days=rng.randint(*PAST_DURATION[earlier])))
    signed_on = starts_on = ends_on = None
    if reached >= PHASE_ORDER.index(ConventionPhase.pilotage):
        signed_on = dates[PHASE_ORDER.index(ConventionPhase.pilotage)]
        starts_on = date(signed_on.year, 1, 1) if signed_on.month <= 6 else signed_on
        ends_on = date(starts_on.year + rng.choice([4, 4, 5]), starts_on.month, 1) - timedelta(1)
        if phase is ConventionPhase.echue:
            ends_on = dates[-1] - timedelta(days=1)
        elif phase is ConventionPhase.evaluation:
            ends_on = dates[-1] + timedelta(days=rng.randint(90, 300))
        if ends_on <= today and phase is not ConventionPhase.echue:
            ends_on = today + timedelta(days=rng.randint(60, 400))
        starts_on = min(starts_on, ends_on - timedelta(days=365))
    convention = Convention(
        territory_id=territory.id,  # type: ignore[arg-type]
        title=f"CTG {territory.name}",
        phase=phase,
        signed_on=signed_on,
        starts_on=starts_on,
        ends_on=ends_on,
        advisor_id=advisor.id,
    )
    session.add(convention)
    session.flush()
    for step, reached_on in zip(PHASE_ORDER[: reached + 1], dates, strict=True):
        session.add(PhaseChange(convention_id=convention.id, phase=step, reached_on=reached_on))  # type: ignore[arg-type]
    return convention


def _actions(
    session: Session,
    rng: random.Random,
    convention: Convention,
    axes: dict[str, Axis],
    today: date,
) -> int:
    drafting = convention.phase in {
        ConventionPhase.preparation,
        ConventionPhase.diagnostic,
        ConventionPhase.plan_actions,
    }
    count = rng.randint(5, 12) if drafting else rng.randint(12, 40)
    base = convention.starts_on or today
    numbers: dict[str, int] = {}
    for _ in range(count):
        code = rng.choice(list(axes))
        numbers[code] = numbers.get(code, 0) + 1
        starts_on = base + timedelta(days=rng.randint(0, 540))
        due_on = starts_on + timedelta(days=rng.randint(90, 900))
        status = ActionStatus.a_venir if drafting else _status(rng, starts_on, today)
        progress = {
            ActionStatus.a_venir: 0,
            ActionStatus.realisee: 100,
            ActionStatus.abandonnee: rng.choice([0, 10, 20]),
        }.get(status, rng.randrange(10, 95, 5))
        session.add(
            Action(
                convention_id=convention.id,  # type: ignore[arg-type]
                axis_id=axes[code].id,  # type: ignore[arg-type]
                code=f"{code}-{numbers[code]:02d}",
                title=rng.choice(ACTION_TITLES.get(code, ["Action du plan"])),
                objective="Objectif défini en comité de pilotage (donnée fictive).",
                lead=rng.choice(LEADS),
                partners=rng.choice(PARTNERS),
                starts_on=starts_on,
                due_on=due_on,
                budget=Decimal(rng.randrange(2_000, 180_000, 500)),
                status=status,
                progress=progress,
                last_comment=rng.choice(["", "Point d'étape présenté en COTECH."]),
                vigilance=rng.choice(VIGILANCE) if rng.random() < 0.2 else "",
            )
        )
    return count


def _status(rng: random.Random, starts_on: date, today: date) -> ActionStatus:
    if starts_on > today:
        return ActionStatus.a_venir
    return rng.choices(
        [
            ActionStatus.en_cours,
            ActionStatus.realisee,
            ActionStatus.suspendue,
            ActionStatus.abandonnee,
        ],
        weights=[60, 28, 8, 4],
    )[0]


def _indicators(
    session: Session,
    rng: random.Random,
    convention: Convention,
    axes: dict[str, Axis],
    today: date,
) -> int:
    picked = rng.sample(INDICATORS, k=rng.randint(2, 4))
    first_year = today.year - 4
    for name, unit, axis_code, sign in picked:
        baseline = round(rng.uniform(20, 300), 1)
        target = round(baseline * (1 + sign * rng.uniform(0.1, 0.4)), 1)
        indicator = Indicator(
            convention_id=convention.id,  # type: ignore[arg-type]
            axis_id=axes[axis_code].id if axis_code in axes else None,
            name=name,
            unit=unit,
            direction=IndicatorDirection.higher_is_better
            if sign > 0
            else IndicatorDirection.lower_is_better,
            measure=MeasureKind.rate if unit == "%" else MeasureKind.quantity,
            baseline_value=baseline,
            baseline_year=first_year,
            target_value=target,
            target_year=today.year + 2,
            source=rng.choice(["Caf (données fictives)", "Observatoire local (fictif)"]),
        )
        session.add(indicator)
        session.flush()
        value = baseline
        for year in range(first_year, today.year):
            value = round(value + (target - baseline) * rng.uniform(-0.05, 0.35), 1)
            session.add(
                IndicatorValue(
                    indicator_id=indicator.id,  # type: ignore[arg-type]
                    year=year,
                    value=value,
                    source=indicator.source,
                )
            )
    return len(picked)


# The fictitious Caf open-data samples of `data/open_data/` (same shape as the real files).
DEMO_OPEN_DATA = [
    ("TXCOUV", "caf_taux_couverture_epci_fictif.csv"),
    ("TXCOUV", "caf_taux_couverture_departement_fictif.csv"),
    ("PLACES_EAJE", "caf_places_eaje_epci_fictif.csv"),
    ("ALLOCATAIRES", "caf_allocataires_epci_fictif.csv"),
]
SIGNED = (ConventionPhase.pilotage, ConventionPhase.evaluation, ConventionPhase.echue)


def _catalogue_indicators(session: Session, seed: int, today: date) -> int:
    """Catalogue indicators followed by every signed convention, with values over several
    years, and the fictitious open-data samples: territories can be compared.

    Its own random generator, so that the rest of the demo stays as it was.
    """
    rng = random.Random(seed * 1000 + 14)
    load_indicator_catalogue(session)
    entries = {c.code: c for c in session.exec(select(IndicatorCatalogue))}
    for code, name in DEMO_OPEN_DATA:
        entry = entries[code]
        content = (config.DATA_DIR / "open_data" / name).read_bytes()
        parsed = open_data.read_caf_file(content, code, entry.measure)
        moment = datetime.combine(today, datetime.min.time(), tzinfo=UTC)
        write_figures(
            session, entry, parsed, source="Open data Caf (échantillon fictif)", at=moment
        )
    coverage = entries["TXCOUV"]
    published = {
        (f.territory_id, f.year): f.value
        for f in session.exec(
            select(TerritoryFigure).where(TerritoryFigure.catalogue_id == coverage.id)
        )
    }
    signed = session.exec(
        select(Convention, Territory)
        .join(Territory, Territory.id == Convention.territory_id)  # type: ignore[arg-type]
        .where(Convention.phase.in_(SIGNED))  # type: ignore[attr-defined]
        .order_by(Convention.id)
    ).all()
    count = 0
    for convention, territory in signed:
        years = _measured_years(convention, today)
        start = published.get((territory.id, years[0]), round(rng.uniform(45, 72), 1))
        series = []
        for year in years:
            start = published.get((territory.id, year), round(start + rng.uniform(-0.8, 1.9), 1))
            series.append((year, start))
        target = round(series[0][1] + rng.uniform(2, 9), 1)
        _follow(session, convention, coverage, series, target)
        count += 1
        if rng.random() < 0.75:
            first = max(20, round(territory.population * rng.uniform(0.0008, 0.003)))
            families, walk = [], first
            for year in years:
                families.append((year, walk))
                walk = max(0, walk + round(first * rng.uniform(-0.06, 0.22)))
            goal = round(first * rng.uniform(1.2, 1.5))
            _follow(session, convention, entries["FAM_PARENTALITE"], families, goal)
            count += 1
    return count


def _measured_years(convention: Convention, today: date) -> list[int]:
    """The diagnostic year before the start (at least three years back) to last year."""
    assert convention.starts_on is not None and convention.ends_on is not None
    first = min(convention.starts_on.year - 1, today.year - 3)
    last = min(convention.ends_on.year, today.year - 1)
    return list(range(first, max(last, first + 2) + 1))


def _follow(
    session: Session,
    convention: Convention,
    entry: IndicatorCatalogue,
    series: list[tuple[int, float]],
    target: float,
) -> None:
    """The convention follows a catalogue indicator: baseline its first value, target at
    its end, one value a year."""
    assert convention.ends_on is not None
    indicator = Indicator(
        convention_id=convention.id,  # type: ignore[arg-type]
        catalogue_id=entry.id,
        name=entry.name,
        unit=entry.unit,
        measure=entry.measure,
        direction=entry.direction,
        axis_id=session.exec(select(Axis.id).where(Axis.code == entry.axis_code)).first(),
        baseline_value=series[0][1],
        baseline_year=series[0][0],
        target_value=target,
        target_year=max(convention.ends_on.year, series[0][0] + 1),
        source=f"{entry.source} (données fictives)",
    )
    session.add(indicator)
    session.flush()
    for year, value in series:
        session.add(
            IndicatorValue(
                indicator_id=indicator.id,  # type: ignore[arg-type]
                year=year,
                value=value,
                source=indicator.source,
            )
        )


def _post(
    session: Session,
    rng: random.Random,
    territory: Territory,
    rules: dict[int, FundingRule],
    today: date,
    index: int = 0,
) -> None:
    """A post with its holders and a line per year in every state of the cycle.

    The shared `rng` is drawn exactly as before holders and the full cycle existed (so the
    rest of the demo is unchanged); the cycle's own choices come from a generator seeded by
    those draws. Shapes by `index`: one holder, a shared post (0,8 + 0,5 ETP), a change of
    holder on 1 September last year, a post created on 1 September last year, half time.
    """
    officer = _person(rng)
    start = date(today.year - 3, rng.randint(1, 12), 1)
    draws = []
    for year in range(today.year - 2, today.year + 1):
        fte = Decimal(rng.choice(["1.00", "1.00", "0.80", "0.50"]))
        base = Decimal(rng.randrange(42_000, 58_000, 250))
        status = (
            rng.choices(
                [RenewalStatus.a_renouveler, RenewalStatus.demande_recue, RenewalStatus.signee],
                weights=[15, 15, 70],
            )[0]
            if year == today.year
            else RenewalStatus.signee
        )
        draws.append((year, fte, base, status))
    cycle = random.Random(f"{officer}|{territory.code}|{today.isoformat()}")
    holders = _demo_holders(cycle, officer, start, draws[0][1], today, index)
    post = CooperationPost(
        territory_id=territory.id,  # type: ignore[arg-type]
        officer_name=", ".join(h.name for h in holders if h.ends_on is None),
        officer_email=next(h.email for h in holders if h.ends_on is None),
        started_on=min(h.starts_on for h in holders),
    )
    session.add(post)
    session.flush()
    for holder in holders:
        holder.post_id = post.id  # type: ignore[assignment]
        session.add(holder)
    next_year = today.year + 1
    if next_year in rules and today >= rules[next_year].renewal_opens_on:
        draws.append((next_year, Decimal(1), draws[-1][2], RenewalStatus.a_renouveler))
    for year, _fte, base, status in draws:
        rule = rules.get(year)
        fte, months = funding_rules.coverage(holders, year)
        if rule is None or not months:
            continue
        session.add(
            _demo_line(cycle, post.id, year, fte, months, base, status, rule, today, index)  # type: ignore[arg-type]
        )


def _demo_holders(
    cycle: random.Random, officer: str, start: date, fte: Decimal, today: date, index: int
) -> list[PostHolder]:
    def holder(name: str, fte: Decimal, starts_on: date, ends_on: date | None = None):  # type: ignore[no-untyped-def]
        return PostHolder(
            name=f"{name} (fictif)",
            email=f"{_slug(name)}@exemple.invalid",
            fte=fte,
            starts_on=starts_on,
            ends_on=ends_on,
        )

    september = date(today.year - 1, 9, 1)
    shape = index % 6
    if shape == 1:
        return [
            holder(officer, Decimal("0.80"), start),
            holder(_person(cycle), Decimal("0.50"), start),
        ]
    if shape == 3:
        return [
            holder(officer, Decimal("1.00"), start, september - timedelta(days=1)),
            holder(_person(cycle), Decimal("1.00"), september),
        ]
    if shape == 4:
        return [holder(officer, Decimal("1.00"), september)]
    if shape == 5:
        return [holder(officer, Decimal("0.50"), start)]
    return [holder(officer, fte if shape == 2 else Decimal("1.00"), start)]


def _demo_line(
    cycle: random.Random,
    post_id: int,
    year: int,
    fte: Decimal,
    months: int,
    base: Decimal,
    status: RenewalStatus,
    rule: FundingRule,
    today: date,
    index: int,
) -> PostFunding:
    """One yearly line, as far along the cycle as its year and `today` allow."""
    cost = (base * fte * months / 12).quantize(Decimal("1"))
    line = PostFunding(
        post_id=post_id,
        year=year,
        fte=fte,
        months=months,
        renewal_due_on=rule.renewal_due_on,
        renewal_status=RenewalStatus.a_renouveler,
    )
    if year > today.year:  # next year: the renewal has just opened
        status = [RenewalStatus.a_renouveler, RenewalStatus.demande_recue][index % 3 == 0]
        status = RenewalStatus.signee if index % 5 == 0 else status
    undeclared = year >= today.year and status is RenewalStatus.a_renouveler and index % 2 == 0
    if not undeclared:
        line.eligible_cost = cost
        line.entitlement = funding_rules.entitlement(fte, cost, rule, months)
    received = rule.renewal_opens_on + timedelta(days=cycle.randint(5, 70))
    if status is RenewalStatus.a_renouveler or received > today:
        return line
    line.renewal_status, line.renewal_received_on = RenewalStatus.demande_recue, received
    signed = received + timedelta(days=cycle.randint(7, 40))
    if status is RenewalStatus.demande_recue or signed > today:
        return line
    line.renewal_status, line.renewal_signed_on = RenewalStatus.signee, signed
    paid = max(signed, date(year, 1, 1)) + timedelta(days=cycle.randint(15, 60))
    if line.entitlement <= 0 or paid > today or (year == today.year and index % 4 == 1):
        return line  # signed, acompte still to pay
    line.advance_amount = funding_rules.proposed_advance(line.entitlement, rule)
    line.advance_paid_on = paid
    justified = date(year + 1, 1, 1) + timedelta(days=cycle.randint(20, 120))
    if justified > today or (year == today.year - 1 and index % 4 == 2):
        return line  # awaiting the justification of the actual cost
    # Most posts spend about what they declared; every fourth spent much less (a sum to recover).
    spent_less = index % 4 == 3 or index % 8 == 1
    factor = Decimal("0.60") if spent_less else Decimal(cycle.randint(95, 105)) / 100
    line.actual_cost = (cost * factor).quantize(Decimal("1"))
    line.justified_on = justified
    line.final_entitlement = funding_rules.entitlement(fte, line.actual_cost, rule, months)
    line.balance_amount = line.final_entitlement - line.advance_amount
    settled = justified + timedelta(days=cycle.randint(15, 45))
    if settled > today or (year == today.year - 1 and index % 4 == 1):
        return line  # solde computed, still to pay or to recover
    line.balance_paid_on = settled
    return line


def _meetings(
    session: Session, rng: random.Random, convention: Convention, author: User, today: date
) -> int:
    actions = list(
        session.exec(
            select(Action).where(Action.convention_id == convention.id).order_by(Action.code)
        )
    )
    count = 0
    numbers: dict[MeetingKind, int] = {}
    for months_ago, kind in (
        (10, MeetingKind.copil),
        (5, MeetingKind.cotech),
        (2, MeetingKind.copil),
    ):
        held_on = today - timedelta(days=30 * months_ago + rng.randint(0, 10))
        numbers[kind] = numbers.get(kind, 0) + 1
        meeting = Meeting(
            convention_id=convention.id,  # type: ignore[arg-type]
            kind=kind,
            number=numbers[kind],
            held_on=held_on,
            place=rng.choice(["Salle du conseil", "Siège de l'EPCI", "Centre social"]),
            attendees=[_person(rng) for _ in range(rng.randint(4, 9))],
            status=MeetingStatus.closed,
            minutes="Compte rendu fictif de démonstration.",
            closed_at=datetime.combine(held_on, datetime.min.time(), tzinfo=UTC),
        )
        session.add(meeting)
        session.flush()
        reviewed = rng.sample(actions, k=min(3, len(actions)))
        for position, action in enumerate(reviewed):
            session.add(
                AgendaItem(
                    meeting_id=meeting.id,
                    position=position,
                    action_id=action.id,  # type: ignore[arg-type]
                    title=action.title,
                    reason="manual",
                )
            )
        session.add(
            Decision(
                meeting_id=meeting.id,  # type: ignore[arg-type]
                action_id=reviewed[0].id if reviewed else None,
                text=rng.choice(
                    [
                        "Valider le calendrier proposé.",
                        "Relancer le partenaire avant le prochain comité.",
                        "Prioriser l'axe petite enfance en année 2.",
                    ]
                ),
                created_at=datetime.combine(held_on, datetime.min.time(), tzinfo=UTC),
                created_by_id=author.id,
            )
        )
        for action in actions:
            session.add(
                PlanSnapshot(
                    meeting_id=meeting.id,
                    action_id=action.id,
                    status=action.status,  # type: ignore[arg-type]
                    progress=max(0, action.progress - 10 * months_ago // 2),
                    vigilance=action.vigilance,
                    due_on=action.due_on,
                    captured_at=datetime.combine(held_on, datetime.min.time(), tzinfo=UTC),
                )
            )
        session.add(
            ChangeLog(
                at=datetime.combine(held_on, datetime.min.time(), tzinfo=UTC),
                user_id=author.id,
                user_name=author.name,
                entity="meeting",
                entity_id=meeting.id,  # type: ignore[arg-type]
                convention_id=convention.id,
                operation="create",
                changes={"kind": [None, kind.value]},
                meeting_id=meeting.id,
            )
        )
        count += 1
    return count


# --- committees ahead: the presenter can be opened at once ----------------------------------

UPCOMING = ((0, MeetingKind.copil), (7, MeetingKind.cotech), (14, MeetingKind.copil))


def _committees_ahead(session: Session, users: list[User], today: date) -> int:
    """For every convention with past committees, the history since the last one (so that
    « ce qui a changé » has its who and when); for the first three in pilotage — the demo
    officer's first — an upcoming meeting (today, in 7 days, in 14 days) with its agenda
    built from the plan, as `create_meeting` would."""
    session.flush()
    conventions = list(
        session.exec(
            select(Convention)
            .where(Convention.id.in_(select(Meeting.convention_id)))  # type: ignore[union-attr]
            .order_by(Convention.id)
        )
    )
    for convention in conventions:
        _history_since_last_committee(session, convention, users)
    officer = next(u for u in users if u.role is Role.coop_officer)
    scope = set(
        session.exec(select(UserTerritory.territory_id).where(UserTerritory.user_id == officer.id))
    )
    running = [c for c in conventions if c.phase is ConventionPhase.pilotage]
    running.sort(key=lambda c: (c.territory_id not in scope, c.id))
    for (days, kind), convention in zip(UPCOMING, running, strict=False):
        _meeting_ahead(session, convention, kind, today + timedelta(days=days), today)
    return min(len(UPCOMING), len(running))


def _last_closed(session: Session, convention: Convention) -> Meeting | None:
    return session.exec(
        select(Meeting)
        .where(Meeting.convention_id == convention.id, Meeting.status == MeetingStatus.closed)
        .order_by(Meeting.held_on.desc())  # type: ignore[attr-defined]
    ).first()


def _history_since_last_committee(
    session: Session, convention: Convention, users: list[User]
) -> None:
    """One action in four moved since the last committee, by its officer or advisor (an
    entry in the history); the others stand as that committee froze them."""
    last = _last_closed(session, convention)
    if last is None or last.closed_at is None:
        return
    author = next(
        (u for u in users if u.id == convention.advisor_id),
        next(u for u in users if u.role is Role.caf_advisor),
    )
    snapshots = {
        s.action_id: s
        for s in session.exec(select(PlanSnapshot).where(PlanSnapshot.meeting_id == last.id))
    }
    actions = session.exec(
        select(Action).where(Action.convention_id == convention.id).order_by(Action.code)
    ).all()
    for index, action in enumerate(actions):
        snapshot = snapshots.get(action.id)  # type: ignore[arg-type]
        if snapshot is None:
            continue
        if index % 4 != 1 or snapshot.progress == action.progress:
            snapshot.progress = action.progress
            continue
        at = datetime.combine(last.held_on + timedelta(days=10 + index % 20), datetime.min.time())
        session.add(
            ChangeLog(
                at=at.replace(hour=10, tzinfo=UTC),
                user_id=author.id,
                user_name=author.name,
                entity="action",
                entity_id=action.id,  # type: ignore[arg-type]
                convention_id=convention.id,
                operation="update",
                changes={
                    "progress": [snapshot.progress, action.progress],
                    "last_comment": ["", "Point d'étape transmis par le pilote (donnée fictive)."],
                },
            )
        )


def _meeting_ahead(
    session: Session, convention: Convention, kind: MeetingKind, held_on: date, today: date
) -> None:
    last = _last_closed(session, convention)
    number = session.exec(
        select(sa.func.count())
        .select_from(Meeting)
        .where(Meeting.convention_id == convention.id, Meeting.kind == kind)
    ).one()
    meeting = Meeting(
        convention_id=convention.id,  # type: ignore[arg-type]
        kind=kind,
        number=number + 1,
        held_on=held_on,
        place="Salle du conseil",
        attendees=list(last.attendees) if last else [],
        status=MeetingStatus.planned,
        planned_minutes=MEETING_MINUTES[kind],
    )
    session.add(meeting)
    session.flush()
    reasons = agenda_reasons(session, meeting, today)
    actions = {
        a.id: a for a in session.exec(select(Action).where(Action.convention_id == convention.id))
    }
    order = agenda_order(actions, reasons)  # type: ignore[arg-type]
    for position, action_id in enumerate(order):
        session.add(
            AgendaItem(
                meeting_id=meeting.id,  # type: ignore[arg-type]
                position=position,
                action_id=action_id,
                title=actions[action_id].title,
                reason=",".join(reasons[action_id]),
                planned_minutes=point_minutes(reasons[action_id]),
            )
        )
    session.add(
        AgendaItem(
            meeting_id=meeting.id,  # type: ignore[arg-type]
            position=len(order),
            title="Questions diverses",
            reason="manual",
            planned_minutes=FREE_POINT_MINUTES,
        )
    )
