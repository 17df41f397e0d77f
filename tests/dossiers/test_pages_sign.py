"""The récapitulatif page and the signature: what is shown, what is refused, and the
deposit that follows a good password."""

import re

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse

from d3.courriels.models import Courriel
from dossiers.digest import compute_digest
from dossiers.models import Event, Signature, State
from dossiers.pages import follow
from dossiers.signing import SWORN_STATEMENT
from tests.dossiers.factories import DossierFactory, PeriodFactory, PieceFactory
from tests.factories import PASSWORD, PieceTypeFactory

USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0"


def recapitulatif_url(dossier):
    return reverse("dossiers:recapitulatif", args=[dossier.pk])


def sign_url(dossier):
    return reverse("dossiers:sign", args=[dossier.pk])


def post_sign(client, dossier, *, sworn=True, password=PASSWORD, **extra):
    data = {"password": password}
    if sworn:
        data["sworn"] = "on"
    return client.post(sign_url(dossier), data, REMOTE_ADDR="203.0.113.7",
                       HTTP_USER_AGENT=USER_AGENT, **extra)


@pytest.fixture
def dossier(auditeur):
    """A complete draft DD + AEP: a required pièce with its file, one period."""
    return DossierFactory(auditeur=auditeur, signable=True)


@pytest.fixture
def logged_in(client, auditeur):
    client.force_login(auditeur)
    return client


def assert_nothing_changed(dossier, state=State.BROUILLON, signatures=0):
    dossier.refresh_from_db()
    assert dossier.state == state
    assert Signature.objects.filter(dossier=dossier).count() == signatures
    assert not Event.objects.filter(dossier=dossier).exists()
    assert not Courriel.objects.exists()
    assert not default_storage.exists("recapitulatifs") or not default_storage.listdir(
        "recapitulatifs"
    )[1]


def html_of(response):
    assert response.status_code == 200
    return response.content.decode()


# --- The récapitulatif -----------------------------------------------------------------


def test_the_recapitulatif_shows_everything_and_the_signing_form(logged_in, dossier):
    period = dossier.periods.get()
    piece = dossier.pieces.get()
    piece_file = piece.files.get()

    html = html_of(logged_in.get(recapitulatif_url(dossier)))

    assert f"Récapitulatif du dossier {dossier.reference}" in html
    for text in [
        "Jeanne Martin", "PAR100001", "jeanne.martin.auditeur", "Cnam Paris",
        dossier.diplome.code, dossier.diplome.title, "DUT informatique", "2012",
        "IUT Lyon 1", period.employer, "du 01/01/2018 au 31/12/2021", "48 mois",
        piece.piece_type.label, piece_file.original_name, "Pré-évaluation",
        "Conditions remplies",
    ]:
        assert text.replace("'", "&#x27;") in html, text
    assert SWORN_STATEMENT.replace("'", "&#x27;") in html
    assert 'type="checkbox" name="sworn"' in html
    assert 'autocomplete="current-password"' in html
    assert "Signer et déposer mon dossier" in html
    assert f'action="{sign_url(dossier)}"' in html
    assert "ne peut pas encore être signé" not in html
    # The steps of the draft, this one current.
    assert re.search(
        r'aria-current="step">\s*<span class="steps__title">Récapitulatif et signature', html
    )


def test_missing_things_are_listed_with_where_to_fix_them(logged_in, auditeur):
    dossier = DossierFactory(auditeur=auditeur, prerequisite_title="")
    PieceFactory(dossier=dossier, piece_type=PieceTypeFactory(label="Pièce d'identité"))

    html = html_of(logged_in.get(recapitulatif_url(dossier)))

    assert "Votre dossier ne peut pas encore être signé" in html
    assert "Indiquez le diplôme prérequis que vous avez obtenu." in html
    assert "Pièce à déposer : Pièce d&#x27;identité." in html
    assert reverse("dossiers:edit_prerequisite", args=[dossier.pk]) in html
    assert reverse("dossiers:edit_pieces", args=[dossier.pk]) in html


def test_a_deposited_dossier_shows_no_signing_form(logged_in, auditeur):
    dossier = DossierFactory(auditeur=auditeur, depose=True)

    html = html_of(logged_in.get(recapitulatif_url(dossier)))

    assert "il ne peut pas être signé" in html
    assert "Signer et déposer mon dossier" not in html
    assert 'name="password"' not in html


# --- Signing ---------------------------------------------------------------------------------


def test_signing_deposits_the_dossier(logged_in, dossier, auditeur,
                                      django_capture_on_commit_callbacks):
    digest = compute_digest(dossier)

    with django_capture_on_commit_callbacks(execute=True):
        response = post_sign(logged_in, dossier)

    assert response.status_code == 302
    assert response["Location"] == reverse("dossiers:detail", args=[dossier.pk])
    dossier.refresh_from_db()
    assert dossier.state == State.DEPOSE
    signature = Signature.objects.get(dossier=dossier)
    assert signature.signed_by == auditeur
    assert signature.ip_address == "203.0.113.7"
    assert signature.user_agent == USER_AGENT
    assert signature.digest == digest
    assert default_storage.exists(signature.recapitulatif_key)
    assert Event.objects.get(dossier=dossier).action == "sign"
    courriel = Courriel.objects.get()
    assert courriel.template == "dossier_depose"
    assert courriel.to == auditeur.email
    assert courriel.attachments[0]["path"] == signature.recapitulatif_key

    page = html_of(logged_in.get(response["Location"]))
    assert "Votre dossier est signé et déposé." in page
    assert ">Déposé</span>" in page
    assert "Dossier signé et déposé" in page
    assert reverse("dossiers:signed_pdf", args=[dossier.pk]) in page

    download = logged_in.get(reverse("dossiers:signed_pdf", args=[dossier.pk]))
    body = b"".join(download.streaming_content)
    assert body.startswith(b"%PDF")
    assert download["Content-Disposition"] == (
        f'attachment; filename="recapitulatif-{dossier.reference}.pdf"'
    )
    assert download["X-Content-Type-Options"] == "nosniff"
    assert download["Cache-Control"] == "no-store, private"

    # Read-only now: no signing form, no editing link.
    recap = html_of(logged_in.get(recapitulatif_url(dossier)))
    assert "Signer et déposer mon dossier" not in recap


