"""dossiers.digest: any change to what the auditeur signed breaks the verification."""

import datetime
import hashlib
import json
from unittest import mock

import pytest
from django.utils import timezone

from dossiers.digest import canonical_json, compute_digest, dossier_content, verify
from dossiers.models import (
    AepOutcome,
    Dossier,
    ExperiencePeriod,
    Kind,
    PeriodKind,
    PieceFile,
    PieceStatus,
    State,
)
from tests.dossiers.factories import (
    DossierFactory,
    PeriodFactory,
    PieceFactory,
    PieceFileFactory,
    SignatureFactory,
    sample_pdf,
)
from tests.factories import DiplomeFactory, PieceTypeFactory


@pytest.fixture
def dossier(auditeur):
    dossier = DossierFactory(auditeur=auditeur)
    PeriodFactory(dossier=dossier, employer="Société Générale d'Études",
                  start=datetime.date(2015, 3, 1), end=datetime.date(2018, 2, 28))
    PeriodFactory(dossier=dossier, employer="Atelier Zoé", start=datetime.date(2019, 1, 1),
                  end=None, working_time=50, in_specialty=False)
    identite = PieceFactory(dossier=dossier, piece_type=PieceTypeFactory(code="identite"))
    PieceFileFactory(piece=identite, original_name="carte-identité.pdf")
    rapport = PieceFactory(dossier=dossier, piece_type=PieceTypeFactory(code="rapport"))
    PieceFileFactory(piece=rapport, original_name="rapport-1.pdf")
    PieceFileFactory(piece=rapport, original_name="rapport-2.pdf")
    SignatureFactory(dossier=dossier)
    return dossier


def test_the_content_holds_what_is_signed(dossier):
    content = dossier_content(dossier)

    assert content["kind"] == Kind.DD_AEP
    assert content["diplome"] == dossier.diplome.code
    assert content["reference"] == dossier.reference
    assert content["prerequisite"] == {
        "title": "DUT informatique", "year": 2012, "institution": "IUT Lyon 1",
    }
    assert content["auditeur"] == {
        "username": "jeanne.martin.auditeur", "auditeur_number": "PAR100001",
    }
    assert [p["employer"] for p in content["periods"]] == [
        "Société Générale d'Études", "Atelier Zoé",
    ]
    assert content["periods"][1] | {"employer": "", "tasks": ""} == {
        "employer": "", "position": "Développeur", "start": "2019-01-01", "end": None,
        "working_time": 50, "in_specialty": False, "at_level": True,
        "kind": PeriodKind.EMPLOYMENT, "tasks": "",
    }
    assert sorted((f["piece_type"], f["original_name"]) for f in content["pieces"]) == [
        ("identite", "carte-identité.pdf"),
        ("rapport", "rapport-1.pdf"),
        ("rapport", "rapport-2.pdf"),
    ]
    assert all(len(f["sha256"]) == 64 for f in content["pieces"])
    json.dumps(content)  # plain data only


def test_the_digest_is_the_sha256_of_the_canonical_json(dossier):
    content = dossier_content(dossier)
    expected = hashlib.sha256(
        json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        .encode("utf-8")
    ).hexdigest()

    assert compute_digest(dossier) == expected == compute_digest(dossier)
    assert "é" in canonical_json(content)  # UTF-8 as is, not \u escapes


def test_it_verifies_against_the_latest_signature(dossier):
    assert verify(dossier)

    SignatureFactory(dossier=dossier, digest="0" * 64,
                     signed_at=timezone.now() + datetime.timedelta(minutes=1))

    assert not verify(dossier)


def test_a_dossier_never_signed_does_not_verify(auditeur):
    assert not verify(DossierFactory(auditeur=auditeur))


# --- Every change breaks it ------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("kind", Kind.AEP_ANTICIPEE),
        ("prerequisite_title", "BTS SIO"),
        ("prerequisite_year", 2013),
        ("prerequisite_institution", "Lycée Ampère"),
    ],
)
def test_a_change_to_a_dossier_field_breaks_it(field, value, dossier):
    setattr(dossier, field, value)
    dossier.save()

    assert not verify(dossier)


def test_another_diploma_breaks_it(dossier):
    dossier.diplome = DiplomeFactory(code="LG02502A")
    dossier.save()

    assert not verify(dossier)


