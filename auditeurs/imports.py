"""Imports from the Cnam information system: auditeurs, and the UEs they validated.

Both imports read a CSV file (UTF-8, with or without BOM, ``;`` separator, a header
line) and are **all or nothing**: the whole file is read and checked first; if any
line is wrong, nothing is written and the report lists every wrong line (the header
is line 1). Otherwise everything is written in one transaction. Importing the same
file twice changes nothing the second time.

The management commands and the admin call the same two functions,
:func:`import_auditeurs` and :func:`import_validated_ues`, which take a binary
file-like object (an open file, or an uploaded file) and return an
:class:`ImportReport`; they never raise for a bad file.

Lines are streamed from the file; what is kept is one small record per line, which
the all-or-nothing policy needs anyway (checking every line before writing any),
with a ceiling of :data:`MAX_ROWS` lines, :data:`MAX_FILE_BYTES` bytes, and
:data:`MAX_LINE_BYTES` per line (read with a bound, so that a file without line
breaks is never read whole). A file that is not UTF-8 text is refused with what it
seems to be instead (Windows-1252 from Excel's plain "CSV", UTF-16 from its
"Texte Unicode", or not text at all), so that the person importing knows what to do.
"""

import codecs
import csv
import datetime
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone

from auditeurs.identifiers import (
    AUDITEUR_SUFFIX,
    available_identifier,
    base_identifier,
    is_auditeur_identifier,
    validate_enf_identifier,
)
from auditeurs.models import AuditeurProfile, Centre, Civilite, Role, User, ValidatedUE
from dossiers.models import UE

SEPARATOR = ";"
MAX_ROWS = 200_000
# 200 000 lines of a few dozen characters fit well within; the admin's upload form
# applies the same ceiling.
MAX_FILE_BYTES = 50 * 1024 * 1024
# A line of these files is a hundred bytes or so; anything this long is not one.
MAX_LINE_BYTES = 10_000
# Size of the ``IN (…)`` lists and of the bulk writes: large enough to keep the
# number of queries low, small enough for PostgreSQL's parameter limit.
CHUNK = 1000

AUDITEUR_COLUMNS = ("numero_auditeur", "nom", "prenom", "civilite", "email", "centre")
AUDITEUR_OPTIONAL_COLUMNS = ("identifiant",)
UE_COLUMNS = ("numero_auditeur", "code_ue", "date_validation")
UE_OPTIONAL_COLUMNS = ("centre", "note")

_NUMBER_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,19}$")
_ISO_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_FR_DATE_RE = re.compile(r"^\d{2}/\d{2}/\d{4}$")
_CIVILITES = {
    "m": Civilite.MONSIEUR,
    "m.": Civilite.MONSIEUR,
    "mr": Civilite.MONSIEUR,
    "monsieur": Civilite.MONSIEUR,
    "mme": Civilite.MADAME,
    "mme.": Civilite.MADAME,
    "madame": Civilite.MADAME,
}
_NAME_MAX = 150  # User.first_name / last_name, AuditeurProfile.birth_name
_EMAIL_MAX = 254


