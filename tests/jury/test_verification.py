"""The public verification of a courrier's code: reference, date and kind of decision,
nothing else; an unknown code says so; rate limited per address."""

import datetime

import pytest
from django.urls import reverse

from jury.letters import LetterKind, format_code
from jury.verification import VerificationResult, lookup
from tests.jury.factories import CourrierFactory, JurySessionFactory

URL = "/verification/"


@pytest.fixture
def courrier(auditeur, diplome):
    session = JurySessionFactory(closed=True, date=datetime.date(2027, 1, 31),
                                 diplomes=[diplome])
    return CourrierFactory(dossier__session=session, dossier__auditeur=auditeur,
                           dossier__decision__refuse=True)


def test_the_url():
    assert reverse("jury:verification") == URL


def test_lookup_gives_only_the_public_facts(courrier):
    assert lookup(courrier.verification_code) == VerificationResult(
        reference=courrier.dossier.reference,
        letter_date=datetime.date(2027, 2, 28),
        decision_kind=LetterKind.DIPLOME_REFUSE,
        decision_kind_label="Demande de diplôme : refus de délivrance",
    )


def test_lookup_accepts_the_printed_form(courrier):
    printed = format_code(courrier.verification_code).lower()
    assert lookup(f"  {printed} ").reference == courrier.dossier.reference
    assert lookup(printed.replace("-", " ")).reference == courrier.dossier.reference


@pytest.mark.parametrize("code", ["", "ABCD", "ABCD-EFGH-JKMN-PQRS", "x" * 40])
def test_lookup_of_an_unknown_code(courrier, code):
    assert lookup(code) is None


def test_the_page_shows_a_form(client, db):
    response = client.get(URL)

    assert response.status_code == 200
    page = response.content.decode()
    assert "<h1>Vérifier un courrier de décision</h1>" in page
    assert 'name="code"' in page
    assert "Aucun courrier" not in page


def test_a_known_code_shows_the_reference_the_date_and_the_kind_only(client, courrier):
    response = client.post(URL, {"code": format_code(courrier.verification_code)})

    assert response.status_code == 200
    page = response.content.decode()
    assert "Ce courrier a bien été émis par le Cnam" in page
    assert courrier.dossier.reference in page
    assert "28 février 2027" in page
    assert "Demande de diplôme : refus de délivrance" in page
    # No other personal data: not the name, the address, the diploma nor the motive.
    for secret in ("Jeanne", "Martin", "République", "Lyon", "PAR100001",
                   courrier.dossier.decision.motive, courrier.dossier.diplome.title):
        assert secret not in page, secret


def test_a_code_in_the_link(client, courrier):
    response = client.get(URL, {"code": courrier.verification_code})

    assert "Ce courrier a bien été émis par le Cnam" in response.content.decode()


def test_an_unknown_code_says_so(client, courrier):
    response = client.post(URL, {"code": "ABCD-EFGH-JKMN-PQRS"})

    assert response.status_code == 200
    page = response.content.decode()
    assert "Aucun courrier ne correspond à ce code" in page
    assert courrier.dossier.reference not in page


def test_an_empty_code_is_a_form_error(client, db):
    response = client.post(URL, {"code": ""})

    page = response.content.decode()
    assert "Ce champ est obligatoire." in page
    assert "Aucun courrier" not in page


def test_it_is_open_to_anyone_signed_in_or_not(client, every_role, courrier):
    for user in every_role.values():
        client.force_login(user)
        response = client.get(URL, {"code": courrier.verification_code})
        assert response.status_code == 200, user


def test_look_ups_are_rate_limited_per_address(client, courrier, settings):
    for _ in range(settings.D3_RATE_LIMITS["verification"][0]):
        assert client.post(URL, {"code": "ABCD-EFGH-JKMN-PQRS"}).status_code == 200

    refused = client.post(URL, {"code": courrier.verification_code})
    assert refused.status_code == 429
    assert "Trop de demandes" in refused.content.decode()
    assert courrier.dossier.reference not in refused.content.decode()
    # Another address is not held back; showing the empty form is not a look-up.
    assert client.get(URL).status_code == 200
    other = client.post(URL, {"code": courrier.verification_code}, REMOTE_ADDR="192.0.2.99")
    assert other.status_code == 200
