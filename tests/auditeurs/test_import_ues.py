"""Import of the auditeurs' validated UEs (CSV), and its command."""

import datetime
import io
from decimal import Decimal
from pathlib import Path

import pytest
import time_machine
from django.core.management import CommandError, call_command

from auditeurs.imports import import_validated_ues
from auditeurs.models import ValidatedUE
from tests.factories import AuditeurFactory, UEFactory, ValidatedUEFactory

FIXTURES = Path(__file__).parent / "fixtures_csv"
HEADER = "numero_auditeur;code_ue;date_validation;centre;note\n"


def run(text, encoding="utf-8", **kwargs):
    return import_validated_ues(io.BytesIO(text.encode(encoding)), **kwargs)


def snapshot():
    return sorted(
        ValidatedUE.objects.values_list(
            "auditeur__profile__auditeur_number", "ue__code", "validated_on", "centre__code",
            "grade",
        )
    )


@pytest.fixture
def catalogue(db):
    return {code: UEFactory(code=code) for code in ("NFA031", "NFA008", "UTC501", "GLG101")}


@pytest.fixture
def auditeurs(centre, other_centre):
    # The numbers of the fixture file.
    return {
        "PAR300001": AuditeurFactory(profile__auditeur_number="PAR300001",
                                     profile__centre=centre),
        "LYO300003": AuditeurFactory(profile__auditeur_number="LYO300003",
                                     profile__centre=other_centre),
    }


def test_it_creates_the_validated_ues_of_the_file(catalogue, auditeurs):
    with (FIXTURES / "ues.csv").open("rb") as handle:
        report = import_validated_ues(handle)

    assert report.ok, report.errors
    assert (report.created, report.updated, report.unchanged) == (4, 0, 0)
    assert report.summary == "Import des UE validées : 4 créés, 0 mis à jour, 0 inchangé."
    assert snapshot() == [
        ("LYO300003", "NFA031", datetime.date(2023, 6, 30), "LYO", None),
        ("LYO300003", "UTC501", datetime.date(2022, 2, 4), None, Decimal("9.75")),
        ("PAR300001", "NFA008", datetime.date(2023, 2, 3), "PAR", Decimal("12.00")),
        ("PAR300001", "NFA031", datetime.date(2024, 6, 28), "PAR", Decimal("14.50")),
    ]


def test_importing_the_same_file_twice_changes_nothing(catalogue, auditeurs):
    with (FIXTURES / "ues.csv").open("rb") as handle:
        import_validated_ues(handle)
    before = snapshot()

    with (FIXTURES / "ues.csv").open("rb") as handle:
        report = import_validated_ues(handle)

    assert (report.created, report.updated, report.unchanged) == (0, 0, 4)
    assert snapshot() == before


def test_a_known_validation_is_updated_and_others_are_kept(catalogue, auditeur, centre):
    changed = ValidatedUEFactory(auditeur=auditeur, ue=catalogue["NFA031"],
                                 validated_on=datetime.date(2023, 6, 30), grade=8)
    kept = ValidatedUEFactory(auditeur=auditeur, ue=catalogue["GLG101"])

    report = run(
        HEADER
        + "PAR100001;NFA031;2024-02-02;PAR;11.5\n"
        + "PAR100001;NFA008;2024-02-02;PAR;\n"
    )

    assert (report.created, report.updated, report.unchanged) == (1, 1, 0)
    changed.refresh_from_db()
    assert (changed.validated_on, changed.centre, changed.grade) == (
        datetime.date(2024, 2, 2), centre, Decimal("11.50")
    )
    # A validation missing from the file stays: files may hold a single session.
    assert ValidatedUE.objects.filter(pk=kept.pk).exists()


def test_codes_are_read_whatever_their_case(catalogue, auditeur):
    report = run(HEADER + "PAR100001; nfa031 ;2024-02-02;;\n")

    assert report.ok, report.errors
    assert auditeur.validated_ues.get().ue == catalogue["NFA031"]


def test_an_unknown_ue_code_is_an_error_and_nothing_is_applied(catalogue, auditeur):
    report = run(
        HEADER
        + "PAR100001;NFA031;2024-02-02;PAR;12\n"
        + "PAR100001;NFA008;2024-02-02;PAR;12\n"
        + "PAR100001;NFA999;2024-02-02;PAR;12\n"
    )

    assert report.errors == ["ligne 4 : code UE inconnu « NFA999 »"]
    assert not report.applied
    assert not ValidatedUE.objects.exists()


def test_an_unknown_auditeur_is_an_error(catalogue, auditeur):
    report = run(HEADER + "PAR100001;NFA031;2024-02-02;PAR;\nPAR999999;NFA031;2024-02-02;PAR;\n")

    assert report.errors == ["ligne 3 : numéro d'auditeur inconnu « PAR999999 »"]
    assert not ValidatedUE.objects.exists()


def test_an_unknown_centre_is_an_error(catalogue, auditeur):
    report = run(HEADER + "PAR100001;NFA031;2024-02-02;XYZ;\n")

    assert report.errors == ["ligne 2 : centre inconnu « XYZ »"]
    assert not ValidatedUE.objects.exists()