class ImportReport:
    """What an import did, or why it did nothing."""

    def __init__(self, title, dry_run=False):
        self.title = title
        self.dry_run = dry_run
        self.created = 0
        self.updated = 0
        self.unchanged = 0
        self.applied = False
        self._errors = defaultdict(list)  # line number (0: the whole file) → reasons

    def add_error(self, line, reason):
        self._errors[line].append(reason)

    def has_error(self, line):
        return line in self._errors

    @property
    def ok(self):
        return not self._errors

    @property
    def error_lines(self):
        return sorted(line for line in self._errors if line)

    @property
    def errors(self):
        """One message per wrong line, in file order; whole-file errors first."""
        messages = []
        for line in sorted(self._errors):
            reasons = " ; ".join(self._errors[line])
            messages.append(f"ligne {line} : {reasons}" if line else reasons)
        return messages

    @property
    def summary(self):
        if not self.ok:
            lines = len(self.error_lines)
            detail = f" ({lines} ligne{'s' if lines > 1 else ''} en erreur)" if lines else ""
            return f"{self.title} : aucune modification enregistrée, le fichier est refusé{detail}."
        counts = (
            f"{self.created} créé{'s' if self.created > 1 else ''}, "
            f"{self.updated} mis à jour, "
            f"{self.unchanged} inchangé{'s' if self.unchanged > 1 else ''}"
        )
        if self.dry_run:
            return (
                f"{self.title} : fichier valide, rien n'a été enregistré (simulation) : "
                f"{counts}."
            )
        return f"{self.title} : {counts}."

    def lines(self):
        return [self.summary, *self.errors]

    def __str__(self):
        return "\n".join(self.lines())


class _FileError(Exception):
    """The file as a whole cannot be read: no line-by-line report makes sense."""


_SAVE_AS_UTF8 = "Enregistrez-le au format « CSV UTF-8 » puis importez-le à nouveau."
_ENCODING_ERROR = "Le fichier n'est pas encodé en UTF-8 (ligne {line}). " + _SAVE_AS_UTF8
_CP1252_ERROR = (
    "Le fichier n'est pas encodé en UTF-8 (ligne {line}) : il semble enregistré en "
    "Windows-1252 (le « CSV » simple d'Excel). " + _SAVE_AS_UTF8
)
_UTF16_ERROR = (
    "Le fichier n'est pas encodé en UTF-8 : il est en UTF-16 (le « Texte Unicode » "
    "d'Excel). " + _SAVE_AS_UTF8
)
_NOT_TEXT_ERROR = (
    "Le fichier n'est pas un fichier texte CSV (ligne {line} : caractères de contrôle "
    "ou données binaires). Vérifiez que vous importez le bon fichier, exporté au format "
    "« CSV UTF-8 »."
)
_SPREADSHEET_ERROR = (
    "Ce fichier est un classeur Excel (.xlsx ou .xls), pas un fichier CSV : ouvrez-le "
    "dans Excel puis « Enregistrer sous » au format « CSV UTF-8 », et importez ce "
    "fichier-là."
)
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
# How common files that are not CSV begin: Excel's workbooks (.xlsx is a ZIP, .xls an
# OLE2 compound file), then documents, images and programs.
_SPREADSHEET_MAGIC = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0")
_BINARY_MAGIC = (b"%PDF-", b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"\x7fELF", b"MZ",
                 b"\x1f\x8b")
# Tab, line feed and carriage return are the only control characters a CSV holds.
_ALLOWED_CONTROLS = {"\t", "\n", "\r"}


def _read_lines(binary):
    """The file's lines as bytes, each read with a bound, within the size limits."""
    total = 0
    while True:
        raw = binary.readline(MAX_LINE_BYTES + 1)
        if not raw:
            return
        total += len(raw)
        if total > MAX_FILE_BYTES:
            raise _FileError(
                f"Le fichier dépasse {MAX_FILE_BYTES // (1024 * 1024)} Mo : découpez-le en "
                "plusieurs fichiers."
            )
        yield raw


def _decode(raw, number):
    if number == 1:
        if raw.startswith(_UTF16_BOMS):
            raise _FileError(_UTF16_ERROR)
        if raw.startswith(_SPREADSHEET_MAGIC):
            raise _FileError(_SPREADSHEET_ERROR)
        if raw.startswith(_BINARY_MAGIC):
            raise _FileError(_NOT_TEXT_ERROR.format(line=number))
    # NUL bytes mean UTF-16 without its mark, or a binary file.
    if b"\x00" in raw:
        utf16 = raw.count(b"\x00") * 3 >= len(raw) and number == 1
        raise _FileError(_UTF16_ERROR if utf16 else _NOT_TEXT_ERROR.format(line=number))
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        try:
            guess = raw.decode("cp1252")
        except UnicodeDecodeError:
            guess = None
        looks_like_text = guess is not None and not _has_controls(guess)
        message = _CP1252_ERROR if looks_like_text else _NOT_TEXT_ERROR
        raise _FileError(message.format(line=number)) from None
    if _has_controls(text):
        raise _FileError(_NOT_TEXT_ERROR.format(line=number))
    return text


