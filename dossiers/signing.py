"""Electronic signature of a dossier by its auditeur.

The auditeur reads the récapitulatif, ticks the sworn statement and types his/her
password. :func:`sign_dossier` then:

1. checks, without any lock, everything that does not depend on a race (owner, state,
   sworn statement, password, required pièces), so that a refusal costs nothing;
2. computes the content digest and renders the signed récapitulatif PDF that prints
   it, and stores the PDF under a random key — slow work (WeasyPrint, maybe S3), done
   outside any transaction so that no row stays locked meanwhile;
3. calls :func:`dossiers.workflow.sign`, which, under the dossier's lock, checks the
   state again and that the content still has the digest printed on the PDF, then
   writes the signature, the state, the event and the accusé de réception.

If step 3 refuses or fails, the stored PDF is deleted: nothing is left behind.
"""

from uuid import uuid4

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from d3.pdf import render_pdf
from dossiers import orphans, workflow
from dossiers.digest import compute_digest
from dossiers.experience import (
    PERIOD_KINDS,
    Period,
    Rules,
    assess,
    format_months,
    full_time_months,
)
from dossiers.models import Dossier, PieceFile
from dossiers.workflow import TransitionError

__all__ = [
    "SWORN_STATEMENT",
    "SigningRefused",
    "WrongPassword",
    "TransitionError",
    "recapitulatif_context",
    "sign_dossier",
]

SWORN_STATEMENT = (
    "Je certifie sur l'honneur l'exactitude des renseignements portés dans ce dossier et "
    "l'authenticité des pièces que j'ai déposées. Je sais qu'une fausse déclaration peut "
    "entraîner le refus ou le retrait du diplôme."
)


class SigningRefused(TransitionError):
    """The signature is refused before anything is written (French message)."""


class WrongPassword(SigningRefused):
    """The password did not match: the one refusal the page counts against the user."""


def sign_dossier(dossier_id, *, user, password, sworn, ip, user_agent):
    """Sign and deposit the dossier; return the :class:`Signature`.

    Raises ``Dossier.DoesNotExist`` when ``user`` is not the dossier's auditeur (a 404
    for the view), :class:`SigningRefused` for a wrong password, an unticked sworn
    statement or missing pièces, :class:`TransitionError` when the state does not allow
    a signature (already deposited…) or the dossier changed meanwhile. On any refusal
    nothing is changed and no file is left in the storage.

    Call it outside a transaction (no ``ATOMIC_REQUESTS``): the PDF is rendered before
    the dossier is locked, and it is deleted only if *this* function's transaction fails.
    """
    dossier = _load(dossier_id, user)
    workflow.check("sign", dossier)
    if not sworn:
        raise SigningRefused(
            "Cochez la déclaration sur l'honneur pour signer votre dossier."
        )
    if not password or not user.check_password(password):
        raise WrongPassword("Mot de passe incorrect : votre dossier n'a pas été signé.")
    blockers = workflow.sign_blockers(dossier)
    if blockers:
        raise SigningRefused(workflow.blockers_message(blockers), reasons=blockers)

    signed_at = timezone.now()
    digest = compute_digest(dossier)
    key = _store_recapitulatif(dossier, signed_at=signed_at, user=user, digest=digest)
    try:
        return workflow.sign(
            dossier.pk, user=user, digest=digest, signed_at=signed_at, ip=ip,
            user_agent=user_agent, recapitulatif_key=key,
        )
    except BaseException:
        # The transaction rolled back (refused, lost the race, database error): the PDF
        # it would have pointed to is an orphan. on_commit cannot do this: it never
        # runs on rollback. A file the storage cannot delete now is left to the
        # orphan files' job (dossiers.orphans).
        orphans.discard(key)
        raise


def _load(dossier_id, user):
    return (
        Dossier.objects.visible_to(user)
        .filter(auditeur=user)
        .select_related("auditeur__profile", "diplome__rule_set", "centre")
        .get(pk=dossier_id)
    )


def _store_recapitulatif(dossier, *, signed_at, user, digest):
    context = recapitulatif_context(dossier, today=timezone.localdate(signed_at)) | {
        "signed_at": signed_at,
        "signed_by": user,
        "digest": digest,
    }
    data = render_pdf("pdf/recapitulatif.html", context)
    # A random key: the name reveals nothing and cannot be guessed; the file is served
    # only through a view that checks permissions.
    return default_storage.save(f"recapitulatifs/{uuid4().hex}.pdf", ContentFile(data))


def recapitulatif_context(dossier, *, today=None):
    """What the récapitulatif shows, for the PDF and for the page before signing.

    The PDF adds ``signed_at``, ``signed_by`` and ``digest``.
    """
    today = today or timezone.localdate()
    auditeur = dossier.auditeur
    profile = getattr(auditeur, "profile", None)
    periods = list(dossier.periods.order_by("start", "pk"))
    plain = [_plain_period(period) for period in periods]
    period_rows = [
        {
            "period": period,
            "kind_label": PERIOD_KINDS.get(period.kind, period.get_kind_display()),
            "months": format_months(full_time_months([p], today)),
        }
        for period, p in zip(periods, plain, strict=True)
    ]
    rule_set = dossier.diplome.rule_set
    assessment = None
    if dossier.includes_aep and rule_set is not None:
        assessment = assess(plain, Rules.from_rule_set(rule_set), today)

    files_by_piece = {}
    for file in PieceFile.objects.filter(piece__dossier=dossier, replaced_at__isnull=True):
        files_by_piece.setdefault(file.piece_id, []).append(file)
    piece_rows = [
        {"piece": piece, "files": files_by_piece.get(piece.pk, [])}
        for piece in dossier.pieces.select_related("piece_type")
    ]
    return {
        "dossier": dossier,
        "reference": dossier.reference,
        "auditeur": auditeur,
        "profile": profile,
        "civilite_label": profile.get_civilite_display() if profile else "",
        "display_name": profile.display_name if profile else auditeur.get_full_name(),
        "auditeur_number": profile.auditeur_number if profile else "",
        "diplome": dossier.diplome,
        "kind_label": dossier.get_kind_display(),
        "period_rows": period_rows,
        "assessment": assessment,
        "piece_rows": piece_rows,
        "sworn_statement": SWORN_STATEMENT,
        "today": today,
    }


def _plain_period(period):
    return Period(
        start=period.start,
        end=period.end,
        working_time=period.working_time,
        in_specialty=period.in_specialty,
        at_level=period.at_level,
        kind=period.kind,
    )
