"""Verbs of the funding of cooperation-officer posts: the yearly rules, posts and their
holders, and each step of a year's cycle (declaration, renewal, acompte, justification,
solde).

Each is a `@command` (see `common.command`) with its input model beside it. The Caf decides
funding (admin and caf_manager); only the admin writes the yearly rules. Each step checks its
dates and amounts with `funding.rules` (French refusals, nothing changed), is version-checked
and written to the history, and commits once.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field, model_validator
from pydantic_core import PydanticCustomError
from sqlmodel import Session, select

from ctg_core.common import config, formats
from ctg_core.common.auth import CurrentUser
from ctg_core.common.command import command, unique_rule
from ctg_core.common.errors import NotFound, ValidationFailed, require
from ctg_core.common.history import diff, json_value, log_change, shorten, versioned_update
from ctg_core.common.models import (
    CooperationPost,
    FundingRule,
    PostFunding,
    PostHolder,
    RenewalStatus,
    Territory,
)
from ctg_core.common.validation import (
    SENTENCE,
    Day,
    Id,
    Input,
    Money,
    RequiredText,
    ShortText,
    Title,
    Year,
    french_number,
    validated,
)
from ctg_core.funding import rules

unique_rule(
    ("post_fundings.post_id, post_fundings.year", "post_fundings_post_id_year_key"),
    "year",
    "Ce poste a déjà une ligne de financement pour cette année.",
)
unique_rule(
    ("funding_rules.year", "funding_rules_pkey"),
    "year",
    "Une règle de financement existe déjà pour cette année.",
)


# --- field types -----------------------------------------------------------------------------


def _plausible_cost(value: Decimal) -> Decimal:
    if value > rules.MAX_POST_COST:
        raise PydanticCustomError(
            SENTENCE,
            f"Le coût d'un poste ne peut pas dépasser {formats.euros(rules.MAX_POST_COST)} "
            "par an : vérifiez le montant.",
        )
    return value


PostCost = Annotated[Money, AfterValidator(_plausible_cost)]
# ETP of a yearly line (a shared post can exceed 1) and of one holder.
LineFte = Annotated[
    Decimal, BeforeValidator(french_number), Field(gt=0, le=Decimal("3"), decimal_places=2)
]
HolderFte = Annotated[
    Decimal, BeforeValidator(french_number), Field(gt=0, le=Decimal("1"), decimal_places=2)
]
Months = Annotated[int, BeforeValidator(french_number), Field(ge=1, le=12)]
# A rate or a share typed as a percentage: « 50 », « 50 % », « 62,5 ».
Percent = Annotated[Decimal, BeforeValidator(french_number), Field(gt=0, le=100, decimal_places=2)]
Ceiling = Annotated[Money, Field(gt=0), AfterValidator(_plausible_cost)]


def _fraction(percent: Decimal) -> Decimal:
    return (percent / 100).quantize(Decimal("0.0001"))


# --- shared lookups --------------------------------------------------------------------------


def _line(session: Session, funding_id: int) -> PostFunding:
    line = session.get(PostFunding, funding_id)
    if line is None:
        raise NotFound("financement", funding_id)
    return line


def _post(session: Session, post_id: int) -> CooperationPost:
    post = session.get(CooperationPost, post_id)
    if post is None:
        raise NotFound("poste", post_id)
    return post


def _rule(session: Session, year: int, field: str = "year") -> FundingRule:
    rule = session.get(FundingRule, year)
    if rule is None:
        raise ValidationFailed(
            {
                field: f"Aucune règle de financement n'est définie pour {year} : "
                "l'administrateur doit d'abord la saisir."
            }
        )
    return rule


def _holders(session: Session, post_id: int) -> list[PostHolder]:
    return list(
        session.exec(
            select(PostHolder).where(PostHolder.post_id == post_id).order_by(PostHolder.id)  # type: ignore[arg-type]
        )
    )


def _update_line(
    session: Session, user: CurrentUser, line: PostFunding, seen_version: int, values: dict
) -> PostFunding:
    before = {k: getattr(line, k) for k in values}
    changes = diff(before, values)
    versioned_update(
        session, line, seen_version, values, user=user, entity="funding", convention_id=None
    )
    log_change(session, user, "funding", line.id, "update", changes)  # type: ignore[arg-type]
    return line


# --- yearly rules (admin) --------------------------------------------------------------------


class RuleInput(Input):
    """A year's rule as the admin types it: rate and acompte share in percent."""

    rate: Percent
    ceiling_per_fte: Ceiling
    advance_share: Percent
    renewal_opens_on: Day
    renewal_due_on: Day
    notes: ShortText = ""