@time_machine.travel(datetime.datetime(2025, 1, 15, 12, tzinfo=datetime.UTC), tick=False)
def test_malformed_lines_are_all_reported_with_their_numbers(catalogue, auditeur):
    existing = ValidatedUEFactory(auditeur=auditeur, ue=catalogue["UTC501"], grade=10)
    before = snapshot()

    report = run(
        HEADER
        + "PAR100001;NFA031;2024-02-02;PAR;12\n"  # 2: fine
        + "PAR100001;NFA008;2024-31-12;PAR;12\n"  # 3: no such date
        + "PAR100001;NFA008;2/3/2024;PAR;12\n"  # 4: neither format
        + "PAR100001;GLG101;2024-02-02;PAR;21\n"  # 5: grade out of 20
        + "PAR100001;UTC501;2024-02-02;PAR;douze\n"  # 6: not a grade
        + ";;;;\n"  # 7: empty line, skipped
        + ";GLG101;;PAR;\n"  # 8: number and date missing
        + "PAR100001;NFA031;2024-06-28;PAR;12\n"  # 9: same UE as line 2
        + "PAR100001;NFA008;2026-01-01;PAR;12\n"  # 10: date in the future
        + "PAR100001;UTC501;2024-02-02\n"  # 11: cells missing
        + "PAR100001;UTC501;2024-02-02;PAR;12,345\n"  # 12: three decimals
    )

    assert report.errors == [
        "ligne 3 : date de validation invalide « 2024-31-12 » (attendu : AAAA-MM-JJ ou JJ/MM/AAAA)",
        "ligne 4 : date de validation invalide « 2/3/2024 » (attendu : AAAA-MM-JJ ou JJ/MM/AAAA)",
        "ligne 5 : note invalide « 21 » (attendu : un nombre de 0 à 20)",
        "ligne 6 : note invalide « douze » (attendu : un nombre de 0 à 20)",
        "ligne 8 : numéro d'auditeur manquant ; date de validation manquante",
        "ligne 9 : UE « NFA031 » déjà présente ligne 2 pour l'auditeur « PAR100001 »",
        "ligne 10 : date de validation dans le futur « 2026-01-01 »",
        "ligne 11 : 3 colonnes au lieu de 5 (séparateur « ; »)",
        "ligne 12 : note invalide « 12,345 » (attendu : un nombre de 0 à 20)",
    ]
    assert snapshot() == before
    existing.refresh_from_db()
    assert existing.grade == 10


def test_centre_and_note_columns_are_optional(catalogue, auditeur):
    report = run("numero_auditeur;code_ue;date_validation\nPAR100001;NFA031;28/06/2024\n")

    assert report.ok, report.errors
    validation = auditeur.validated_ues.get()
    assert (validation.validated_on, validation.centre, validation.grade) == (
        datetime.date(2024, 6, 28), None, None
    )


def test_a_missing_column_is_a_clear_error(catalogue, auditeur):
    report = run("numero_auditeur;date_validation;note\nPAR100001;2024-06-28;12\n")

    assert report.errors == [
        "Colonne(s) obligatoire(s) absente(s) de l'en-tête : code_ue. "
        "En-tête attendu : numero_auditeur;code_ue;date_validation;centre;note"
    ]


def test_a_duplicated_column_is_a_clear_error(catalogue, auditeur):
    report = run("numero_auditeur;code_ue;code_ue;date_validation\n")

    assert report.errors == ["Colonne(s) en double dans l'en-tête : code_ue."]


def test_a_file_not_encoded_in_utf8_is_refused(catalogue, auditeur):
    report = run(HEADER + "PAR100001;NFA031;2024-02-02;PAR;12\nPAR100001;NFA008;é;;\n",
                 encoding="cp1252")

    assert report.errors == [
        "Le fichier n'est pas encodé en UTF-8 (ligne 3) : il semble enregistré en "
        "Windows-1252 (le « CSV » simple d'Excel). "
        "Enregistrez-le au format « CSV UTF-8 » puis importez-le à nouveau."
    ]
    assert not ValidatedUE.objects.exists()


def test_a_bom_is_accepted(catalogue, auditeur):
    report = import_validated_ues(
        io.BytesIO(b"\xef\xbb\xbf" + (HEADER + "PAR100001;NFA031;2024-02-02;PAR;12\n").encode())
    )

    assert report.ok, report.errors
    assert report.created == 1


def test_many_lines_take_a_bounded_number_of_queries(catalogue, centre,
                                                      django_assert_max_num_queries):
    numbers = [f"PAR{500000 + n}" for n in range(40)]
    for number in numbers:
        AuditeurFactory(profile__auditeur_number=number, profile__centre=centre)
    lines = "".join(
        f"{number};{code};2024-06-28;PAR;12\n" for number in numbers for code in catalogue
    )

    with django_assert_max_num_queries(12):
        report = run(HEADER + lines)

    assert report.created == 160
    with django_assert_max_num_queries(12):
        report = run(HEADER + lines.replace(";12\n", ";13\n"))
    assert report.updated == 160


# --- The command -------------------------------------------------------------------


def test_the_command_prints_the_report(catalogue, auditeurs):
    out = io.StringIO()

    call_command("import_ues", str(FIXTURES / "ues.csv"), stdout=out)

    assert "Import des UE validées : 4 créés, 0 mis à jour, 0 inchangé." in out.getvalue()
    assert ValidatedUE.objects.count() == 4


def test_the_command_fails_on_a_bad_file(catalogue, auditeur):
    # Neither auditeur of the fixture file exists here.
    err = io.StringIO()

    with pytest.raises(CommandError, match="aucune modification enregistrée"):
        call_command("import_ues", str(FIXTURES / "ues.csv"), stderr=err)

    assert err.getvalue().splitlines() == [
        "ligne 2 : numéro d'auditeur inconnu « PAR300001 »",
        "ligne 3 : numéro d'auditeur inconnu « PAR300001 »",
        "ligne 4 : numéro d'auditeur inconnu « LYO300003 » ; centre inconnu « LYO »",
        "ligne 5 : numéro d'auditeur inconnu « LYO300003 »",
    ]
    assert not ValidatedUE.objects.exists()