def test_a_change_of_the_auditeurs_identity_breaks_it(dossier, auditeur):
    auditeur.profile.auditeur_number = "PAR999999"
    auditeur.profile.save()
    dossier.refresh_from_db()

    assert not verify(dossier)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("employer", "Atelier Zoe"),
        ("position", "Chef de projet"),
        ("start", datetime.date(2019, 1, 2)),
        ("end", datetime.date(2024, 12, 31)),
        ("working_time", 60),
        ("in_specialty", True),
        ("at_level", False),
        ("kind", PeriodKind.SELF_EMPLOYED),
        ("tasks", "Autre chose."),
    ],
)
def test_a_change_to_a_period_breaks_it(field, value, dossier):
    period = dossier.periods.get(employer="Atelier Zoé")
    setattr(period, field, value)
    period.save()

    assert not verify(dossier)


def test_an_added_or_removed_period_breaks_it(dossier):
    PeriodFactory(dossier=dossier)
    assert not verify(dossier)

    dossier.periods.order_by("-pk").first().delete()
    assert verify(dossier)
    dossier.periods.first().delete()
    assert not verify(dossier)


def test_a_replaced_file_breaks_it(dossier, auditeur):
    old = PieceFile.objects.get(original_name="carte-identité.pdf")
    old.replaced_at = timezone.now()
    old.save()
    PieceFileFactory(piece=old.piece, original_name="carte-identité.pdf")

    assert not verify(dossier)


def test_a_file_with_the_same_name_and_other_bytes_breaks_it(dossier):
    PieceFile.objects.filter(original_name="rapport-2.pdf").update(
        sha256=hashlib.sha256(sample_pdf("Autre rapport")).hexdigest()
    )

    assert not verify(dossier)


def test_a_renamed_file_breaks_it(dossier):
    PieceFile.objects.filter(original_name="rapport-2.pdf").update(original_name="r2.pdf")

    assert not verify(dossier)


def test_an_added_file_breaks_it(dossier):
    PieceFileFactory(piece=PieceFactory(dossier=dossier))

    assert not verify(dossier)


# --- What is not the auditeur's content does not ---------------------------------------


def test_the_review_and_the_jury_do_not_break_it(dossier, gestionnaire):
    dossier.pieces.update(status=PieceStatus.ERRONEE, comment="Illisible.")
    dossier.state = State.DECISION_RENDUE
    dossier.aep_outcome = AepOutcome.VALIDEE
    dossier.save()

    assert verify(dossier)


def test_files_replaced_before_signing_do_not_count(dossier):
    rapport = dossier.pieces.get(piece_type__code="rapport")
    PieceFileFactory(piece=rapport, replaced_at=timezone.now())

    assert verify(dossier)


def test_an_empty_piece_does_not_count(dossier):
    PieceFactory(dossier=dossier)

    assert verify(dossier)


def test_the_order_rows_come_in_does_not_matter(dossier):
    expected = compute_digest(dossier)

    with (
        mock.patch.object(ExperiencePeriod._meta, "ordering", ["-start", "-pk"]),
        mock.patch.object(PieceFile._meta, "ordering", ["-original_name", "-pk"]),
    ):
        assert compute_digest(dossier) == expected


def test_prefetched_rows_are_not_trusted(dossier):
    """Under the signing lock the digest must be the rows' as they are now."""
    cached = Dossier.objects.prefetch_related("periods", "pieces__files").get(pk=dossier.pk)
    ExperiencePeriod.objects.filter(dossier=dossier).update(working_time=10)

    assert not verify(cached)


def test_the_same_periods_in_another_order_give_the_same_content(auditeur):
    first = DossierFactory(auditeur=auditeur)
    second = DossierFactory(auditeur=auditeur, diplome=first.diplome)
    dates = [datetime.date(2016, 1, 1), datetime.date(2012, 1, 1), datetime.date(2016, 1, 1)]
    employers = ["A", "B", "C"]
    for start, employer in zip(dates, employers, strict=True):
        PeriodFactory(dossier=first, start=start, employer=employer)
    for start, employer in reversed(list(zip(dates, employers, strict=True))):
        PeriodFactory(dossier=second, start=start, employer=employer)

    assert dossier_content(first)["periods"] == dossier_content(second)["periods"]
