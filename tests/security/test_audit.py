"""The audit trail: log-ins, failed log-ins and log-outs; refused accesses to objects that
exist but are not the user's; every staff download of a pièce; read-only for the
administrateur. And no password, key or token in any log record or audit entry."""

import logging
import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from auditeurs.models import User
from d3.audit.models import USER_AGENT_LENGTH, Action, AuditEntry
from d3.audit.redaction import redact
from tests.dossiers.factories import DossierFactory, PieceFactory
from tests.factories import PASSWORD
from tests.jury.factories import JurySessionFactory

pytestmark = pytest.mark.django_db

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) " + "Chrome/130.0 " * 40


def log_in(client, username, password=PASSWORD, **extra):
    return client.post(reverse("account_login"), {"login": username, "password": password},
                       HTTP_USER_AGENT=BROWSER, **extra)


def entries(action):
    return list(AuditEntry.objects.filter(action=action).order_by("pk"))


# --- Log-in, failed log-in, log-out ------------------------------------------------------


def test_a_log_in_is_recorded_with_address_and_browser(client, auditeur):
    log_in(client, auditeur.username, REMOTE_ADDR="198.51.100.20")

    [entry] = entries(Action.CONNEXION)
    assert entry.actor == auditeur
    assert entry.actor_identifier == auditeur.username
    assert entry.client_ip == "198.51.100.20"
    assert entry.user_agent == BROWSER[:USER_AGENT_LENGTH]


def test_a_failed_log_in_is_recorded_against_the_account_it_names(client, auditeur):
    log_in(client, auditeur.username, "pas-le-bon")
    log_in(client, "personne.inconnue.auditeur", "pas-le-bon")

    known, unknown = entries(Action.ECHEC_CONNEXION)
    assert (known.actor, known.actor_identifier) == (auditeur, auditeur.username)
    assert (unknown.actor, unknown.actor_identifier) == (None, "personne.inconnue.auditeur")
    assert not entries(Action.CONNEXION)


def test_a_log_out_is_recorded(client, auditeur):
    client.force_login(auditeur)
    client.post(reverse("account_logout"))

    [entry] = entries(Action.DECONNEXION)
    assert entry.actor == auditeur


def test_the_address_is_the_one_the_trusted_proxy_saw_and_only_then(client, auditeur,
                                                                    settings):
    log_in(client, auditeur.username, "pas-le-bon", HTTP_X_FORWARDED_FOR="10.9.9.9")
    settings.D3_TRUSTED_PROXY_HEADER = "X-Forwarded-For"
    log_in(client, auditeur.username, "pas-le-bon",
           HTTP_X_FORWARDED_FOR="10.9.9.9, 198.51.100.30")

    spoofed, forwarded = entries(Action.ECHEC_CONNEXION)
    assert spoofed.client_ip == "127.0.0.1"  # the peer: the header is not trusted
    assert forwarded.client_ip == "198.51.100.30"


def test_the_entries_outlive_the_account(client, new_auditeur):
    log_in(client, new_auditeur.username)
    username = new_auditeur.username
    User.objects.filter(pk=new_auditeur.pk).delete()

    [entry] = entries(Action.CONNEXION)
    assert (entry.actor, entry.actor_identifier) == (None, username)


# --- Refused accesses ----------------------------------------------------------------------


@pytest.fixture
def foreign(other_auditeur, other_centre):
    """Objects of the other centre, of another auditeur, of a session nobody here sits on."""
    draft = DossierFactory(auditeur=other_auditeur, centre=other_centre)
    signed = DossierFactory(auditeur=other_auditeur, centre=other_centre, depose=True)
    piece = PieceFactory(dossier=signed, deposee=True)
    return {
        "draft": draft,
        "signed": signed,
        "file": piece.files.get(),
        "session": JurySessionFactory(),
        "transmis": DossierFactory(auditeur=other_auditeur, transmis_dnf=True),
    }