class RuleChange(Input):
    """The fields of a rule the admin changed (None: unchanged)."""

    rate: Percent | None = None
    ceiling_per_fte: Ceiling | None = None
    advance_share: Percent | None = None
    renewal_opens_on: Day | None = None
    renewal_due_on: Day | None = None
    notes: ShortText | None = None


class RuleCorrection(RuleChange):
    """A change to a rule already used by lines: it says why (circulaire, erratum…)."""

    reason: RequiredText


def _rule_values(change: RuleInput | RuleChange) -> dict[str, Any]:
    values = change.model_dump(exclude_unset=True, exclude={"reason"})
    values = {k: v for k, v in values.items() if v is not None}
    for name in ("rate", "advance_share"):
        if name in values:
            values[name] = _fraction(values[name])
    if "ceiling_per_fte" in values:
        values["ceiling_per_fte"] = rules.to_cent(values["ceiling_per_fte"])
    return values


def _check_rule_dates(year: int, opens_on: date, due_on: date) -> None:
    earliest, closes = date(year - 1, 1, 1), date(year, 12, 31)
    if not earliest <= opens_on <= closes:
        raise ValidationFailed(
            {
                "renewal_opens_on": f"L'ouverture du renouvellement {year} se situe entre le "
                f"{formats.day(earliest)} et le {formats.day(closes)}."
            }
        )
    if not opens_on <= due_on <= closes:
        raise ValidationFailed(
            {
                "renewal_due_on": f"L'échéance du renouvellement {year} se situe entre son "
                f"ouverture ({formats.day(opens_on)}) et le {formats.day(closes)}."
            }
        )


def _lines_of_year(session: Session, year: int) -> list[PostFunding]:
    return list(
        session.exec(
            select(PostFunding).where(PostFunding.year == year).order_by(PostFunding.id)  # type: ignore[arg-type]
        )
    )


@command
def create_rule(
    session: Session, user: CurrentUser, year: int, rule: RuleInput | Mapping[str, Any]
) -> FundingRule:
    """Add the rule of a year (rate, ceiling per ETP, acompte share, renewal window)."""
    require(user.is_admin, "saisir les règles de financement")
    year = _validated_year(year)
    rule = validated(RuleInput, rule)
    if session.get(FundingRule, year) is not None:
        raise ValidationFailed({"year": "Une règle de financement existe déjà pour cette année."})
    _check_rule_dates(year, rule.renewal_opens_on, rule.renewal_due_on)
    row = FundingRule(year=year, **_rule_values(rule))
    session.add(row)
    session.flush()
    log_change(
        session,
        user,
        "funding_rule",
        year,
        "create",
        {k: [None, json_value(v)] for k, v in _rule_values(rule).items()},
    )
    return row


class _YearInput(Input):
    year: Year


def _validated_year(year: Any) -> int:
    return validated(_YearInput, {"year": year}).year


@command
def update_rule(
    session: Session,
    user: CurrentUser,
    year: int,
    seen_version: int,
    change: RuleChange | Mapping[str, Any],
) -> FundingRule:
    """Change a rule no line uses yet (next year's, typically); a rule in use is changed
    only by `correct_rule`, which says which lines it recomputes."""
    require(user.is_admin, "modifier les règles de financement")
    rule = _rule(session, year)
    change = validated(RuleChange, change)
    used = len(_lines_of_year(session, year))
    if used:
        raise ValidationFailed(
            {
                "year": f"La règle {year} s'applique déjà à {used} ligne"
                f"{'s' if used > 1 else ''} de financement : passez par une correction "
                "motivée, qui recalcule ces lignes et l'inscrit à l'historique."
            }
        )
    changes = _apply_rule_change(session, user, rule, seen_version, _rule_values(change))
    log_change(session, user, "funding_rule", year, "update", changes)
    return rule


