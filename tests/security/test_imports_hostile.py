"""Hostile CSV files given to the imports (auditeurs, validated UEs), through the
function, the management command and the admin upload: each gets a clear French
report, and nothing is half-applied — the valid lines before the bad part are not
written either (row counts and contents unchanged).
"""

import codecs
import io

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from auditeurs import imports
from auditeurs.imports import import_auditeurs, import_validated_ues
from auditeurs.models import AuditeurProfile, User, ValidatedUE
from tests.dossiers import files
from tests.factories import UEFactory, ValidatedUEFactory

pytestmark = pytest.mark.django_db

AUDITEURS_HEADER = "numero_auditeur;nom;prenom;civilite;email;centre\n"
GOOD_AUDITEURS = (
    "PAR300001;Dupont;Jean;M;jean.dupont@example.org;PAR\n"
    "PAR300002;Durand;Anne;Mme;;PAR\n"
)
UES_HEADER = "numero_auditeur;code_ue;date_validation;centre;note\n"
GOOD_UES = "PAR100001;NFA031;2024-02-02;PAR;12\nPAR100001;NFA008;2023-06-30;;\n"

UTF8_ASKED = "Enregistrez-le au format « CSV UTF-8 » puis importez-le à nouveau."
CP1252 = "il semble enregistré en Windows-1252"
UTF16 = "il est en UTF-16"
NOT_TEXT = "Le fichier n'est pas un fichier texte CSV"


def auditeurs_file(tail, encoding="utf-8"):
    return (AUDITEURS_HEADER + GOOD_AUDITEURS).encode(encoding) + tail


def ues_file(tail, encoding="utf-8"):
    return (UES_HEADER + GOOD_UES).encode(encoding) + tail


# name: (make the auditeurs file, make the UEs file, expected error messages, or the
# start of the only one)
HOSTILE = {
    "latin-1": (
        lambda: auditeurs_file("PAR300003;Hervé;Gaëlle;Mme;;PAR\n".encode("latin-1")),
        lambda: ues_file("PAR100001;NFA010;03/07/2024;é;\n".encode("latin-1")),
        f"Le fichier n'est pas encodé en UTF-8 (ligne 4) : {CP1252}",
    ),
    "windows-1252-quote": (
        lambda: auditeurs_file("PAR300003;L’Hôte;Zoé;Mme;;PAR\n".encode("cp1252")),
        lambda: ues_file("PAR100001;NFA010;2024-07-03;“PAR”;12\n".encode("cp1252")),
        f"Le fichier n'est pas encodé en UTF-8 (ligne 4) : {CP1252}",
    ),
    "utf-16-with-bom": (
        lambda: (AUDITEURS_HEADER + GOOD_AUDITEURS).encode("utf-16"),
        lambda: (UES_HEADER + GOOD_UES).encode("utf-16"),
        f"Le fichier n'est pas encodé en UTF-8 : {UTF16}",
    ),
    "utf-16-without-bom": (
        lambda: (AUDITEURS_HEADER + GOOD_AUDITEURS).encode("utf-16-le"),
        lambda: (UES_HEADER + GOOD_UES).encode("utf-16-be"),
        f"Le fichier n'est pas encodé en UTF-8 : {UTF16}",
    ),
    "binary-garbage": (
        lambda: auditeurs_file(bytes(range(256)) * 8),
        lambda: ues_file(bytes(range(255, -1, -1)) * 8),
        NOT_TEXT,
    ),
    "a-png-named-csv": (
        files.png_bytes,
        files.png_bytes,
        NOT_TEXT,
    ),
    "terminal-escapes": (
        lambda: auditeurs_file(b"PAR300003;\x1b[31mDupont;Jean;M;;PAR\n"),
        lambda: ues_file(b"PAR100001;NFA010\x07;2024-07-03;;\n"),
        f"{NOT_TEXT} (ligne 4",
    ),
    "one-huge-line": (
        lambda: auditeurs_file(b"A" * 1_000_000),
        lambda: ues_file(b"9;" * 500_000),
        "ligne 4 : ligne trop longue (plus de 10000 octets)",
    ),
    "missing-columns": (
        lambda: b"numero_auditeur;nom;prenom\nPAR300001;Dupont;Jean\n",
        lambda: b"numero_auditeur;code_ue\nPAR100001;NFA031\n",
        "Colonne(s) obligatoire(s) absente(s) de l'en-tête",
    ),
    "duplicate-rows": (
        lambda: auditeurs_file(b"PAR300001;Dupont;Jean;M;jean.dupont@example.org;PAR\n"),
        lambda: ues_file(b"PAR100001;NFA031;2024-02-02;PAR;12\n"),
        "ligne 4 : ",
    ),
    "an-excel-workbook": (
        lambda: b"PK\x03\x04\x14\x00\x06\x00" + b"[Content_Types].xml" + bytes(200),
        lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(200),
        "Ce fichier est un classeur Excel (.xlsx ou .xls), pas un fichier CSV",
    ),
    "empty": (lambda: b"", lambda: b"", "Le fichier est vide."),
    "only-a-bom": (lambda: codecs.BOM_UTF8, lambda: codecs.BOM_UTF8,
                   "Colonne(s) obligatoire(s) absente(s)"),
}


