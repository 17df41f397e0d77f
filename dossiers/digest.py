"""The SHA-256 digest of a dossier's content: what the auditeur signs.

The content is a plain dict (:func:`dossier_content`) turned into canonical JSON (sorted
keys, no spaces, UTF-8), so the same content always gives the same digest, whatever the
order the database returns rows in. Pièce files enter by their own SHA-256 (computed
at upload), not by their bytes: the digest is cheap, and a replaced file changes it.

Left out on purpose: what changes after signing without the auditeur changing anything
— the state, the centre's verdict and comment on each pièce, the jury's outcome, dates
of the rows — otherwise the centre's review would "break" the signature it reviews.
"""

import hashlib
import hmac
import json

from dossiers.models import ExperiencePeriod, PieceFile

# Bump when the shape of the content changes, so that an old signature is not
# compared with a digest computed another way.
CONTENT_VERSION = 1


def _iso(value):
    return value.isoformat() if value is not None else None


def dossier_content(dossier):
    """The canonical content of the dossier, as JSON-ready plain data."""
    auditeur = dossier.auditeur
    profile = getattr(auditeur, "profile", None)
    # Fresh queries (not the dossier's prefetch cache): under the signing lock the digest
    # must be the one of the rows as they are now.
    periods = [
        {
            "employer": period.employer,
            "position": period.position,
            "start": _iso(period.start),
            "end": _iso(period.end),
            "working_time": period.working_time,
            "in_specialty": period.in_specialty,
            "at_level": period.at_level,
            "kind": period.kind,
            "tasks": period.tasks,
        }
        for period in ExperiencePeriod.objects.filter(dossier=dossier)
    ]
    files = [
        {
            "piece_type": file.piece.piece_type.code,
            "original_name": file.original_name,
            "sha256": file.sha256,
        }
        for file in PieceFile.objects.filter(
            piece__dossier=dossier, replaced_at__isnull=True
        ).select_related("piece__piece_type")
    ]
    return {
        "version": CONTENT_VERSION,
        "reference": dossier.reference,
        "kind": dossier.kind,
        "diplome": dossier.diplome.code,
        "prerequisite": {
            "title": dossier.prerequisite_title,
            "year": dossier.prerequisite_year,
            "institution": dossier.prerequisite_institution,
        },
        "auditeur": {
            "username": auditeur.username,
            "auditeur_number": profile.auditeur_number if profile else "",
        },
        # Sorted by content, not by primary key or query order.
        "periods": sorted(periods, key=lambda p: (p["start"], canonical_json(p))),
        "pieces": sorted(files, key=canonical_json),
    }


def canonical_json(content):
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def digest_of(content):
    return hashlib.sha256(canonical_json(content).encode("utf-8")).hexdigest()


def compute_digest(dossier):
    """SHA-256 (hex) of the dossier's canonical content."""
    return digest_of(dossier_content(dossier))


def verify(dossier):
    """Whether the dossier's content is still the one of its latest signature."""
    signature = dossier.signatures.order_by("-signed_at", "-pk").first()
    if signature is None:
        return False
    return hmac.compare_digest(signature.digest, compute_digest(dossier))