def _apply_rule_change(
    session: Session,
    user: CurrentUser,
    rule: FundingRule,
    seen_version: int,
    values: dict[str, Any],
) -> dict[str, list[Any]]:
    """Check and write the new values of a rule (version-checked); returns the changes."""
    opens = values.get("renewal_opens_on", rule.renewal_opens_on)
    due = values.get("renewal_due_on", rule.renewal_due_on)
    _check_rule_dates(rule.year, opens, due)
    changes = diff({k: getattr(rule, k) for k in values}, values)
    versioned_update(
        session, rule, seen_version, values, user=user, entity="funding_rule", convention_id=None
    )
    return changes


@command
def correct_rule(
    session: Session,
    user: CurrentUser,
    year: int,
    seen_version: int,
    correction: RuleCorrection | Mapping[str, Any],
) -> list[int]:
    """Correct a rule already used by lines: every line of the year whose solde is not yet
    settled is recomputed (droit, and final droit and solde once justified; due date of the
    renewal); a settled line keeps its figures. The rule's history entry gives the reason
    and lists both; each recomputed line gets its own entry. Returns the recomputed ids."""
    require(user.is_admin, "corriger les règles de financement")
    rule = _rule(session, year)
    correction = validated(RuleCorrection, correction)
    old_due = rule.renewal_due_on
    changes = _apply_rule_change(session, user, rule, seen_version, _rule_values(correction))
    lines = _lines_of_year(session, year)
    names = _territory_names(session, [line.post_id for line in lines])
    recomputed: dict[str, Any] = {}
    kept: dict[str, Any] = {}
    for line in lines:
        territory = names.get(line.post_id, "")
        if line.balance_paid_on is not None:
            kept[str(line.id)] = {"territory": territory, "why": "solde réglé"}
            continue
        line_values = _recomputed(line, rule, old_due)
        line_changes = diff({k: getattr(line, k) for k in line_values}, line_values)
        recomputed[str(line.id)] = {"territory": territory, **line_changes}
        if not line_changes:
            continue
        versioned_update(
            session,
            line,
            line.version,
            line_values,
            user=user,
            entity="funding",
            convention_id=None,
        )
        log_change(
            session,
            user,
            "funding",
            line.id,  # type: ignore[arg-type]
            "correct",
            {**line_changes, "reason": [None, f"Règle {year} corrigée : {correction.reason}"]},
        )
    log_change(
        session,
        user,
        "funding_rule",
        year,
        "correct",
        {
            **changes,
            "reason": [None, correction.reason],
            "recomputed": recomputed,
            "kept": kept,
        },
    )
    return [int(k) for k in recomputed]


def _recomputed(line: PostFunding, rule: FundingRule, old_due: date) -> dict[str, Any]:
    values: dict[str, Any] = {
        "entitlement": rules.entitlement(line.fte, line.eligible_cost, rule, line.months)
    }
    if line.renewal_due_on == old_due:
        values["renewal_due_on"] = rule.renewal_due_on
    if line.justified_on is not None and line.actual_cost is not None:
        final = rules.entitlement(line.fte, line.actual_cost, rule, line.months)
        values["final_entitlement"] = final
        values["balance_amount"] = final - (line.advance_amount or Decimal(0))
    return values


def _territory_names(session: Session, post_ids: list[int]) -> dict[int, str]:
    if not post_ids:
        return {}
    rows = session.exec(
        select(CooperationPost.id, Territory.name)
        .join(Territory, Territory.id == CooperationPost.territory_id)
        .where(CooperationPost.id.in_(post_ids))  # type: ignore[union-attr]
    ).all()
    return dict(rows)  # type: ignore[arg-type]


# --- posts and their holders -----------------------------------------------------------------


def _check_period(starts_on: date | None, ends_on: date | None) -> None:
    if starts_on is not None and ends_on is not None and ends_on < starts_on:
        raise ValueError("ends_on|La fin ne peut pas précéder le début.")


def _plausible_email(value: str) -> str:
    if value and ("@" not in value or " " in value):
        raise PydanticCustomError(SENTENCE, "L'adresse e-mail n'est pas valide (nom@domaine.fr).")
    return value


Email = Annotated[ShortText, AfterValidator(_plausible_email)]


