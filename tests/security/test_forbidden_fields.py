"""Fields an auditeur must not set, posted by hand to the auditeur's own forms.

A form only reads the fields it declares: the state, the decision, the owner, the
centre, the round of corrections, the AEP's outcome, the jury session, the dossier's
auditeur or diploma, a pièce's status, the account's role and centres, the numéro
d'auditeur… added to a valid POST are ignored — the POST does what the page offers,
and nothing else changes.
"""

import pytest
from django.contrib.messages import constants, get_messages
from django.urls import reverse

from auditeurs.models import AuditeurProfile, Role, User
from dossiers.models import Dossier, ExperiencePeriod, Piece, PieceStatus, State
from tests.dossiers import files
from tests.dossiers.factories import DossierFactory, PeriodFactory, PieceFactory
from tests.factories import PASSWORD, DiplomeFactory
from tests.jury.factories import JurySessionFactory


@pytest.fixture
def forbidden(other_auditeur, other_centre, gestionnaire):
    """Everything the auditeur would like to decide, with the names the models use
    and those a form prefix would give them."""
    session = JurySessionFactory()
    other = DossierFactory(auditeur=other_auditeur)
    values = {
        "state": State.TRANSMIS_DNF, "owner": gestionnaire.pk, "centre": other_centre.pk,
        "correction_round": "7", "corrections_due": "2030-01-01",
        "aep_outcome": "validee", "jury_session": session.pk,
        "auditeur": other_auditeur.pk, "diplome": DiplomeFactory().pk, "kind": "dd",
        "transmitted_at": "2020-01-01T00:00", "decision": "delivre",
        "dd_outcome": "delivre", "role": Role.ADMINISTRATEUR, "centres": [other_centre.pk],
        "is_staff": "on", "is_superuser": "on", "is_active": "", "username": "intrus",
        "auditeur_number": "LYO999999", "completed_at": "2000-01-01", "user": other_auditeur.pk,
        "status": PieceStatus.CONFORME, "comment": "Conforme, signé le centre",
        "dossier": other.pk,
    }
    # The draft's period form has the prefix "periode".
    values |= {f"periode-{name}": value for name, value in values.items()}
    return values, other


def dossier_row(dossier):
    return Dossier.objects.filter(pk=dossier.pk).values(
        "auditeur", "centre", "diplome", "kind", "owner", "correction_round",
        "corrections_due", "aep_outcome", "jury_session", "transmitted_at").get()


def succeeded(response):
    assert response.status_code == 302, response.status_code
    levels = [m.level for m in get_messages(response.wsgi_request)]
    assert constants.SUCCESS in levels


def test_profile_ignores_role_centres_number_and_staff_flags(client, auditeur, centre,
                                                             forbidden):
    values, _ = forbidden
    client.force_login(auditeur)
    profile = {
        "email": "jeanne.martin@example.org", "civilite": "mme", "birth_name": "Martin",
        "first_names": "Jeanne", "birth_date": "1990-05-17", "birth_place": "Lyon",
        "nationality": "Française", "address_line1": "3 rue Neuve", "postal_code": "69002",
        "city": "Lyon", "country": "France", "phone": "0612345678",
    }

    succeeded(client.post(reverse("auditeurs:profile"), {**values, **profile}))

    user = User.objects.get(pk=auditeur.pk)
    assert (user.role, user.is_staff, user.is_superuser, user.is_active, user.username) == (
        Role.AUDITEUR, False, False, True, "jeanne.martin.auditeur")
    assert list(user.centres.all()) == []
    saved = AuditeurProfile.objects.get(user=auditeur)
    assert (saved.centre, saved.auditeur_number) == (centre, "PAR100001")
    assert saved.address_line1 == "3 rue Neuve"  # what the page offers is saved
    assert AuditeurProfile.objects.filter(auditeur_number="LYO999999").count() == 0


def test_a_new_request_starts_as_a_draft_of_its_auditeur_whatever_is_posted(
    client, auditeur, centre, forbidden
):
    values, _ = forbidden
    diplome = DiplomeFactory(min_ues_for_early_aep=0)
    client.force_login(auditeur)

    succeeded(client.post(reverse("dossiers:start_kind", args=[diplome.pk]),
                          {**values, "kind": "aep_anticipee", "formation_continue": "non"}))

    dossier = Dossier.objects.get(auditeur=auditeur, diplome=diplome)
    assert dossier.state == State.BROUILLON
    assert dossier_row(dossier) == {
        "auditeur": auditeur.pk, "centre": centre.pk, "diplome": diplome.pk,
        "kind": "aep_anticipee", "owner": None, "correction_round": 0,
        "corrections_due": None, "aep_outcome": "", "jury_session": None,
        "transmitted_at": None,
    }