def _has_controls(text):
    return any(
        unicodedata.category(char) == "Cc" and char not in _ALLOWED_CONTROLS for char in text
    )


def _decoded_lines(binary):
    for number, raw in enumerate(_read_lines(binary), start=1):
        if len(raw) > MAX_LINE_BYTES:
            raise _FileError(
                f"ligne {number} : ligne trop longue (plus de {MAX_LINE_BYTES} octets) ; "
                "ce fichier n'est sans doute pas un export CSV d'auditeurs ou d'UE."
            )
        text = _decode(raw, number)
        if number == 1:
            text = text.removeprefix("\ufeff")
        yield text


def _records(binary, required, optional, report):
    """Yield ``(line number, {column: stripped value})`` for each non-blank line.

    A line with the wrong number of cells is reported and skipped; a file that cannot
    be read as CSV at all raises :class:`_FileError`.
    """
    reader = csv.reader(_decoded_lines(binary), delimiter=SEPARATOR, strict=True)
    try:
        header = next(reader)
    except StopIteration:
        raise _FileError("Le fichier est vide.") from None
    except csv.Error as exc:
        raise _FileError(f"ligne 1 : en-tête illisible ({exc}).") from None
    names = [name.strip().lower() for name in header]
    expected = SEPARATOR.join(required + optional)
    if len(names) == 1 and "," in header[0]:
        raise _FileError(
            f"Le séparateur de colonnes doit être « {SEPARATOR} ». En-tête attendu : {expected}"
        )
    duplicated = sorted({name for name in names if name and names.count(name) > 1})
    if duplicated:
        raise _FileError(f"Colonne(s) en double dans l'en-tête : {', '.join(duplicated)}.")
    missing = [name for name in required if name not in names]
    if missing:
        raise _FileError(
            f"Colonne(s) obligatoire(s) absente(s) de l'en-tête : {', '.join(missing)}. "
            f"En-tête attendu : {expected}"
        )
    positions = {name: names.index(name) for name in required + optional if name in names}

    count = 0
    previous_end = reader.line_num
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise _FileError(f"ligne {reader.line_num} : ligne CSV illisible ({exc}).") from None
        # A quoted cell may span several physical lines: report where the record starts.
        line, previous_end = previous_end + 1, reader.line_num
        if not any(cell.strip() for cell in cells):
            continue
        count += 1
        if count > MAX_ROWS:
            raise _FileError(
                f"Le fichier dépasse {MAX_ROWS} lignes : découpez-le en plusieurs fichiers."
            )
        if len(cells) != len(names):
            report.add_error(
                line, f"{len(cells)} colonnes au lieu de {len(names)} (séparateur « {SEPARATOR} »)"
            )
            continue
        yield line, {name: cells[index].strip() for name, index in positions.items()}


def _chunks(values):
    values = list(values)
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


def _profiles_by_number(numbers, lock=False):
    found = {}
    for chunk in _chunks(numbers):
        queryset = AuditeurProfile.objects.filter(auditeur_number__in=chunk)
        if lock:
            # Locked until the end of the import: a profile saved meanwhile by its
            # auditeur must not be overwritten with values compared before the save.
            queryset = queryset.select_related("user").select_for_update(of=("self", "user"))
        for profile in queryset:
            found[profile.auditeur_number] = profile
    return found


