"""Public verification of a courrier: anyone holding a letter checks that D3 issued it.

The page shows only what the letter itself says and nobody could use to find out more:
the dossier's reference, the date of the letter and the kind of decision. Never the
auditeur's name, address or the motive.
"""

import re
from dataclasses import dataclass

from jury.letters import LetterKind, letter_kind
from jury.models import Courrier

__all__ = ["VerificationResult", "lookup", "normalise_code"]

_CODE_LENGTH = 16
_NOT_CODE = re.compile(r"[\s\-.]")


@dataclass(frozen=True)
class VerificationResult:
    reference: str
    letter_date: object  # datetime.date
    decision_kind: str  # a LetterKind value
    decision_kind_label: str


def normalise_code(code):
    """The code as stored: upper case, without the spaces and dashes of the printed form.

    The letters I, L, O and the digits 0, 1 are never used: read as the letters and
    digits they look like (O → 0 is not in the alphabet either, so it stays a miss).
    """
    return _NOT_CODE.sub("", code or "").upper()


def lookup(code):
    """The public facts of the courrier with this verification ``code``, or None."""
    code = normalise_code(code)
    if len(code) != _CODE_LENGTH:
        return None
    courrier = (
        Courrier.objects.select_related("dossier", "dossier__decision")
        .filter(verification_code=code).first()
    )
    if courrier is None:
        return None
    kind = letter_kind(courrier.dossier.decision, courrier.dossier)
    return VerificationResult(
        reference=courrier.dossier.reference,
        letter_date=courrier.due_on,
        decision_kind=kind,
        decision_kind_label=LetterKind(kind).label,
    )