class HolderInput(Input):
    """A person taking (part of) the post: name, e-mail, ETP, start and end dates."""

    name: Title
    email: Email = ""
    fte: HolderFte
    starts_on: Day
    ends_on: Day | None = None

    @model_validator(mode="after")
    def _period(self) -> HolderInput:
        _check_period(self.starts_on, self.ends_on)
        return self


class HolderChange(Input):
    """The fields of a holder that changed (a departure: `ends_on`)."""

    name: Title | None = None
    email: Email | None = None
    fte: HolderFte | None = None
    starts_on: Day | None = None
    ends_on: Day | None = None


class PostInput(HolderInput):
    """A new post for a territory, with its first holder."""

    territory_id: Id


@command
def create_post(
    session: Session,
    user: CurrentUser,
    post: PostInput | Mapping[str, Any],
    *,
    today: date | None = None,
) -> CooperationPost:
    """Create the cooperation post of a territory with its first holder; refused while the
    territory has a post still running."""
    require(user.decides_funding, "créer un poste de chargé de coopération")
    post = validated(PostInput, post)
    today = today or config.today()
    territory = session.get(Territory, post.territory_id)
    if territory is None:
        raise NotFound("territoire", post.territory_id)
    running = session.exec(
        select(CooperationPost).where(
            CooperationPost.territory_id == territory.id,
            (CooperationPost.ended_on.is_(None)) | (CooperationPost.ended_on >= today),  # type: ignore[union-attr,operator]
        )
    ).first()
    if running is not None:
        raise ValidationFailed(
            {
                "territory_id": f"{territory.name} a déjà un poste de chargé de coopération : "
                "ajoutez-y un titulaire plutôt qu'un second poste."
            }
        )
    row = CooperationPost(
        territory_id=territory.id,  # type: ignore[arg-type]
        officer_name=post.name,
        officer_email=post.email,
        started_on=post.starts_on,
        ended_on=post.ends_on,
    )
    session.add(row)
    session.flush()
    log_change(
        session,
        user,
        "post",
        row.id,
        "create",
        {"territory_id": [None, territory.id]},  # type: ignore[arg-type]
    )
    holder = PostHolder(post_id=row.id, **post.model_dump(exclude={"territory_id"}))  # type: ignore[arg-type]
    session.add(holder)
    session.flush()
    _log_holder(session, user, holder)
    return row


def _log_holder(session: Session, user: CurrentUser, holder: PostHolder) -> None:
    fields = ("name", "email", "fte", "starts_on", "ends_on")
    log_change(
        session,
        user,
        "post_holder",
        holder.id,  # type: ignore[arg-type]
        "create",
        {
            "post_id": [None, holder.post_id],
            **{f: [None, json_value(getattr(holder, f))] for f in fields},
        },
    )


def _summary(holders: list[PostHolder], today: date) -> dict[str, Any]:
    """What the post shows of its holders (the overview reads `officer_name`): the holders
    still in post, their first start, and the last end once all have left."""
    current = [h for h in holders if h.ends_on is None or h.ends_on >= today] or holders[-1:]
    ends = [h.ends_on for h in holders]
    return {
        "officer_name": shorten(", ".join(h.name for h in current), 200),
        "officer_email": current[0].email if current else "",
        "started_on": min((h.starts_on for h in holders), default=None),
        "ended_on": None if not holders or None in ends else max(e for e in ends if e),
    }


@command
def add_holder(
    session: Session,
    user: CurrentUser,
    post_id: int,
    seen_version: int,
    holder: HolderInput | Mapping[str, Any],
    *,
    today: date | None = None,
) -> PostHolder:
    """Add a person to a post (a shared post, or a successor)."""
    require(user.decides_funding, "modifier les titulaires de ce poste")
    post = _post(session, post_id)
    holder = validated(HolderInput, holder)
    row = PostHolder(post_id=post_id, **holder.model_dump())
    session.add(row)
    session.flush()
    versioned_update(
        session,
        post,
        seen_version,
        _summary(_holders(session, post_id), today or config.today()),
        user=user,
        entity="post",
        convention_id=None,
    )
    _log_holder(session, user, row)
    return row