def _run(report, parse, apply):
    """Read and check the file, then write in one transaction if nothing is wrong."""
    try:
        rows = parse()
    except _FileError as exc:
        report.add_error(0, str(exc))
        return report
    try:
        with transaction.atomic():
            apply(rows)
            if report.dry_run or not report.ok:
                transaction.set_rollback(True)
            else:
                report.applied = True
    except IntegrityError:
        # Someone created an account or a validation with the same key since the file
        # was checked: the transaction is rolled back as a whole.
        report.applied = False
        report.add_error(
            0,
            "Une modification simultanée est entrée en conflit avec l'import ; "
            "aucune modification n'a été enregistrée. Importez le fichier à nouveau.",
        )
    return report


# --- Auditeurs -------------------------------------------------------------------


@dataclass
class _AuditeurRow:
    line: int
    number: str
    last_name: str
    first_name: str
    civilite: str  # "" when the file leaves it empty: the existing value is kept
    email: str  # idem
    centre_code: str
    identifier: str  # "" → generated for a new account


def _check_name(report, line, value, label):
    if not value:
        report.add_error(line, f"{label} manquant")
    elif len(value) > _NAME_MAX:
        report.add_error(line, f"{label} trop long ({_NAME_MAX} caractères au plus)")


def _parse_auditeur(report, line, values):
    number = values["numero_auditeur"]
    if not number:
        report.add_error(line, "numéro d'auditeur manquant")
    elif not _NUMBER_RE.match(number):
        report.add_error(line, f"numéro d'auditeur invalide « {number} »")
    _check_name(report, line, values["nom"], "nom")
    _check_name(report, line, values["prenom"], "prénom")
    civilite_text = values["civilite"]
    civilite = _CIVILITES.get(civilite_text.lower(), "")
    if civilite_text and not civilite:
        report.add_error(line, f"civilité inconnue « {civilite_text} » (attendu : M ou Mme)")
    email = values["email"]
    if email:
        try:
            validate_email(email)
            if len(email) > _EMAIL_MAX:
                raise ValidationError("too long")
        except ValidationError:
            report.add_error(line, f"courriel invalide « {email} »")
    if not values["centre"]:
        report.add_error(line, "centre manquant")
    identifier = values.get("identifiant", "").lower()
    if identifier:
        try:
            validate_enf_identifier(identifier)
            if not is_auditeur_identifier(identifier):
                raise ValidationError("staff identifier")
        except ValidationError:
            report.add_error(
                line, f"identifiant invalide « {identifier} » (attendu : prenom.nom.auditeur)"
            )
    # Each line is parsed once, so any error recorded for it comes from this parse.
    if report.has_error(line):
        return None
    return _AuditeurRow(
        line=line,
        number=number,
        last_name=values["nom"],
        first_name=values["prenom"],
        civilite=civilite,
        email=email.lower() if email else "",
        centre_code=values["centre"],
        identifier=identifier,
    )


def _first_given_name(first_names):
    # "Jean Pierre" is Jean, whose second given name is Pierre; "Jean-Pierre" is one
    # name. ENF identifiers are built from the first given name only.
    return re.split(r"[\s,]+", first_names.strip())[0]