@pytest.fixture
def existing(auditeur):
    """What the database holds before: an auditeur with two validations, the catalogue."""
    for code in ("NFA031", "NFA008", "NFA010"):
        UEFactory(code=code)
    ValidatedUEFactory(auditeur=auditeur, ue__code="NFA031")
    return auditeur


def snapshot():
    return (
        sorted(User.objects.values_list("username", "first_name", "last_name", "email")),
        sorted(AuditeurProfile.objects.values_list("auditeur_number", "centre_id", "civilite")),
        sorted(ValidatedUE.objects.values_list("auditeur_id", "ue_id", "validated_on", "grade")),
    )


@pytest.mark.parametrize("which", ["auditeurs", "ues"])
@pytest.mark.parametrize("case", list(HOSTILE))
def test_a_hostile_file_is_reported_in_french_and_nothing_is_written(existing, case, which):
    make_auditeurs, make_ues, expected = HOSTILE[case]
    before = snapshot()

    if which == "auditeurs":
        report = import_auditeurs(io.BytesIO(make_auditeurs()))
    else:
        report = import_validated_ues(io.BytesIO(make_ues()))

    assert not report.ok and not report.applied
    assert report.summary.endswith(
        ("aucune modification enregistrée, le fichier est refusé.",
         "aucune modification enregistrée, le fichier est refusé (1 ligne en erreur).")
    ), report.summary
    assert report.errors[0].startswith(expected), report.errors
    if case == "duplicate-rows":
        assert "déjà présent" in report.errors[0]
    if expected.startswith(("Le fichier n'est pas encodé", CP1252)):
        assert report.errors[0].endswith(UTF8_ASKED)
    assert snapshot() == before


def test_the_good_files_of_the_cases_above_do_import(existing):
    # The hostile files above are these good lines plus a bad part: the refusals are
    # the bad parts' doing.
    assert import_auditeurs(io.BytesIO(auditeurs_file(b""))).created == 2
    assert import_validated_ues(io.BytesIO(ues_file(b""))).ok


def test_a_file_over_the_size_limit_is_refused_before_the_end(existing, monkeypatch):
    # The real ceiling is 50 Mo; lowered here so as not to write 50 Mo.
    monkeypatch.setattr(imports, "MAX_FILE_BYTES", 1024 * 1024)
    content = AUDITEURS_HEADER.encode() + b"".join(
        f"PAR{400000 + n};Nom{n};Prenom;M;;PAR\n".encode() for n in range(40_000)
    )
    assert len(content) > imports.MAX_FILE_BYTES
    before = snapshot()

    report = import_auditeurs(io.BytesIO(content))

    assert report.errors == ["Le fichier dépasse 1 Mo : découpez-le en plusieurs fichiers."]
    assert snapshot() == before


def test_too_many_lines_are_refused(existing, monkeypatch):
    monkeypatch.setattr(imports, "MAX_ROWS", 2)
    before = snapshot()

    report = import_auditeurs(io.BytesIO(auditeurs_file(b"PAR300003;Roux;Paul;M;;PAR\n")))

    assert report.errors == [
        "Le fichier dépasse 2 lignes : découpez-le en plusieurs fichiers."
    ]
    assert snapshot() == before


@pytest.mark.parametrize("case", ["latin-1", "utf-16-with-bom", "a-png-named-csv",
                                  "one-huge-line"])
def test_the_command_reports_the_same_and_fails(existing, tmp_path, case):
    make_auditeurs, _, expected = HOSTILE[case]
    path = tmp_path / "auditeurs.csv"
    path.write_bytes(make_auditeurs())
    before = snapshot()
    err = io.StringIO()

    with pytest.raises(CommandError, match="aucune modification enregistrée"):
        call_command("import_auditeurs", str(path), stderr=err)

    assert err.getvalue().startswith(expected)
    assert snapshot() == before


@pytest.mark.parametrize("case", ["windows-1252-quote", "binary-garbage", "duplicate-rows"])
def test_the_admin_upload_shows_the_report_and_writes_nothing(
    client, administrateur, existing, case
):
    _, make_ues, expected = HOSTILE[case]
    client.force_login(administrateur)
    before = snapshot()

    response = client.post(
        reverse("admin:auditeurs_validatedue_import"),
        {"file": SimpleUploadedFile("export.csv", make_ues(), content_type="text/csv")},
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert expected.replace("'", "&#x27;") in page
    assert [str(m) for m in get_messages(response.wsgi_request)][0].startswith(
        "Import des UE validées : aucune modification enregistrée"
    )
    assert snapshot() == before
