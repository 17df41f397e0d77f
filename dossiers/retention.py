"""Keeping personal data no longer than needed (RGPD): closed dossiers are removed
``settings.D3_RETENTION_YEARS`` years after they closed, an anonymised trace of
their decision kept.

When a dossier closes:

- **courrier envoyé** (decided by a jury): when its courrier was sent
  (``Courrier.sent_at``);
- **irrecevable** or **retiré**: when it entered that state (``state_changed_at``,
  written by :mod:`dossiers.workflow` with the transition). D3 has no separate
  "abandoned" state: a draft left untouched stays a draft, which is open, and this
  module never touches an open dossier, whatever its age.

A favourable analysis of the experience is kept while the diploma has not been
delivered: a later DD relies on it (see :func:`expired_dossiers`).

What a removal does, for one dossier, in one transaction holding the dossier's row
lock (:func:`remove_dossier`):

1. writes an :class:`~dossiers.models.AnonymisedDecision`: diploma, kind of request,
   centre, year of the first signature and of the closing, jury date, the decision
   and its kind, the closing state — no name, identifier, reference or free text;
2. deletes the dossier with everything tied to it: pièces and their files' rows,
   experience periods, signatures (the signed récapitulatifs), events (their
   comments with them), the jury's decision (its motive), the courrier, and the
   courriels of the outbox about this dossier (they quote the person's name and
   carry the PDFs as attachments);
3. when the auditeur has no dossier left and has not logged in since the cutoff, the
   account goes too (profile, validated UEs, its remaining courriels); an account
   with another dossier, or used recently, is left alone: it is someone who still
   uses D3 (and the Cnam's information system remains the source of the account).

The files (pièces, récapitulatifs, courrier) are deleted from the storage only once
the transaction has committed: a rollback leaves both rows and files in place, and a
file whose deletion fails is left to :mod:`dossiers.orphans` (no row points to it any
more). Running twice changes nothing the second time: a removed dossier no longer
exists, and the trace is written in the same transaction as the removal.

:func:`remove_expired_dossiers` walks the expired dossiers by increasing id, in
batches, each dossier on its own (a failure is logged and the next run retries it),
and stops after ``limit`` dossiers so that a first run on years of data stays within
the task's time limit (:mod:`dossiers.tasks` queues the rest).
"""

import logging
from dataclasses import dataclass, field
from functools import partial

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Exists, OuterRef, ProtectedError, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from auditeurs.models import Role, User
from d3.courriels.models import Courriel
from dossiers import centre_counts
from dossiers.models import (
    AepOutcome,
    AnonymisedDecision,
    Dossier,
    Kind,
    PieceFile,
    Signature,
    State,
)

logger = logging.getLogger(__name__)

BATCH_SIZE = 100
# Dossiers removed by one run at most; the task queues another run for the rest.
RUN_LIMIT = 2000


def years_before(moment, years):
    """``moment`` moved ``years`` years back (29 February → 28 February)."""
    try:
        return moment.replace(year=moment.year - years)
    except ValueError:
        return moment.replace(year=moment.year - years, day=28)


def retention_cutoff(now=None):
    """Dossiers closed before this moment are removed."""
    return years_before(now or timezone.now(), settings.D3_RETENTION_YEARS)


def with_closed_at(queryset):
    """Closed dossiers of ``queryset``, annotated with ``closed_at``, the moment the
    retention period starts from (see the module's docstring)."""
    return queryset.filter(state__in=State.closed()).annotate(
        closed_at=Coalesce("courrier__sent_at", "state_changed_at")
    )


def expired_dossiers(cutoff):
    """Closed dossiers whose retention period ended at ``cutoff``.

    Except a favourable analysis of the experience while the diploma has not been
    delivered to the auditeur: a later DD for that diploma relies on it
    (:func:`dossiers.requests.start_request`), and removing it would take that right
    away. It expires once a jury has delivered the diploma (through any dossier).
    """
    from jury.models import DdOutcome, Decision

    delivered = Decision.objects.filter(
        dossier__auditeur=OuterRef("auditeur"),
        dossier__diplome=OuterRef("diplome"),
        dd_outcome=DdOutcome.DELIVRE,
    )
    still_relied_on = Q(kind__in=Kind.including_aep(),
                        aep_outcome__in=AepOutcome.favourable()) & ~Exists(delivered)
    return (
        with_closed_at(Dossier.objects.all())
        .filter(closed_at__lt=cutoff)
        .exclude(still_relied_on)
    )


@dataclass
class RetentionReport:
    dossiers: int = 0
    files: int = 0
    accounts: int = 0
    failed: list = field(default_factory=list)  # ids of dossiers left for the next run
    more: bool = False  # the run stopped at its limit: expired dossiers remain