REFUSALS = [
    # (who, URL name, arguments from the foreign objects, the object refused)
    ("auditeur", "dossiers:detail", ["signed"], "signed"),
    ("auditeur", "dossiers:edit_pieces", ["draft"], "draft"),
    ("auditeur", "dossiers:corrections", ["signed"], "signed"),
    ("auditeur", "dossiers:signed_pdf", ["signed"], "signed"),
    ("auditeur", "dossiers:piece_file", ["signed", "file"], "signed"),
    ("gestionnaire", "dossiers:centre_dossier", ["signed"], "signed"),
    ("gestionnaire", "dossiers:piece_file", ["signed", "file"], "signed"),
    ("membre_jury", "jury:member_session", ["session"], "session"),
    ("membre_jury", "jury:member_dossier", ["transmis"], "transmis"),
]


@pytest.mark.parametrize(("who", "name", "arguments", "refused"), REFUSALS,
                         ids=[f"{who}-{name}" for who, name, _, _ in REFUSALS])
def test_a_refused_access_to_an_existing_object_is_recorded(client, request, foreign, who,
                                                            name, arguments, refused):
    user = request.getfixturevalue(who)
    client.force_login(user)

    response = client.get(reverse(name, args=[foreign[a].pk for a in arguments]))

    assert response.status_code == 404
    [entry] = entries(Action.ACCES_REFUSE)
    assert entry.actor == user
    assert entry.object_type == foreign[refused]._meta.label_lower
    assert entry.object_id == str(foreign[refused].pk)


def test_a_page_of_another_role_is_a_recorded_refusal(client, gestionnaire):
    client.force_login(gestionnaire)

    assert client.get(reverse("jury:dnf_sessions")).status_code == 403

    [entry] = entries(Action.ACCES_REFUSE)
    assert (entry.actor, entry.object_type, entry.object_id) == (
        gestionnaire, "page", "jury:dnf_sessions")


def test_a_file_of_another_dossier_through_ones_own_is_recorded(client, auditeur, foreign):
    own = DossierFactory(auditeur=auditeur, depose=True)
    client.force_login(auditeur)

    response = client.get(reverse("dossiers:piece_file", args=[own.pk, foreign["file"].pk]))

    assert response.status_code == 404
    [entry] = entries(Action.ACCES_REFUSE)
    assert (entry.object_type, entry.object_id) == ("dossiers.piecefile",
                                                    str(foreign["file"].pk))


def test_an_identifier_that_exists_nowhere_is_a_plain_404(client, auditeur):
    client.force_login(auditeur)
    assert client.get(reverse("dossiers:detail", args=[987654])).status_code == 404
    assert not entries(Action.ACCES_REFUSE)


def test_ones_own_dossier_is_not_a_refusal(client, auditeur):
    dossier = DossierFactory(auditeur=auditeur, depose=True)
    client.force_login(auditeur)
    assert client.get(reverse("dossiers:detail", args=[dossier.pk])).status_code == 200
    assert not entries(Action.ACCES_REFUSE)


# --- Staff downloads of pièces -----------------------------------------------------------


def download(client, piece_file):
    response = client.get(reverse("dossiers:piece_file",
                                  args=[piece_file.piece.dossier_id, piece_file.pk]))
    b"".join(response.streaming_content)
    return response


def test_every_staff_download_of_a_piece_is_recorded(client, auditeur, gestionnaire):
    piece = PieceFactory(dossier=DossierFactory(auditeur=auditeur, depose=True), deposee=True)
    piece_file = piece.files.get()
    client.force_login(gestionnaire)

    for _ in range(2):
        assert download(client, piece_file).status_code == 200

    downloads = entries(Action.TELECHARGEMENT_PIECE)
    assert len(downloads) == 2
    assert {(e.actor, e.object_type, e.object_id) for e in downloads} == {
        (gestionnaire, "dossiers.piecefile", str(piece_file.pk))}


def test_the_auditeur_downloading_his_own_pieces_is_not_recorded(client, auditeur):
    piece = PieceFactory(dossier=DossierFactory(auditeur=auditeur), deposee=True)
    client.force_login(auditeur)
    assert download(client, piece.files.get()).status_code == 200
    assert not entries(Action.TELECHARGEMENT_PIECE)


# --- The administrateur reads the trail; nobody changes it ------------------------------


