"""Attestation de M1: formalities, pre-filled form, and the filled form as a PDF."""

import io

import pytest
from django.urls import reverse
from pypdf import PdfReader

from auditeurs.models import Role

PAGE = reverse("auditeurs:attestation_m1")
PDF = reverse("auditeurs:attestation_m1_pdf")


def pdf_text(response):
    reader = PdfReader(io.BytesIO(response.content))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


@pytest.fixture
def logged_in(client, auditeur):
    auditeur.email = "jeanne.martin@example.org"
    auditeur.save(update_fields=["email"])
    client.force_login(auditeur)
    return client


def valid_data(**overrides):
    data = {
        "civilite": "mme",
        "birth_name": "Martin",
        "usage_name": "",
        "first_names": "Jeanne",
        "birth_date": "1990-05-17",
        "birth_place": "Lyon",
        "address_line1": "12 rue de la République",
        "address_line2": "",
        "postal_code": "69002",
        "city": "Lyon",
        "country": "France",
        "email": "jeanne.martin@example.org",
        "phone": "",
        "master": "Master informatique, parcours systèmes d'information",
        "academic_year": "2023-2024",
        "motif": "poursuite_etudes",
        "details": "",
    }
    data.update(overrides)
    return data


def test_it_shows_the_formalities_and_a_form_filled_from_the_profile(logged_in):
    response = logged_in.get(PAGE)

    assert response.status_code == 200
    content = response.content.decode()
    assert "Qui peut la demander ?" in content
    assert "Comment faire votre demande ?" in content
    # Where to send it: the auditeur's own centre.
    assert "Cnam Paris" in content
    assert "scolarite-paris@cnam.fr" in content
    form = response.context["form"]
    assert form["birth_name"].value() == "Martin"
    assert form["first_names"].value() == "Jeanne"
    assert form["civilite"].value() == "mme"
    assert str(form["birth_date"].value()) == "1990-05-17"
    assert form["birth_place"].value() == "Lyon"
    assert form["address_line1"].value() == "12 rue de la République"
    assert form["postal_code"].value() == "69002"
    assert form["email"].value() == "jeanne.martin@example.org"
    for rendered in ('value="Martin"', 'value="1990-05-17"', 'value="69002"',
                     'value="jeanne.martin@example.org"', "PAR100001"):
        assert rendered in content
    assert "no-store" in response["Cache-Control"]


def test_it_returns_the_filled_form_as_a_pdf_download(logged_in):
    response = logged_in.post(PDF, valid_data())

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        'attachment; filename="demande-attestation-m1-PAR100001.pdf"'
    )
    assert "no-store" in response["Cache-Control"]
    assert response["X-Content-Type-Options"] == "nosniff"
    text = pdf_text(response)
    for expected in ("Jeanne", "Martin", "PAR100001", "Cnam Paris", "2023-2024",
                     "17 mai 1990", "Master informatique", "Signature du demandeur", "Fait à"):
        assert expected in text


def test_the_pdf_takes_the_numero_from_the_profile_not_from_the_request(logged_in):
    response = logged_in.post(PDF, valid_data(auditeur_number="LYO200001"))

    assert "PAR100001" in response["Content-Disposition"]
    text = pdf_text(response)
    assert "PAR100001" in text
    assert "LYO200001" not in text


def test_the_academic_year_is_written_in_one_form(logged_in):
    response = logged_in.post(PDF, valid_data(academic_year="2023 / 2024"))

    assert "2023-2024" in pdf_text(response)


def test_the_pdf_carries_the_corrections_made_in_the_form(logged_in):
    response = logged_in.post(
        PDF, valid_data(usage_name="Dupont", motif="autre", details="Dossier de VAE")
    )

    text = pdf_text(response)
    assert "Dupont" in text
    assert "Dossier de VAE" in text


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("master", "", "Indiquez le master dont vous avez validé la première année."),
        ("academic_year", "2023", "au format AAAA-AAAA"),
        ("academic_year", "2023-2025", "deux années civiles consécutives"),
        ("academic_year", "1950-1951", "doit être comprise entre"),
        ("birth_date", "31/02/1990", "Saisissez une date valide"),
        ("email", "pas-une-adresse", "Saisissez une adresse de courriel valide."),
        ("motif", "", "Choisissez le motif de votre demande."),
        ("motif", "piratage", "Choisissez l’un des motifs proposés."),
        ("birth_name", "", "Renseignez le champ « Nom de naissance »."),
    ],
)
def test_bad_input_re_renders_the_form_with_errors(logged_in, field, value, message):
    response = logged_in.post(PDF, valid_data(**{field: value}))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert "Content-Disposition" not in response
    form = response.context["form"]
    assert list(form.errors) == [field]
    content = response.content.decode().replace("&#x27;", "’").replace("'", "’")
    assert message.replace("'", "’") in content
    assert "Le formulaire contient une erreur." in content
    # What was typed is kept.
    assert form["birth_place"].value() == "Lyon"


def test_another_motif_needs_details(logged_in):
    response = logged_in.post(PDF, valid_data(motif="autre", details=""))

    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["details"]
    assert "Précisez le motif de votre demande." in response.content.decode()


def test_the_pdf_is_made_by_post_only(logged_in):
    assert logged_in.get(PDF).status_code == 405


def test_the_pdf_needs_the_csrf_token(client, auditeur):
    from django.test import Client

    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(auditeur)

    assert csrf_client.post(PDF, valid_data()).status_code == 403


@pytest.mark.parametrize(
    "role", [Role.GESTIONNAIRE, Role.AGENT_DNF, Role.MEMBRE_JURY, Role.ADMINISTRATEUR]
)
def test_other_roles_are_refused(client, every_role, role):
    client.force_login(every_role[role])

    assert client.get(PAGE).status_code == 403
    assert client.post(PDF, valid_data()).status_code == 403


@pytest.mark.parametrize("url,method", [(PAGE, "get"), (PDF, "post")])
def test_anonymous_visitors_are_sent_to_log_in(client, db, url, method):
    response = getattr(client, method)(url)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_an_auditeur_at_first_log_in_completes_the_profile_first(client, new_auditeur):
    client.force_login(new_auditeur)

    response = client.get(PAGE)

    assert response.status_code == 302
    assert response["Location"] == reverse("auditeurs:profile")