def import_auditeurs(binary, *, dry_run=False):
    """Create or update auditeur accounts and profiles, keyed on the auditeur number.

    Columns: ``numero_auditeur;nom;prenom;civilite;email;centre[;identifiant]``.
    A new account gets the role auditeur, an unusable password (the auditeur sets it
    through "Mot de passe oublié ?" or the ENF) and, when ``identifiant`` is empty, a
    ``prenom.nom.auditeur`` identifier with a digit suffix for homonyms; its profile
    stays to be completed at first log-in. For an existing auditeur, empty
    ``civilite`` and ``email`` cells keep the values already known.
    """
    report = ImportReport("Import des auditeurs", dry_run=dry_run)

    def parse():
        rows = []
        first_line_of = {}
        first_line_of_identifier = {}
        for line, values in _records(binary, AUDITEUR_COLUMNS, AUDITEUR_OPTIONAL_COLUMNS, report):
            row = _parse_auditeur(report, line, values)
            if row is None:
                continue
            if row.number in first_line_of:
                report.add_error(
                    line,
                    f"numéro d'auditeur « {row.number} » déjà présent ligne "
                    f"{first_line_of[row.number]}",
                )
                continue
            first_line_of[row.number] = line
            if row.identifier:
                if row.identifier in first_line_of_identifier:
                    report.add_error(
                        line,
                        f"identifiant « {row.identifier} » déjà présent ligne "
                        f"{first_line_of_identifier[row.identifier]}",
                    )
                    continue
                first_line_of_identifier[row.identifier] = line
            rows.append(row)
        return rows

    def apply(rows):
        centres = dict(Centre.objects.values_list("code", "pk"))
        profiles = _profiles_by_number((row.number for row in rows), lock=True)

        # Who already holds the identifiers the file gives (case-insensitive, as the
        # database's unique constraint).
        given = {row.identifier for row in rows if row.identifier}
        holders = {}
        for chunk in _chunks(given):
            holders.update(
                User.objects.annotate(lower=Lower("username"))
                .filter(lower__in=chunk)
                .values_list("lower", "pk")
            )

        new_rows, changed_users, changed_profiles = [], {}, {}
        for row in rows:
            centre_id = centres.get(row.centre_code)
            if centre_id is None:
                report.add_error(row.line, f"centre inconnu « {row.centre_code} »")
            profile = profiles.get(row.number)
            if row.identifier:
                holder = holders.get(row.identifier)
                if holder is not None and (profile is None or holder != profile.user_id):
                    report.add_error(
                        row.line,
                        f"identifiant « {row.identifier} » déjà attribué à un autre compte",
                    )
            if profile is None:
                new_rows.append(row)
            elif centre_id is not None:
                _update_existing(row, profile, centre_id, changed_users, changed_profiles)

        # Generated identifiers come last, once every identifier the file gives is
        # known, so that a generated one never takes a name a later line asks for.
        taken = set(given) | _taken_identifiers(
            [_base(row) for row in new_rows if not row.identifier], given
        )
        identifiers = {}
        for row in new_rows:
            if row.identifier:
                identifiers[row.line] = row.identifier
                continue
            try:
                identifier = available_identifier(
                    _first_given_name(row.first_name), row.last_name, taken.__contains__
                )
                validate_enf_identifier(identifier)
            except ValidationError as exc:
                report.add_error(
                    row.line, f"identifiant impossible à construire ({exc.messages[0]})"
                )
                continue
            taken.add(identifier)
            identifiers[row.line] = identifier

        report.created = len(new_rows)
        report.updated = len(changed_users.keys() | changed_profiles.keys())
        report.unchanged = len(rows) - report.created - report.updated
        if not report.ok or report.dry_run:
            return

        users = []
        for row in new_rows:
            user = User(
                username=identifiers[row.line],
                first_name=row.first_name,
                last_name=row.last_name,
                email=row.email,
                role=Role.AUDITEUR,
            )
            user.set_unusable_password()
            users.append(user)
        User.objects.bulk_create(users, batch_size=CHUNK)
        AuditeurProfile.objects.bulk_create(
            [
                AuditeurProfile(
                    user=user,
                    auditeur_number=row.number,
                    centre_id=centres[row.centre_code],
                    civilite=row.civilite,
                    birth_name=row.last_name,
                    first_names=row.first_name,
                )
                for user, row in zip(users, new_rows, strict=True)
            ],
            batch_size=CHUNK,
        )
        if changed_users:
            User.objects.bulk_update(
                changed_users.values(),
                ["username", "first_name", "last_name", "email"],
                batch_size=CHUNK,
            )
        if changed_profiles:
            AuditeurProfile.objects.bulk_update(
                changed_profiles.values(),
                ["centre", "civilite", "birth_name", "first_names"],
                batch_size=CHUNK,
            )

    return _run(report, parse, apply)


