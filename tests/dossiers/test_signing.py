"""dossiers.signing.sign_dossier: the auditeur signs and deposits his/her dossier."""

import io
from unittest import mock

import pytest
from django.core import mail
from django.core.files.storage import default_storage
from django.utils import timezone
from pypdf import PdfReader

from d3.courriels.models import Courriel
from dossiers import signing
from dossiers.digest import compute_digest, verify
from dossiers.models import Dossier, Event, Kind, PieceFile, Signature, State
from dossiers.signing import SigningRefused, TransitionError, sign_dossier
from tests.dossiers.factories import DossierFactory, PeriodFactory, PieceFactory
from tests.factories import PASSWORD, PieceTypeFactory


def pdf_text(data):
    reader = PdfReader(io.BytesIO(data))
    # Table cells wrap anywhere: compare with every run of white space as one space.
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def stored_recapitulatifs(settings):
    folder = settings.MEDIA_ROOT / "recapitulatifs"
    return sorted(path.name for path in folder.iterdir()) if folder.exists() else []


def sign(dossier, user, **overrides):
    arguments = {
        "user": user, "password": PASSWORD, "sworn": True, "ip": "203.0.113.7",
        "user_agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0",
    } | overrides
    return sign_dossier(dossier.pk, **arguments)


@pytest.fixture
def dossier(auditeur):
    """A complete draft DD + AEP: a required pièce with its file, one period."""
    return DossierFactory(auditeur=auditeur, signable=True)


@pytest.fixture
def assert_nothing_changed(settings):
    """Checks that a refused signature left the dossier, the database and the storage alone."""

    def check(dossier, state=State.BROUILLON, signatures=0):
        dossier.refresh_from_db()
        assert dossier.state == state
        assert Signature.objects.filter(dossier=dossier).count() == signatures
        assert not Event.objects.filter(dossier=dossier).exists()
        assert not Courriel.objects.exists()
        assert stored_recapitulatifs(settings) == []

    return check


def test_it_signs_and_deposits_the_dossier(dossier, auditeur, settings,
                                          django_capture_on_commit_callbacks):
    expected_digest = compute_digest(dossier)

    with django_capture_on_commit_callbacks(execute=True):
        signature = sign(dossier, auditeur)

    dossier.refresh_from_db()
    assert dossier.state == State.DEPOSE
    assert signature.dossier == dossier
    assert signature.signed_by == auditeur
    assert signature.ip_address == "203.0.113.7"
    assert signature.user_agent == "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0"
    assert signature.digest == expected_digest
    assert verify(dossier)

    event = Event.objects.get(dossier=dossier)
    assert (event.actor, event.action) == (auditeur, "sign")
    assert (event.from_state, event.to_state) == (State.BROUILLON, State.DEPOSE)
    assert event.data == {"digest": expected_digest, "signature": signature.pk}

    assert signature.recapitulatif_key.startswith("recapitulatifs/")
    assert stored_recapitulatifs(settings) == [signature.recapitulatif_key.split("/")[1]]
    with default_storage.open(signature.recapitulatif_key, "rb") as file:
        text = pdf_text(file.read())
    assert dossier.reference in text
    assert expected_digest in text
    assert "Je certifie sur l'honneur" in text
    assert "Jeanne Martin" in text
    assert "PAR100001" in text
    assert dossier.diplome.code in text

    courriel = Courriel.objects.get()
    assert courriel.template == "dossier_depose"
    assert courriel.to == auditeur.email
    assert courriel.recipient_user == auditeur
    assert courriel.dossier_reference == dossier.reference
    assert courriel.subject == f"Accusé de réception de votre dossier {dossier.reference}"
    assert courriel.attachments == [{
        "name": f"recapitulatif-{dossier.reference}.pdf",
        "path": signature.recapitulatif_key,
        "mimetype": "application/pdf",
    }]
    assert expected_digest in courriel.body_text
    assert "signé à nouveau" not in courriel.body_text
    # Delivered after commit, with the PDF attached.
    [message] = mail.outbox
    [(name, content, mimetype)] = message.attachments
    assert (name, mimetype) == (f"recapitulatif-{dossier.reference}.pdf", "application/pdf")
    assert content.startswith(b"%PDF-")