@command
def update_holder(
    session: Session,
    user: CurrentUser,
    holder_id: int,
    seen_version: int,
    change: HolderChange | Mapping[str, Any],
    *,
    today: date | None = None,
) -> PostHolder:
    """Change a holder's ETP, dates or contact (a departure sets the end date)."""
    require(user.decides_funding, "modifier les titulaires de ce poste")
    holder = session.get(PostHolder, holder_id)
    if holder is None:
        raise NotFound("titulaire", holder_id)
    change = validated(HolderChange, change)
    values = change.model_dump(exclude_unset=True)
    if "name" in values and values["name"] is None:
        del values["name"]
    if "fte" in values and values["fte"] is None:
        del values["fte"]
    if "starts_on" in values and values["starts_on"] is None:
        del values["starts_on"]
    try:
        _check_period(
            values.get("starts_on", holder.starts_on), values.get("ends_on", holder.ends_on)
        )
    except ValueError as error:
        field, _, message = str(error).partition("|")
        raise ValidationFailed({field: message}) from None
    before = {k: getattr(holder, k) for k in values}
    changes = diff(before, values)
    if not changes:
        return holder
    versioned_update(
        session, holder, seen_version, values, user=user, entity="post_holder", convention_id=None
    )
    log_change(session, user, "post_holder", holder_id, "update", changes)
    post = _post(session, holder.post_id)
    for name, value in _summary(_holders(session, post.id), today or config.today()).items():  # type: ignore[arg-type]
        setattr(post, name, value)  # bookkeeping: what the post shows of its holders
    session.add(post)
    return holder


# --- a year's line ---------------------------------------------------------------------------


class LineOpening(Input):
    """Open a post's line for a year; ETP and months default to what its holders cover."""

    year: Year
    fte: LineFte | None = None
    months: Months | None = None


@command
def open_line(
    session: Session,
    user: CurrentUser,
    post_id: int,
    opening: LineOpening | Mapping[str, Any],
    *,
    today: date | None = None,
) -> PostFunding:
    """Open the funding line of a post for a year (at most next year), under that year's
    rule; the renewal is « à renouveler », due on the rule's date."""
    require(user.decides_funding, "ouvrir le financement de ce poste")
    post = _post(session, post_id)
    opening = validated(LineOpening, opening)
    today = today or config.today()
    year = opening.year
    if year > today.year + 1:
        raise ValidationFailed(
            {
                "year": "On ouvre au plus tard le financement de l'année prochaine "
                f"({today.year + 1})."
            }
        )
    rule = _rule(session, year)
    fte, months = rules.coverage(_holders(session, post_id), year)
    if not months:
        raise ValidationFailed(
            {"year": f"Aucun titulaire n'occupe ce poste en {year} : ajoutez d'abord un titulaire."}
        )
    existing = session.exec(
        select(PostFunding.id).where(PostFunding.post_id == post_id, PostFunding.year == year)
    ).first()
    if existing is not None:
        raise ValidationFailed(
            {"year": "Ce poste a déjà une ligne de financement pour cette année."}
        )
    line = PostFunding(
        post_id=post.id,  # type: ignore[arg-type]
        year=year,
        fte=opening.fte or fte,
        months=opening.months or months,
        eligible_cost=Decimal(0),
        entitlement=Decimal(0),
        renewal_status=RenewalStatus.a_renouveler,
        renewal_due_on=rule.renewal_due_on,
    )
    session.add(line)
    session.flush()
    log_change(
        session,
        user,
        "funding",
        line.id,  # type: ignore[arg-type]
        "create",
        {
            "year": [None, str(year)],
            "fte": [None, json_value(line.fte)],
            "months": [None, line.months],
            "renewal_due_on": [None, json_value(line.renewal_due_on)],
        },
    )
    return line


class FundingDeclaration(Input):
    """What the territory declares for a year: ETP, months covered and eligible cost (the
    fields changed; None keeps the stored value)."""

    fte: LineFte | None = None
    months: Months | None = None
    eligible_cost: PostCost | None = None


