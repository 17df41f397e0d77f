"""CSV export of the centre's queue, for a French spreadsheet.

French spreadsheets (Excel, LibreOffice in a French locale) open a CSV correctly when
it starts with a byte order mark (else Excel reads it as Windows-1252), separates the
columns with ``;`` (``,`` is the decimal separator) and writes dates as dd/mm/yyyy.

The rows are streamed from a database iterator: the export of a big centre never sits
in memory, and its queries do not grow with its size.
"""

import csv

from django.utils import timezone

from dossiers import queue

BOM = "\ufeff"
SEPARATOR = ";"

HEADER = (
    "Référence",
    "Auditeur",
    "Identifiant ENF",
    "Numéro d'auditeur",
    "Centre",
    "Code du diplôme",
    "Diplôme",
    "Nature de la demande",
    "État",
    "Depuis le",
    "Pris en charge par",
    "Demandes de corrections",
    "Corrections attendues avant le",
    "Créé le",
)

# A cell starting with one of these is a formula to a spreadsheet: a name typed by an
# auditeur ("=HYPERLINK(…)") must stay text.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class _Echo:
    """A file-like object whose write returns the line, for csv.writer to stream."""

    def write(self, value):
        return value


def _date(value):
    if value is None:
        return ""
    if hasattr(value, "hour"):
        value = timezone.localtime(value)
    return value.strftime("%d/%m/%Y")


def _text(value):
    value = str(value)
    if value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def row(dossier):
    display_name, number = queue.auditeur_names(dossier.auditeur)
    owner = dossier.owner
    return [
        _text(cell)
        for cell in (
            dossier.reference,
            display_name,
            dossier.auditeur.username,
            number,
            dossier.centre.name,
            dossier.diplome.code,
            dossier.diplome.title,
            dossier.get_kind_display(),
            dossier.get_state_display(),
            _date(dossier.state_changed_at),
            (owner.get_full_name() or owner.username) if owner else "",
            dossier.correction_round,
            _date(dossier.corrections_due),
            _date(dossier.created_at),
        )
    ]


def lines(dossiers):
    """The CSV text, line by line, BOM first: for a StreamingHttpResponse."""
    writer = csv.writer(_Echo(), delimiter=SEPARATOR, lineterminator="\r\n")
    yield BOM + writer.writerow(HEADER)
    for dossier in dossiers.iterator(chunk_size=500):
        yield writer.writerow(row(dossier))


def filename(user, today):
    """``dossiers-<centre code>-<date>.csv``, or ``dossiers-centres-…`` for several."""
    codes = [code for code in user.centres.values_list("code", flat=True)[:2]]
    label = codes[0].lower() if len(codes) == 1 else "centres"
    label = "".join(c if c.isalnum() or c in "-_" else "-" for c in label) or "centres"
    return f"dossiers-{label}-{today:%Y-%m-%d}.csv"