def remove_expired_dossiers(*, now=None, batch_size=BATCH_SIZE, limit=None):
    """Remove every dossier whose retention period is over (up to ``limit``, by
    default :data:`RUN_LIMIT`)."""
    limit = RUN_LIMIT if limit is None else limit
    cutoff = retention_cutoff(now)
    report = RetentionReport()
    last_pk = 0
    while True:
        ids = list(
            expired_dossiers(cutoff).filter(pk__gt=last_pk).order_by("pk")
            .values_list("pk", flat=True)[:batch_size]
        )
        if not ids:
            break
        for pk in ids:
            if report.dossiers >= limit:
                report.more = True
                break
            try:
                removal = remove_dossier(pk, cutoff=cutoff)
            except Exception:
                # One dossier's problem must not stop the others; the next run retries.
                logger.exception("Rétention : le dossier %s n'a pas pu être supprimé.", pk)
                report.failed.append(pk)
                continue
            if removal is not None:
                report.dossiers += 1
                report.files += removal.files
                report.accounts += removal.account_removed
        if report.more:
            break
        last_pk = ids[-1]
    logger.info(
        "Rétention (%s ans) : %s dossier(s) supprimé(s) et anonymisé(s), %s fichier(s), "
        "%s compte(s) ; %s échec(s)%s.",
        settings.D3_RETENTION_YEARS, report.dossiers, report.files, report.accounts,
        len(report.failed), ", d'autres restent à traiter" if report.more else "",
    )
    return report


@dataclass(frozen=True)
class Removal:
    trace: AnonymisedDecision
    files: int
    account_removed: bool


def remove_dossier(dossier_id, *, cutoff):
    """Remove one expired dossier and write its trace; None if it is gone or no longer
    expired (removed meanwhile by another run)."""
    from jury.models import Courrier, Decision

    with transaction.atomic():
        dossier = (
            expired_dossiers(cutoff)
            .select_for_update(of=("self",))
            .select_related("diplome", "centre", "jury_session")
            .filter(pk=dossier_id)
            .first()
        )
        if dossier is None:
            return None
        decision = Decision.objects.filter(dossier=dossier).first()
        courrier = Courrier.objects.filter(dossier=dossier).first()
        keys = _stored_files(dossier, courrier)
        trace = AnonymisedDecision.objects.create(**_trace_fields(dossier, decision))

        Courriel.objects.filter(dossier_reference=dossier.reference).delete()
        # Decision and courrier protect the dossier from a cascade: they go first.
        if courrier is not None:
            courrier.delete()
        if decision is not None:
            decision.delete()
        auditeur_id = dossier.auditeur_id
        # Periods, pièces and their files, signatures and events go with the dossier.
        dossier.delete()
        centre_counts.changed(dossier.centre_id)  # the centre's queue counts one less
        account_removed = _remove_account_if_unused(auditeur_id, cutoff)
        transaction.on_commit(partial(_delete_files, keys))
    return Removal(trace=trace, files=len(keys), account_removed=account_removed)


def _stored_files(dossier, courrier):
    keys = list(
        PieceFile.objects.filter(piece__dossier=dossier).values_list("storage_key", flat=True)
    )
    keys += Signature.objects.filter(dossier=dossier).exclude(recapitulatif_key="") \
        .values_list("recapitulatif_key", flat=True)
    if courrier is not None and courrier.storage_key:
        keys.append(courrier.storage_key)
    return keys


def _trace_fields(dossier, decision):
    from jury.letters import letter_kind

    first_signature = (
        Signature.objects.filter(dossier=dossier).order_by("signed_at", "pk")
        .values_list("signed_at", flat=True).first()
    )
    fields = {
        "diplome": dossier.diplome,
        "diplome_code": dossier.diplome.code,
        "kind": dossier.kind,
        "centre": dossier.centre,
        "centre_code": dossier.centre.code,
        "submitted_year": timezone.localtime(first_signature).year if first_signature else None,
        "closing_state": dossier.state,
        "closed_year": timezone.localtime(dossier.closed_at).year,
        "jury_date": dossier.jury_session.date if dossier.jury_session else None,
    }
    if decision is not None:
        try:
            kind = letter_kind(decision, dossier)
        except KeyError:  # an outcome missing: the decision is kept, its kind unnamed
            kind = ""
        fields |= {
            "decision_kind": kind,
            "cursus_valide": decision.cursus_valide,
            "aep_outcome": decision.aep_outcome,
            "stage_months": decision.stage_months,
            "dd_outcome": decision.dd_outcome,
        }
    return fields


def _remove_account_if_unused(user_id, cutoff):
    """Delete the auditeur's account once nothing of it is left in D3 and it has not
    been used since ``cutoff``; return whether it was deleted."""
    user = User.objects.filter(pk=user_id, role=Role.AUDITEUR).first()
    if user is None or Dossier.objects.filter(auditeur_id=user_id).exists():
        return False
    last_used = user.last_login or user.date_joined
    if last_used >= cutoff:
        return False
    try:
        # A savepoint: a row of another app protecting the account keeps it, and
        # only it; the dossier's removal stands.
        with transaction.atomic():
            Courriel.objects.filter(recipient_user=user).delete()
            user.delete()  # profile and validated UEs go with it
    except ProtectedError:
        logger.warning("Rétention : le compte %s est encore référencé, il est conservé.",
                       user_id)
        return False
    return True


def _delete_files(keys):
    for key in keys:
        try:
            default_storage.delete(key)
        except Exception:
            # No row points to it any more: dossiers.orphans deletes it later.
            logger.warning("Rétention : le fichier %s n'a pas pu être supprimé.", key,
                           exc_info=True)