def test_the_administrateur_reads_and_filters_the_trail(client, administrateur, auditeur):
    log_in(client, auditeur.username, "pas-le-bon")
    client.force_login(administrateur)

    page = client.get("/admin/audit/auditentry/", {"action__exact": Action.ECHEC_CONNEXION})

    assert page.status_code == 200
    html = page.content.decode()
    assert auditeur.username in html
    assert "Échec de connexion" in html
    assert 'href="/admin/audit/auditentry/add/"' not in html
    entry = AuditEntry.objects.filter(action=Action.ECHEC_CONNEXION).get()
    assert 'name="_save"' not in client.get(
        f"/admin/audit/auditentry/{entry.pk}/change/").content.decode()
    assert client.get("/admin/audit/auditentry/add/").status_code == 403
    assert client.post(f"/admin/audit/auditentry/{entry.pk}/delete/",
                       {"post": "yes"}).status_code == 403
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


@pytest.mark.parametrize("who", ["auditeur", "gestionnaire", "agent_dnf"])
def test_nobody_else_reads_it(client, request, who):
    client.force_login(request.getfixturevalue(who))
    response = client.get("/admin/audit/auditentry/")
    assert response.status_code in (302, 403)
    assert "Échec de connexion" not in response.content.decode()


# --- No password, key or token in the logs ------------------------------------------------

NEW_PASSWORD = "Nouveau-Secret-2026!"


def test_no_password_or_reset_key_reaches_a_log_or_the_trail(client, auditeur, caplog):
    caplog.set_level(logging.DEBUG)
    log_in(client, auditeur.username)
    client.post(reverse("account_logout"))
    log_in(client, auditeur.username, "Mauvais-Secret-2026")
    client.post(reverse("account_reset_password"), {"email": auditeur.email})
    link = re.search(r"https?://[^/\s]+(/compte/password/reset/key/(\S+?)/)",
                     mail.outbox[-1].body)
    path, key = link.group(1), link.group(2)
    token = key.split("-", 1)[1]
    # Django logs the path of a refused request, the key in it: a form posted
    # without its CSRF cookie (a blocked cookie, a stale tab).
    assert Client(enforce_csrf_checks=True).post(path, {}).status_code == 403
    # allauth keeps the key in the session and sends to a page without it.
    set_password = client.get(path)
    client.post(set_password["Location"],
                {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert log_in(client, auditeur.username, NEW_PASSWORD).status_code == 302

    logged = "\n".join(
        f"{record.name} {record.getMessage()} {record.args!r}" for record in caplog.records
    )
    assert "Forbidden (CSRF cookie not set.): /compte/password/reset/key/[masqué]/" in logged
    trail = "\n".join(
        " ".join(str(value) for value in row)
        for row in AuditEntry.objects.values_list()
    )
    assert {e.action for e in AuditEntry.objects.all()} >= {
        Action.CONNEXION, Action.DECONNEXION, Action.ECHEC_CONNEXION}
    for secret in [PASSWORD, "Mauvais-Secret-2026", NEW_PASSWORD, token]:
        assert secret not in logged
        assert secret not in trail


@pytest.mark.parametrize(("message", "expected"), [
    ("Not Found: /compte/password/reset/key/1a-c3x-9f0e2b/",
     "Not Found: /compte/password/reset/key/[masqué]/"),
    ('"GET /compte/password/reset/key/1a-set-password/ HTTP/1.1" 200',
     '"GET /compte/password/reset/key/[masqué]/ HTTP/1.1" 200'),
    ("Bad Request: /x/?token=abc123&page=2", "Bad Request: /x/?token=[masqué]&page=2"),
    ("POST password=hunter2", "POST password=[masqué]"),
    ("Not Found: /dossiers/12/", "Not Found: /dossiers/12/"),
])
def test_the_log_filter_masks_keys_and_secrets_only(message, expected):
    assert redact(message) == expected


def test_gunicorns_access_log_is_masked_too(caplog):
    """gunicorn logs each request line through a logger of its own."""
    caplog.set_level(logging.INFO, logger="gunicorn.access")
    request_line = "GET /compte/password/reset/key/1k-dihk51-96e80b1a/ HTTP/1.1"
    logging.getLogger("gunicorn.access").info(
        '%(h)s "%(r)s" %(s)s', {"h": "198.51.100.4", "r": request_line, "s": "302"})
    assert caplog.messages == [
        '198.51.100.4 "GET /compte/password/reset/key/[masqué]/ HTTP/1.1" 302']
