"""The CSV imports in the admin, and the accounts' admin pages around them."""

import datetime

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from auditeurs.models import AuditeurProfile, Role, User, ValidatedUE
from tests.factories import StaffFactory, UEFactory, ValidatedUEFactory

AUDITEURS_CSV = (
    "numero_auditeur;nom;prenom;civilite;email;centre\n"
    "PAR300001;Dupont;Jean;M;jean.dupont@example.org;PAR\n"
    "PAR300002;Dupont;Jean;M;;PAR\n"
)
USER_IMPORT = "admin:auditeurs_user_import"
PROFILE_IMPORT = "admin:auditeurs_auditeurprofile_import"
UE_IMPORT = "admin:auditeurs_validatedue_import"


def upload(text, name="export.csv", encoding="utf-8"):
    return SimpleUploadedFile(name, text.encode(encoding), content_type="text/csv")


def messages_of(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


@pytest.fixture
def admin_client(client, administrateur):
    client.force_login(administrateur)
    return client


@pytest.mark.parametrize("url_name", [USER_IMPORT, PROFILE_IMPORT, UE_IMPORT])
def test_the_upload_page_shows_the_expected_columns(admin_client, url_name):
    response = admin_client.get(reverse(url_name))

    assert response.status_code == 200
    assert b'enctype="multipart/form-data"' in response.content
    assert "numero_auditeur;" in response.content.decode()


def test_an_administrateur_imports_auditeurs(admin_client, centre):
    response = admin_client.post(reverse(USER_IMPORT), {"file": upload(AUDITEURS_CSV)})

    assert response.status_code == 302
    assert response.url == reverse("admin:auditeurs_user_changelist")
    assert messages_of(response) == ["Import des auditeurs : 2 créés, 0 mis à jour, 0 inchangé."]
    assert sorted(User.objects.filter(role=Role.AUDITEUR).values_list("username", flat=True)) == [
        "jean.dupont.auditeur", "jean.dupont2.auditeur"
    ]


def test_the_profiles_list_offers_the_same_import(admin_client, centre):
    response = admin_client.post(reverse(PROFILE_IMPORT), {"file": upload(AUDITEURS_CSV)})

    assert response.url == reverse("admin:auditeurs_auditeurprofile_changelist")
    assert AuditeurProfile.objects.count() == 2


def test_a_refused_file_shows_every_bad_line(admin_client, centre):
    text = AUDITEURS_CSV + "PAR300003;Durand;Paul;M;;XYZ\nPAR300004;Petit;;Mme;;PAR\n"

    response = admin_client.post(reverse(USER_IMPORT), {"file": upload(text)}, follow=True)

    assert response.status_code == 200
    page = response.content.decode()
    assert "ligne 4 : centre inconnu « XYZ »" in page
    assert "ligne 5 : prénom manquant" in page
    assert messages_of(response) == [
        "Import des auditeurs : aucune modification enregistrée, le fichier est refusé "
        "(2 lignes en erreur)."
    ]
    assert not User.objects.filter(role=Role.AUDITEUR).exists()


def test_a_file_in_the_wrong_encoding_is_explained(admin_client, centre):
    text = AUDITEURS_CSV.replace("Dupont", "Hervé")

    response = admin_client.post(reverse(USER_IMPORT),
                                 {"file": upload(text, encoding="latin-1")})

    assert response.status_code == 200
    assert "pas encodé en UTF-8 (ligne 2)" in response.content.decode()
    assert not User.objects.filter(role=Role.AUDITEUR).exists()


def test_a_dry_run_writes_nothing(admin_client, centre):
    response = admin_client.post(
        reverse(USER_IMPORT), {"file": upload(AUDITEURS_CSV), "dry_run": "on"}
    )

    assert response.status_code == 200
    assert messages_of(response) == [
        "Import des auditeurs : fichier valide, rien n'a été enregistré (simulation) : "
        "2 créés, 0 mis à jour, 0 inchangé."
    ]
    assert not User.objects.filter(role=Role.AUDITEUR).exists()


def test_a_form_without_file_is_refused(admin_client):
    response = admin_client.post(reverse(USER_IMPORT), {})

    assert response.status_code == 200
    assert "Ce champ est obligatoire." in response.content.decode()


def test_an_administrateur_imports_validated_ues(admin_client, auditeur):
    UEFactory(code="NFA031")
    text = (
        "numero_auditeur;code_ue;date_validation;centre;note\n"
        "PAR100001;NFA031;2024-06-28;PAR;15\n"
    )

    response = admin_client.post(reverse(UE_IMPORT), {"file": upload(text)})

    assert response.url == reverse("admin:auditeurs_validatedue_changelist")
    assert messages_of(response) == ["Import des UE validées : 1 créé, 0 mis à jour, 0 inchangé."]
    assert auditeur.validated_ues.get().validated_on == datetime.date(2024, 6, 28)


@pytest.mark.parametrize(
    "changelist", ["auditeurs_user", "auditeurs_auditeurprofile", "auditeurs_validatedue"]
)
def test_the_changelists_show_the_import_button(admin_client, auditeur, changelist):
    ValidatedUEFactory(auditeur=auditeur)

    response = admin_client.get(reverse(f"admin:{changelist}_changelist"))

    assert response.status_code == 200
    assert "Importer un fichier CSV" in response.content.decode()
    assert reverse(f"admin:{changelist}_import") in response.content.decode()


@pytest.mark.parametrize("role", [Role.GESTIONNAIRE, Role.AGENT_DNF, Role.MEMBRE_JURY,
                                  Role.AUDITEUR])
@pytest.mark.parametrize("url_name", [USER_IMPORT, UE_IMPORT])
def test_other_roles_are_sent_to_the_admin_log_in(client, every_role, role, url_name, centre):
    client.force_login(every_role[role])

    get = client.get(reverse(url_name))
    post = client.post(reverse(url_name), {"file": upload(AUDITEURS_CSV)})

    for response in (get, post):
        assert response.status_code == 302
        assert response.url.startswith(reverse("admin:login"))
    assert not User.objects.filter(username__startswith="jean.dupont").exists()


def test_staff_without_the_permissions_get_a_403(client, db):
    # Not a role of D3, but the admin's own rule: is_staff alone is not enough.
    clerk = StaffFactory(username="anne.staff", is_staff=True, role=Role.GESTIONNAIRE)
    client.force_login(clerk)

    assert client.get(reverse(USER_IMPORT)).status_code == 403
    assert client.get(reverse(UE_IMPORT)).status_code == 403


def test_anonymous_visitors_are_sent_to_the_admin_log_in(client, db):
    response = client.get(reverse(USER_IMPORT))

    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


# --- The accounts' admin pages --------------------------------------------------------


def test_the_user_pages_render(admin_client, auditeur, gestionnaire):
    assert admin_client.get(reverse("admin:auditeurs_user_add")).status_code == 200
    for user in (auditeur, gestionnaire):
        response = admin_client.get(reverse("admin:auditeurs_user_change", args=[user.pk]))
        assert response.status_code == 200
    page = admin_client.get(reverse("admin:auditeurs_user_change", args=[auditeur.pk]))
    # The profile is an inline of the auditeur's account, not of the staff's.
    assert "PAR100001" in page.content.decode()
    staff_page = admin_client.get(reverse("admin:auditeurs_user_change",
                                          args=[gestionnaire.pk]))
    assert "profile-TOTAL_FORMS" not in staff_page.content.decode()


def test_the_user_list_filters_by_role(admin_client, auditeur, gestionnaire):
    response = admin_client.get(reverse("admin:auditeurs_user_changelist"),
                                {"role__exact": Role.GESTIONNAIRE})

    assert list(response.context["cl"].result_list) == [gestionnaire]


def test_an_administrateur_adds_a_staff_account(admin_client, centre):
    response = admin_client.post(
        reverse("admin:auditeurs_user_add"),
        {"username": "paul.gestion", "role": Role.GESTIONNAIRE, "usable_password": "false"},
    )

    assert response.status_code == 302
    user = User.objects.get(username="paul.gestion")
    assert user.role == Role.GESTIONNAIRE
    assert not user.has_usable_password()


def test_the_profile_and_validated_ue_pages_render(admin_client, auditeur):
    validation = ValidatedUEFactory(auditeur=auditeur)

    for url in (
        reverse("admin:auditeurs_auditeurprofile_change", args=[auditeur.profile.pk]),
        reverse("admin:auditeurs_auditeurprofile_changelist") + "?completed_at__isempty=1",
        reverse("admin:auditeurs_validatedue_change", args=[validation.pk]),
        reverse("admin:auditeurs_validatedue_add"),
        reverse("admin:auditeurs_centre_changelist"),
    ):
        assert admin_client.get(url).status_code == 200, url


def test_the_validated_ue_list_has_a_fixed_number_of_queries(
    admin_client, auditeur, other_auditeur, django_assert_max_num_queries
):
    for code in ("NFA031", "NFA008", "UTC501"):
        ue = UEFactory(code=code)
        ValidatedUEFactory(auditeur=auditeur, ue=ue)
        ValidatedUEFactory(auditeur=other_auditeur, ue=ue)

    with django_assert_max_num_queries(12):
        response = admin_client.get(reverse("admin:auditeurs_validatedue_changelist"))

    assert response.status_code == 200
    assert "PAR100001" in response.content.decode()


def test_the_auditeur_autocomplete_offers_auditeurs_only(admin_client, auditeur, gestionnaire):
    response = admin_client.get(
        reverse("admin:autocomplete"),
        {"app_label": "auditeurs", "model_name": "validatedue", "field_name": "auditeur",
         "term": ""},
    )

    assert response.status_code == 200
    assert [item["id"] for item in response.json()["results"]] == [str(auditeur.pk)]


def test_validated_ues_of_an_auditeur_are_listed(admin_client, auditeur):
    ValidatedUEFactory(auditeur=auditeur, ue=UEFactory(code="GLG101"))

    response = admin_client.get(reverse("admin:auditeurs_validatedue_changelist"),
                                {"q": "PAR100001"})

    assert [v.ue.code for v in response.context["cl"].result_list] == ["GLG101"]
    assert ValidatedUE.objects.count() == 1