def _base(row):
    """The identifier a new auditeur gets when no homonym holds it (None: no letters)."""
    try:
        return base_identifier(_first_given_name(row.first_name), row.last_name)
    except ValidationError:
        return None


def _taken_identifiers(bases, given):
    """The existing identifiers that the identifiers built for ``bases`` could collide with.

    Most names have no homonym: one indexed ``lower(username) IN (…)`` query finds the
    few bases already taken. Only for those, and for names that the file itself holds
    twice, are the suffixed forms (``jean.dupont2.auditeur``…) looked up, with a prefix
    search that cannot use an index.
    """
    bases = [base for base in bases if base]
    found = set()
    for chunk in _chunks(set(bases)):
        found.update(
            User.objects.annotate(lower=Lower("username"))
            .filter(lower__in=chunk)
            .values_list("lower", flat=True)
        )
    seen, homonyms = set(), set()
    for base in bases:
        if base in seen or base in found or base in given:
            homonyms.add(base)
        seen.add(base)
    for chunk in _chunks(homonyms):
        condition = Q()
        for base in chunk:
            condition |= Q(username__istartswith=base.removesuffix(AUDITEUR_SUFFIX))
        usernames = User.objects.filter(condition).values_list("username", flat=True)
        found.update(name.lower() for name in usernames)
    return found


def _update_existing(row, profile, centre_id, changed_users, changed_profiles):
    user = profile.user
    wanted_user = {
        "username": row.identifier or user.username,
        "first_name": row.first_name,
        "last_name": row.last_name,
        "email": row.email or user.email,
    }
    wanted_profile = {
        "centre_id": centre_id,
        "civilite": row.civilite or profile.civilite,
        "birth_name": row.last_name,
        "first_names": row.first_name,
    }
    if any(getattr(user, name) != value for name, value in wanted_user.items()):
        for name, value in wanted_user.items():
            setattr(user, name, value)
        changed_users[row.number] = user
    if any(getattr(profile, name) != value for name, value in wanted_profile.items()):
        for name, value in wanted_profile.items():
            setattr(profile, name, value)
        changed_profiles[row.number] = profile


# --- Validated UEs ---------------------------------------------------------------


@dataclass
class _ValidationRow:
    line: int
    number: str
    ue_code: str
    validated_on: datetime.date
    centre_code: str  # "" → no centre
    grade: Decimal | None


def _parse_date(text):
    try:
        if _ISO_DATE_RE.match(text):
            return datetime.datetime.strptime(text, "%Y-%m-%d").date()
        if _FR_DATE_RE.match(text):
            return datetime.datetime.strptime(text, "%d/%m/%Y").date()
    except ValueError:
        pass
    return None


def _parse_grade(text):
    try:
        grade = Decimal(text.replace(",", "."))
    except InvalidOperation:
        return None
    if not grade.is_finite() or not 0 <= grade <= 20 or grade.as_tuple().exponent < -2:
        return None
    return grade


def _parse_validation(report, line, values, today):
    number = values["numero_auditeur"]
    if not number:
        report.add_error(line, "numéro d'auditeur manquant")
    ue_code = values["code_ue"].upper()
    if not ue_code:
        report.add_error(line, "code UE manquant")
    date_text = values["date_validation"]
    validated_on = _parse_date(date_text)
    if not date_text:
        report.add_error(line, "date de validation manquante")
    elif validated_on is None:
        report.add_error(
            line,
            f"date de validation invalide « {date_text} » (attendu : AAAA-MM-JJ ou JJ/MM/AAAA)",
        )
    elif validated_on > today:
        report.add_error(line, f"date de validation dans le futur « {date_text} »")
    grade_text = values.get("note", "")
    grade = _parse_grade(grade_text) if grade_text else None
    if grade_text and grade is None:
        report.add_error(line, f"note invalide « {grade_text} » (attendu : un nombre de 0 à 20)")
    # Each line is parsed once, so any error recorded for it comes from this parse.
    if report.has_error(line):
        return None
    return _ValidationRow(
        line=line,
        number=number,
        ue_code=ue_code,
        validated_on=validated_on,
        centre_code=values.get("centre", ""),
        grade=grade,
    )