def test_the_recapitulatif_shows_the_periods_and_the_pre_assessment(dossier, auditeur):
    signature = sign(dossier, auditeur)

    with default_storage.open(signature.recapitulatif_key, "rb") as file:
        text = pdf_text(file.read())
    period = dossier.periods.get()
    assert period.employer in text
    assert "du 01/01/2018 au 31/12/2021" in text
    assert "48 mois" in text
    assert "Pré-évaluation : Conditions remplies" in text
    [file] = PieceFile.objects.filter(piece__dossier=dossier)
    assert file.original_name in text
    assert file.sha256 in text


def test_an_aep_without_any_period_can_be_signed(auditeur):
    dossier = DossierFactory(auditeur=auditeur, kind=Kind.AEP_ANTICIPEE)
    PieceFactory(dossier=dossier, deposee=True,
                 piece_type=PieceTypeFactory(required_for_dd=False, required_for_aep=True))

    signature = sign(dossier, auditeur)

    with default_storage.open(signature.recapitulatif_key, "rb") as file:
        text = pdf_text(file.read())
    assert "Aucune période d'expérience professionnelle déclarée." in text
    assert "Stage de 6 mois requis" in text


def test_it_signs_again_after_corrections(auditeur):
    dossier = DossierFactory(auditeur=auditeur, signable=True, a_completer=True)
    first = dossier.signatures.get()

    signature = sign(dossier, auditeur)

    dossier.refresh_from_db()
    assert dossier.state == State.DEPOSE
    assert list(dossier.signatures.all()) == [first, signature]
    assert verify(dossier)
    event = Event.objects.get(dossier=dossier)
    assert (event.from_state, event.to_state) == (State.A_COMPLETER, State.DEPOSE)
    accuse = Courriel.objects.get(template="dossier_depose")
    assert "complété et signé à nouveau" in accuse.body_text


# --- Refusals ------------------------------------------------------------------------


def test_a_wrong_password_is_refused(dossier, auditeur, assert_nothing_changed):
    with pytest.raises(SigningRefused) as refused:
        sign(dossier, auditeur, password="pas-le-bon-mot-de-passe")

    assert refused.value.message == "Mot de passe incorrect : votre dossier n'a pas été signé."
    assert_nothing_changed(dossier)


def test_an_empty_password_is_refused(dossier, auditeur, assert_nothing_changed):
    with pytest.raises(SigningRefused, match="Mot de passe incorrect"):
        sign(dossier, auditeur, password="")

    assert_nothing_changed(dossier)


def test_the_sworn_statement_must_be_ticked(dossier, auditeur, assert_nothing_changed):
    with pytest.raises(SigningRefused) as refused:
        sign(dossier, auditeur, sworn=False)

    assert refused.value.message == (
        "Cochez la déclaration sur l'honneur pour signer votre dossier."
    )
    assert_nothing_changed(dossier)


def test_every_missing_required_piece_is_listed(auditeur, assert_nothing_changed):
    dossier = DossierFactory(auditeur=auditeur, kind=Kind.DD_AEP)
    PieceFactory(dossier=dossier, piece_type=PieceTypeFactory(
        label="Pièce d'identité", required_for_dd=True, required_for_aep=True))
    PieceFactory(dossier=dossier, piece_type=PieceTypeFactory(
        label="Rapport d'expérience", required_for_dd=False, required_for_aep=True))
    PieceFactory(dossier=dossier, piece_type=PieceTypeFactory(
        label="Curriculum vitae", required_for_dd=False, required_for_aep=False))
    PieceFactory(dossier=dossier, deposee=True, piece_type=PieceTypeFactory(
        label="Copie du diplôme prérequis", required_for_dd=True))

    with pytest.raises(SigningRefused) as refused:
        sign(dossier, auditeur)

    assert refused.value.reasons == (
        "Pièce à déposer : Pièce d'identité.",
        "Pièce à déposer : Rapport d'expérience.",
    )
    assert refused.value.message == (
        "Le dossier ne peut pas encore être signé : Pièce à déposer : Pièce d'identité. "
        "Pièce à déposer : Rapport d'expérience."
    )
    assert_nothing_changed(dossier)