def test_a_wrong_password_signs_nothing(logged_in, dossier):
    html = html_of(post_sign(logged_in, dossier, password="pas-le-bon"))

    assert 'role="alert"' in html
    assert "Mot de passe incorrect : votre dossier n&#x27;a pas été signé." in html
    assert "pas-le-bon" not in html
    assert_nothing_changed(dossier)


def test_the_sworn_statement_must_be_ticked(logged_in, dossier):
    html = html_of(post_sign(logged_in, dossier, sworn=False))

    assert 'role="alert"' in html
    assert "Cochez la déclaration sur l&#x27;honneur pour signer votre dossier." in html
    assert_nothing_changed(dossier)


def test_the_password_is_required(logged_in, dossier):
    html = html_of(post_sign(logged_in, dossier, password=""))

    assert "Saisissez votre mot de passe pour signer." in html
    assert_nothing_changed(dossier)


def test_a_missing_piece_is_refused(logged_in, auditeur):
    dossier = DossierFactory(auditeur=auditeur, signable=True)
    PieceFactory(dossier=dossier, piece_type=PieceTypeFactory(label="Curriculum vitæ"))

    html = html_of(post_sign(logged_in, dossier))

    assert 'role="alert"' in html
    assert "Le dossier ne peut pas encore être signé" in html
    assert "Pièce à déposer : Curriculum vitæ." in html
    assert_nothing_changed(dossier)


def test_an_already_deposited_dossier_is_not_signed_again(logged_in, auditeur):
    dossier = DossierFactory(auditeur=auditeur, depose=True, signable=True)

    html = html_of(post_sign(logged_in, dossier))

    assert "Ce dossier a déjà été déposé : il ne peut plus être signé." in html
    assert_nothing_changed(dossier, state=State.DEPOSE, signatures=1)


def test_a_dossier_changed_meanwhile_is_not_signed(logged_in, dossier, monkeypatch):
    """The digest checked under the lock differs from the one printed on the PDF."""
    original = follow.sign_dossier

    def sign_while_a_period_is_added(*args, **kwargs):
        from dossiers import signing

        real_store = signing._store_recapitulatif

        def store_then_change(*a, **k):
            key = real_store(*a, **k)
            PeriodFactory(dossier=dossier)
            return key

        monkeypatch.setattr(signing, "_store_recapitulatif", store_then_change)
        return original(*args, **kwargs)

    monkeypatch.setattr(follow, "sign_dossier", sign_while_a_period_is_added)

    html = html_of(post_sign(logged_in, dossier))

    assert "Le dossier a été modifié pendant la signature" in html
    assert_nothing_changed(dossier)


def test_too_many_wrong_passwords_block_signing(logged_in, dossier, auditeur):
    for _ in range(follow.SIGN_MAX_FAILURES):
        assert "Mot de passe incorrect" in html_of(post_sign(logged_in, dossier, password="x"))

    # Even the right password is refused now, and is not checked at all.
    html = html_of(post_sign(logged_in, dossier))

    assert "Trop de mots de passe incorrects" in html
    assert 'role="alert"' in html
    assert_nothing_changed(dossier)


def test_other_refusals_do_not_count_as_password_failures(logged_in, dossier):
    for _ in range(follow.SIGN_MAX_FAILURES + 1):
        post_sign(logged_in, dossier, sworn=False)

    post_sign(logged_in, dossier)

    dossier.refresh_from_db()
    assert dossier.state == State.DEPOSE


def test_the_limit_is_per_user(client, dossier, auditeur, other_auditeur):
    other = DossierFactory(auditeur=other_auditeur, signable=True)
    client.force_login(other_auditeur)
    for _ in range(follow.SIGN_MAX_FAILURES):
        post_sign(client, other, password="x")

    client.force_login(auditeur)
    post_sign(client, dossier)

    dossier.refresh_from_db()
    assert dossier.state == State.DEPOSE


def test_the_limit_window_passes(logged_in, dossier, time_machine):
    time_machine.move_to("2026-03-02 10:00:00+01:00", tick=False)
    for _ in range(follow.SIGN_MAX_FAILURES):
        post_sign(logged_in, dossier, password="x")
    assert "Trop de mots de passe" in html_of(post_sign(logged_in, dossier))

    time_machine.move_to("2026-03-02 10:16:00+01:00", tick=False)
    post_sign(logged_in, dossier)

    dossier.refresh_from_db()
    assert dossier.state == State.DEPOSE


def test_signing_is_post_only(logged_in, dossier):
    assert logged_in.get(sign_url(dossier)).status_code == 405
    assert logged_in.post(recapitulatif_url(dossier)).status_code == 405
    assert_nothing_changed(dossier)