def test_the_prerequisite_step_saves_the_prerequisite_only(client, auditeur, forbidden):
    values, _ = forbidden
    dossier = DossierFactory(auditeur=auditeur)
    before = dossier_row(dossier)
    client.force_login(auditeur)

    succeeded(client.post(reverse("dossiers:edit_prerequisite", args=[dossier.pk]), {
        **values, "prerequisite_title": "BTS SIO", "prerequisite_year": "2014",
        "prerequisite_institution": "Lycée Turgot"}))

    dossier.refresh_from_db()
    assert (dossier.state, dossier.prerequisite_title) == (State.BROUILLON, "BTS SIO")
    assert dossier_row(dossier) == before


@pytest.mark.parametrize("page", ["edit_periods", "period_edit"])
def test_a_period_stays_on_the_auditeurs_own_draft(client, auditeur, forbidden, page):
    values, other = forbidden
    dossier = DossierFactory(auditeur=auditeur)
    period = PeriodFactory(dossier=dossier)
    before = dossier_row(dossier)
    args = [dossier.pk] + ([period.pk] if page == "period_edit" else [])
    client.force_login(auditeur)

    succeeded(client.post(reverse(f"dossiers:{page}", args=args), {
        **values, "periode-employer": "Sopra", "periode-position": "Analyste",
        "periode-start": "2016-01-01", "periode-end": "2016-12-31",
        "periode-working_time": "100", "periode-kind": "employment"}))

    assert ExperiencePeriod.objects.filter(dossier=other).count() == 0
    assert ExperiencePeriod.objects.get(employer="Sopra").dossier_id == dossier.pk
    assert dossier_row(dossier) == before
    assert Dossier.objects.get(pk=dossier.pk).state == State.BROUILLON


def test_an_upload_leaves_the_verdict_to_the_centre(client, auditeur, forbidden):
    values, _ = forbidden
    dossier = DossierFactory(auditeur=auditeur)
    piece = PieceFactory(dossier=dossier)
    client.force_login(auditeur)

    response = client.post(reverse("dossiers:piece_upload", args=[dossier.pk, piece.pk]), {
        **values, "fichier": files.upload(files.pdf_bytes(), "diplome.pdf")})

    succeeded(response)
    piece.refresh_from_db()
    assert (piece.status, piece.comment) == (PieceStatus.DEPOSEE, "")


def test_a_correction_upload_leaves_the_verdict_to_the_centre(client, auditeur, forbidden):
    values, _ = forbidden
    dossier = DossierFactory(auditeur=auditeur, a_completer=True, correction_round=1)
    piece = PieceFactory(dossier=dossier, status=PieceStatus.ERRONEE, comment="Illisible.")
    before = dossier_row(dossier)
    client.force_login(auditeur)

    response = client.post(reverse("dossiers:correction_upload", args=[dossier.pk, piece.pk]),
                           {**values, "fichier": files.upload(files.pdf_bytes(), "v2.pdf")})

    succeeded(response)
    piece.refresh_from_db()
    assert (piece.status, piece.comment) == (PieceStatus.DEPOSEE, "Illisible.")
    assert dossier_row(dossier) == before
    assert Dossier.objects.get(pk=dossier.pk).state == State.A_COMPLETER


def test_signing_deposits_the_dossier_and_nothing_more(client, auditeur, forbidden):
    values, _ = forbidden
    dossier = DossierFactory(auditeur=auditeur, signable=True)
    before = dossier_row(dossier)
    client.force_login(auditeur)

    succeeded(client.post(reverse("dossiers:sign", args=[dossier.pk]),
                          {**values, "sworn": "on", "password": PASSWORD}))

    assert Dossier.objects.get(pk=dossier.pk).state == State.DEPOSE
    assert dossier_row(dossier) == before


def test_withdrawing_withdraws_and_nothing_more(client, auditeur, forbidden):
    values, _ = forbidden
    dossier = DossierFactory(auditeur=auditeur, depose=True)
    before = dossier_row(dossier)
    client.force_login(auditeur)

    succeeded(client.post(reverse("dossiers:withdraw", args=[dossier.pk]),
                          {**values, "comment": "Je renonce."}))

    assert Dossier.objects.get(pk=dossier.pk).state == State.RETIRE
    assert dossier_row(dossier) == before


def test_an_auditeur_cannot_post_a_decision_nor_a_verdict(client, auditeur, forbidden):
    """The jury's and the centre's forms are not the auditeur's, even on his/her own
    dossier: the capability refuses them before any field is read."""
    values, _ = forbidden
    dossier = DossierFactory(auditeur=auditeur, en_controle=True)
    piece = PieceFactory(dossier=dossier, status=PieceStatus.DEPOSEE)
    before = dossier_row(dossier)
    client.force_login(auditeur)

    for url in (reverse("jury:member_decision", args=[dossier.pk]),
                reverse("dossiers:centre_piece_verdict", args=[dossier.pk, piece.pk]),
                reverse("dossiers:centre_declare_complete", args=[dossier.pk])):
        assert client.post(url, {**values, "confirm": "on",
                                 f"piece-{piece.pk}-status": "conforme"}).status_code == 403

    assert dossier_row(dossier) == before
    assert Piece.objects.get(pk=piece.pk).status == PieceStatus.DEPOSEE
    assert Dossier.objects.get(pk=dossier.pk).state == State.EN_CONTROLE