def test_a_replaced_file_does_not_count_as_a_current_one(auditeur, assert_nothing_changed):
    dossier = DossierFactory(auditeur=auditeur, signable=True)
    PieceFile.objects.filter(piece__dossier=dossier).update(replaced_at=timezone.now())

    with pytest.raises(SigningRefused, match="Pièce à déposer"):
        sign(dossier, auditeur)

    assert_nothing_changed(dossier)


def test_a_dd_needs_its_prerequisite_diploma(auditeur, assert_nothing_changed):
    dossier = DossierFactory(auditeur=auditeur, signable=True, prerequisite_title="")

    with pytest.raises(SigningRefused) as refused:
        sign(dossier, auditeur)

    assert refused.value.reasons == ("Indiquez le diplôme prérequis que vous avez obtenu.",)
    assert_nothing_changed(dossier)


@pytest.mark.parametrize(
    "state",
    [State.DEPOSE, State.EN_CONTROLE, State.TRANSMIS_DNF, State.DECISION_RENDUE],
)
def test_a_dossier_already_deposited_cannot_be_signed(state, auditeur,
                                                       assert_nothing_changed):
    dossier = DossierFactory(auditeur=auditeur, signable=True, state=state)

    with pytest.raises(TransitionError) as refused:
        sign(dossier, auditeur)

    assert refused.value.message == "Ce dossier a déjà été déposé : il ne peut plus être signé."
    assert_nothing_changed(dossier, state=state, signatures=1)


def test_a_withdrawn_dossier_cannot_be_signed(auditeur, assert_nothing_changed):
    dossier = DossierFactory(auditeur=auditeur, signable=True, retire=True)

    with pytest.raises(TransitionError, match="« Retiré »"):
        sign(dossier, auditeur)

    assert_nothing_changed(dossier, state=State.RETIRE)


@pytest.mark.parametrize("who", ["other_auditeur", "gestionnaire"])
def test_only_its_auditeur_can_sign_it(who, dossier, request, assert_nothing_changed):
    user = request.getfixturevalue(who)

    with pytest.raises(Dossier.DoesNotExist):
        sign(dossier, user)

    assert_nothing_changed(dossier)


def test_a_change_while_the_pdf_is_rendered_is_refused(dossier, auditeur,
                                                       assert_nothing_changed):
    render_pdf = signing.render_pdf

    def render_while_the_auditeur_edits(*args, **kwargs):
        data = render_pdf(*args, **kwargs)
        PeriodFactory(dossier=dossier, employer="Ajoutée dans un autre onglet")
        return data

    with (
        mock.patch.object(signing, "render_pdf", render_while_the_auditeur_edits),
        pytest.raises(TransitionError) as refused,
    ):
        sign(dossier, auditeur)

    assert refused.value.message == (
        "Le dossier a été modifié pendant la signature : relisez le récapitulatif et "
        "signez à nouveau."
    )
    assert_nothing_changed(dossier)


def test_a_failure_in_the_transaction_deletes_the_pdf(dossier, auditeur,
                                                      assert_nothing_changed):
    with (
        mock.patch("dossiers.workflow.queue_courriel", side_effect=RuntimeError("panne")),
        pytest.raises(RuntimeError),
    ):
        sign(dossier, auditeur)

    assert_nothing_changed(dossier)
