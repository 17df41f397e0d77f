"""ENF identifiers: ``prenom.nom.auditeur`` for auditeurs, ``prenom.nom`` for staff.

Lower case letters, digits and hyphens, in dot-separated parts; homonyms get a
digit suffix on the last name part (``jean.dupont2.auditeur``).
"""

import re
import unicodedata

from django.core.exceptions import ValidationError

_PART = r"[a-z](?:[a-z0-9-]*[a-z0-9])?"
AUDITEUR_RE = re.compile(rf"^{_PART}\.{_PART}\.auditeur$")
STAFF_RE = re.compile(rf"^{_PART}\.{_PART}$")
AUDITEUR_SUFFIX = ".auditeur"
MAX_LENGTH = 150


def is_auditeur_identifier(value):
    return bool(AUDITEUR_RE.match(value))


def validate_enf_identifier(value):
    if len(value) > MAX_LENGTH or not (AUDITEUR_RE.match(value) or STAFF_RE.match(value)):
        raise ValidationError(
            "Identifiant invalide : il a la forme prenom.nom.auditeur (auditeurs) ou "
            "prenom.nom (personnels), en minuscules, sans accent ni espace.",
            code="invalid_identifier",
        )


# Letters that NFKD does not decompose into an ASCII base letter.
_LIGATURES = str.maketrans({"æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "ß": "ss",
                            "ø": "o", "Ø": "O", "đ": "d", "Đ": "D", "ł": "l", "Ł": "L"})


def slug_part(text):
    """``"Marie-Hélène d'Orléans"`` → ``"marie-helene-dorleans"``; ``"Lætitia"`` → ``"laetitia"``."""
    ascii_text = (
        unicodedata.normalize("NFKD", text.translate(_LIGATURES))
        .encode("ascii", "ignore")
        .decode("ascii")
    )
    ascii_text = re.sub(r"['’`]", "", ascii_text.lower())
    ascii_text = re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")
    ascii_text = re.sub(r"^[0-9-]+", "", ascii_text)
    return ascii_text


def base_identifier(first_name, last_name, auditeur=True):
    first, last = slug_part(first_name), slug_part(last_name)
    if not first or not last:
        raise ValidationError(
            "Le prénom et le nom doivent contenir au moins une lettre.",
            code="invalid_name",
        )
    return f"{first}.{last}{AUDITEUR_SUFFIX if auditeur else ''}"


def with_suffix(identifier, number):
    """Digit suffix on the last name part: ``jean.dupont.auditeur`` → ``jean.dupont2.auditeur``."""
    if identifier.endswith(AUDITEUR_SUFFIX):
        stem = identifier[: -len(AUDITEUR_SUFFIX)]
        return f"{stem}{number}{AUDITEUR_SUFFIX}"
    return f"{identifier}{number}"


def available_identifier(first_name, last_name, taken, auditeur=True):
    """The first identifier for this name that ``taken(identifier)`` says is free."""
    identifier = base_identifier(first_name, last_name, auditeur=auditeur)
    if not taken(identifier):
        return identifier
    number = 2
    while taken(with_suffix(identifier, number)):
        number += 1
    return with_suffix(identifier, number)