def import_validated_ues(binary, *, dry_run=False):
    """Create or update the auditeurs' validated UEs, keyed on (auditeur, UE).

    Columns: ``numero_auditeur;code_ue;date_validation[;centre][;note]``; dates as
    ``AAAA-MM-JJ`` or ``JJ/MM/AAAA``, grades out of 20 with a comma or a dot. The file
    may hold only part of the validations (e.g. the last session's): validations
    that are not in the file are kept.
    """
    report = ImportReport("Import des UE validées", dry_run=dry_run)
    today = timezone.localdate()

    def parse():
        rows = []
        first_line_of = {}
        for line, values in _records(binary, UE_COLUMNS, UE_OPTIONAL_COLUMNS, report):
            row = _parse_validation(report, line, values, today)
            if row is None:
                continue
            key = (row.number, row.ue_code)
            if key in first_line_of:
                report.add_error(
                    line,
                    f"UE « {row.ue_code} » déjà présente ligne {first_line_of[key]} "
                    f"pour l'auditeur « {row.number} »",
                )
                continue
            first_line_of[key] = line
            rows.append(row)
        return rows

    def apply(rows):
        centres = dict(Centre.objects.values_list("code", "pk"))
        ues = {}
        for chunk in _chunks({row.ue_code for row in rows}):
            ues.update(UE.objects.filter(code__in=chunk).values_list("code", "pk"))
        auditeurs = {
            number: profile.user_id
            for number, profile in _profiles_by_number({row.number for row in rows}).items()
        }
        existing = {}
        for chunk in _chunks(set(auditeurs.values())):
            # Locked so that two imports of overlapping files cannot both create the
            # same validation; the unique constraint would reject the second anyway.
            for validation in ValidatedUE.objects.filter(auditeur_id__in=chunk).select_for_update():
                existing[(validation.auditeur_id, validation.ue_id)] = validation

        to_create, to_update = [], []
        for row in rows:
            auditeur_id = auditeurs.get(row.number)
            ue_id = ues.get(row.ue_code)
            centre_id = centres.get(row.centre_code) if row.centre_code else None
            if auditeur_id is None:
                report.add_error(row.line, f"numéro d'auditeur inconnu « {row.number} »")
            if ue_id is None:
                report.add_error(row.line, f"code UE inconnu « {row.ue_code} »")
            if row.centre_code and centre_id is None:
                report.add_error(row.line, f"centre inconnu « {row.centre_code} »")
            if auditeur_id is None or ue_id is None or (row.centre_code and centre_id is None):
                continue
            wanted = {"validated_on": row.validated_on, "centre_id": centre_id, "grade": row.grade}
            validation = existing.get((auditeur_id, ue_id))
            if validation is None:
                to_create.append(ValidatedUE(auditeur_id=auditeur_id, ue_id=ue_id, **wanted))
            elif any(getattr(validation, name) != value for name, value in wanted.items()):
                for name, value in wanted.items():
                    setattr(validation, name, value)
                to_update.append(validation)
            else:
                report.unchanged += 1

        report.created, report.updated = len(to_create), len(to_update)
        if not report.ok or report.dry_run:
            return
        ValidatedUE.objects.bulk_create(to_create, batch_size=CHUNK)
        ValidatedUE.objects.bulk_update(
            to_update, ["validated_on", "centre", "grade"], batch_size=CHUNK
        )

    return _run(report, parse, apply)