@command
def declare_funding(
    session: Session,
    user: CurrentUser,
    funding_id: int,
    seen_version: int,
    declaration: FundingDeclaration | Mapping[str, Any],
) -> PostFunding:
    """Record ETP, months and eligible cost for the year and recompute the droit from that
    year's rule; refused once the acompte is paid."""
    require(user.decides_funding, "modifier le financement de ce poste")
    line = _line(session, funding_id)
    declaration = validated(FundingDeclaration, declaration)
    rule = _rule(session, line.year, "eligible_cost")
    rules.check_declaration(line)
    fte = declaration.fte or line.fte
    months = declaration.months or line.months
    cost = (
        declaration.eligible_cost if declaration.eligible_cost is not None else line.eligible_cost
    )
    values = {
        "fte": fte,
        "months": months,
        "eligible_cost": cost,
        "entitlement": rules.entitlement(fte, cost, rule, months),
    }
    if not diff({k: getattr(line, k) for k in values}, values):
        return line
    return _update_line(session, user, line, seen_version, values)


class RenewalStep(Input):
    status: RenewalStatus
    on: Day


@command
def record_renewal(
    session: Session,
    user: CurrentUser,
    funding_id: int,
    seen_version: int,
    step: RenewalStep | Mapping[str, Any],
    *,
    today: date | None = None,
) -> PostFunding:
    """Move the annual renewal one step on (demande reçue, then signée) with its date."""
    require(user.decides_funding, "enregistrer le renouvellement de ce poste")
    line = _line(session, funding_id)
    step = validated(RenewalStep, step)
    rule = _rule(session, line.year, "status")
    rules.check_renewal_step(line, rule, step.status, step.on, today or config.today())
    date_field = {
        RenewalStatus.demande_recue: "renewal_received_on",
        RenewalStatus.signee: "renewal_signed_on",
    }[step.status]
    return _update_line(
        session, user, line, seen_version, {"renewal_status": step.status, date_field: step.on}
    )


class AdvancePayment(Input):
    amount: Annotated[Money, Field(gt=0)]
    paid_on: Day


@command
def pay_advance(
    session: Session,
    user: CurrentUser,
    funding_id: int,
    seen_version: int,
    payment: AdvancePayment | Mapping[str, Any],
    *,
    today: date | None = None,
) -> PostFunding:
    """Record the acompte: after signature, not before its date, never above the droit."""
    require(user.decides_funding, "verser l'acompte de ce poste")
    line = _line(session, funding_id)
    payment = validated(AdvancePayment, payment)
    rules.check_advance(line, payment.amount, payment.paid_on, today or config.today())
    return _update_line(
        session,
        user,
        line,
        seen_version,
        {"advance_amount": payment.amount, "advance_paid_on": payment.paid_on},
    )


class Justification(Input):
    """The actual cost of the year, as justified by the territory, and the day received."""

    actual_cost: PostCost
    justified_on: Day


@command
def record_justification(
    session: Session,
    user: CurrentUser,
    funding_id: int,
    seen_version: int,
    justification: Justification | Mapping[str, Any],
    *,
    today: date | None = None,
) -> PostFunding:
    """Record the justified actual cost: final droit (same rule, ETP and months) and
    solde = final droit − acompte, negative when the Caf has a sum to recover."""
    require(user.decides_funding, "enregistrer la justification de ce poste")
    line = _line(session, funding_id)
    justification = validated(Justification, justification)
    rule = _rule(session, line.year, "actual_cost")
    rules.check_justification(
        line, justification.actual_cost, justification.justified_on, today or config.today()
    )
    final = rules.entitlement(line.fte, justification.actual_cost, rule, line.months)
    return _update_line(
        session,
        user,
        line,
        seen_version,
        {
            "actual_cost": justification.actual_cost,
            "justified_on": justification.justified_on,
            "final_entitlement": final,
            "balance_amount": final - (line.advance_amount or Decimal(0)),
        },
    )


class BalanceSettlement(Input):
    """The day the solde was paid to the territory (or the sum to recover was received)."""

    paid_on: Day


@command
def settle_balance(
    session: Session,
    user: CurrentUser,
    funding_id: int,
    seen_version: int,
    settlement: BalanceSettlement | Mapping[str, Any],
    *,
    today: date | None = None,
) -> PostFunding:
    """Record that the solde computed at justification is paid (or recovered)."""
    require(user.decides_funding, "régler le solde de ce poste")
    line = _line(session, funding_id)
    settlement = validated(BalanceSettlement, settlement)
    rules.check_balance(line, settlement.paid_on, today or config.today())
    return _update_line(session, user, line, seen_version, {"balance_paid_on": settlement.paid_on})
