"""French labels shared across capabilities: field names, history operations, agenda
reasons, and how a meeting is named. Enum members carry their own label in `models`."""

from __future__ import annotations

from datetime import date

from ctg_core.common import formats
from ctg_core.common.models import MeetingKind

FIELD_LABELS: dict[str, str] = {
    "code": "Code",
    "title": "Intitulé",
    "objective": "Objectif",
    "lead": "Pilote",
    "partners": "Partenaires",
    "starts_on": "Début",
    "due_on": "Échéance",
    "ends_on": "Fin",
    "signed_on": "Signature",
    "budget": "Budget",
    "status": "Statut",
    "progress": "Avancement",
    "last_comment": "Commentaire",
    "vigilance": "Point de vigilance",
    "axis_id": "Axe",
    "phase": "Phase",
    "phase_reached_on": "Date de la phase",
    "territory_id": "Territoire",
    "advisor_id": "Conseiller Caf",
    "label": "Libellé",
    "kind": "Type de comité",
    "held_on": "Date",
    "place": "Lieu",
    "attendees": "Participants",
    "minutes": "Compte rendu",
    "next_steps": "Prochaines étapes",
    "next_meeting_on": "Prochaine réunion",
    "text": "Décision",
    "value": "Valeur mesurée",
    "measured_on": "Date de mesure",
    "fte": "ETP",
    "eligible_cost": "Coût éligible",
    "amount": "Montant",
    "paid_on": "Date de versement",
    "on": "Date",
    "year": "Année",
    "source": "Source",
    "archived_at": "Archivage",
    "action_id": "Action",
    "meeting_id": "Réunion",
    "reviewed_at": "Point revu",
    "position": "Position",
    "snapshot": "Actions figées",
    "renewal_status": "Renouvellement",
    "renewal_received_on": "Demande reçue le",
    "renewal_signed_on": "Signé le",
    "advance_amount": "Acompte",
    "advance_paid_on": "Acompte versé le",
    "balance_amount": "Solde",
    "balance_paid_on": "Solde versé le",
    "entitlement": "Droit",
    # imports (exchange): the file and what it changed
    "file_name": "Fichier",
    "content": "Contenu du fichier",
    "created": "Fiches créées",
    "updated": "Fiches modifiées",
    "values_added": "Valeurs ajoutées",
    "months": "Mois couverts",
    "actual_cost": "Coût réel justifié",
    "justified_on": "Justifié le",
    "final_entitlement": "Droit définitif",
    "rate": "Taux de la Caf",
    "ceiling_per_fte": "Plafond par ETP",
    "advance_share": "Part de l'acompte",
    "renewal_opens_on": "Renouvellement possible dès le",
    "renewal_due_on": "Renouvellement à signer avant le",
    "notes": "Notes",
    "reason": "Motif",
    "name": "Nom",
    "email": "E-mail",
    "post_id": "Poste",
    "number": "Numéro",
    "planned_minutes": "Durée prévue (min)",
    "presenter": "Présenté par",
    "parked_at": "Reporté",
    "carried_to_id": "Repris par la réunion",
    "started_at": "Début de séance",
    "attendance": "Présence",
    "confidential": "Confidentielle",
    "created_action_id": "Action créée",
    "agenda": "Ordre du jour",
    "item": "Point",
    "new_axis_id": "Axe de l'action",
    "new_title": "Intitulé de l'action",
    "new_lead": "Pilote de l'action",
    "new_due_on": "Échéance de l'action",
    "role": "Rôle",
    "territory_ids": "Territoires",
    "territories": "Territoires",
    "is_active": "Compte actif",
    "refused": "Refusé",
    "since": "Début de la période",
    "until": "Fin de la période",
    "unit": "Unité",
    "measure": "Type de mesure",
    "direction": "Sens",
    "baseline_value": "Référence",
    "baseline_year": "Année de référence",
    "target_value": "Cible",
    "target_year": "Année de la cible",
    "catalogue_id": "Indicateur du catalogue",
    "catalogue_code": "Indicateur du catalogue",
    "definition": "Définition",
    "axis_code": "Axe",
    "file": "Fichier",
    "filename": "Fichier",
    "imported": "Import",
    "values": "Valeurs",
}


def field_label(name: str) -> str:
    """« Avancement » for `progress`; an unknown field keeps its name."""
    return FIELD_LABELS.get(name, name)


OPERATION_LABELS: dict[str, str] = {
    "create": "Création",
    "update": "Modification",
    "archive": "Archivage",
    "close": "Clôture",
    "conflict": "Modification refusée (conflit)",
    "import": "Import d'un fichier",
    "correct": "Correction motivée",
    "remove": "Retrait",
    "park": "Report",
    "start": "Ouverture de la séance",
    "deactivate": "Désactivation",
    "reactivate": "Réactivation",
    "sign_in": "Connexion",
    "refused": "Accès refusé",
}

AGENDA_REASON_LABELS: dict[str, str] = {
    "late": "En retard",
    "vigilance": "Point de vigilance",
    "due_soon": "Échéance dans les 3 mois",
    "changed": "Modifiée depuis le dernier comité",
    "manual": "Ajouté à l'ordre du jour",
    "parked": "Reporté d'une réunion précédente",
}


def meeting_label(kind: MeetingKind, held_on: date, number: int | None = None) -> str:
    """« COPIL n° 3 du 21/01/2026 »: how a meeting is named in history, agenda and minutes.
    The number makes it unique within its convention (several COPIL on the same day)."""
    numbered = f" n° {number}" if number else ""
    return f"{kind.label}{numbered} du {formats.day(held_on)}"
