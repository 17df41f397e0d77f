"""Rate limits: the verification page per client address, uploads per auditeur, log-in
per identifier; each refuses with a French answer, stores nothing, and opens again once
the clock has moved on."""

import datetime
import threading
import uuid
from html import unescape

import pytest
import time_machine
from django.conf import settings as settings_module
from django.contrib.auth import SESSION_KEY
from django.contrib.messages import get_messages
from django.core.cache import caches
from django.core.files.storage import default_storage
from django.urls import reverse

from d3 import ratelimits
from dossiers.models import Dossier, PieceFile, PieceStatus, State
from tests.dossiers import files
from tests.dossiers.factories import DossierFactory, PieceFactory
from tests.factories import PASSWORD, PieceTypeFactory

pytestmark = pytest.mark.django_db

# The start of a 10-minute (and of an hour) window of the counters.
START = datetime.datetime(2026, 11, 23, 9, 0, tzinfo=datetime.UTC)
VERIFICATION = "/verification/"
UNKNOWN_CODE = {"code": "ABCD-EFGH-JKMN-PQRS"}


def statuses(client, count, **extra):
    return [client.post(VERIFICATION, UNKNOWN_CODE, **extra).status_code for _ in range(count)]


# --- Verification page: 20 look-ups per 10 minutes and per address --------------------


def test_the_verification_page_allows_20_look_ups_in_10_minutes_then_answers_429(client):
    with time_machine.travel(START, tick=False) as clock:
        assert statuses(client, 20) == [200] * 20
        refused = client.post(VERIFICATION, UNKNOWN_CODE)
        assert refused.status_code == 429
        assert "Patientez quelques minutes avant de réessayer" in unescape(
            refused.content.decode())

        # Past the edge of the counting window: the last 10 minutes still hold 21 look-ups.
        clock.move_to(START + datetime.timedelta(minutes=10, seconds=1))
        assert client.post(VERIFICATION, UNKNOWN_CODE).status_code == 429
        # Once the look-ups have aged out, the page answers again, 20 times.
        clock.move_to(START + datetime.timedelta(minutes=30))
        assert statuses(client, 20) == [200] * 20
        assert client.post(VERIFICATION, UNKNOWN_CODE).status_code == 429


def test_showing_the_empty_form_is_not_a_look_up(client):
    with time_machine.travel(START, tick=False):
        assert [client.get(VERIFICATION).status_code for _ in range(25)] == [200] * 25
        assert statuses(client, 20) == [200] * 20


def test_another_address_is_not_held_back(client):
    with time_machine.travel(START, tick=False):
        statuses(client, 21)
        assert statuses(client, 20, REMOTE_ADDR="192.0.2.77") == [200] * 20


def test_an_ipv6_client_is_counted_by_its_64_network_as_allauth_does(client):
    """One subscriber holds a whole /64: changing address within it dodges nothing."""
    with time_machine.travel(START, tick=False):
        answers = [client.post(VERIFICATION, UNKNOWN_CODE,
                               REMOTE_ADDR=f"2001:db8:1:2::{n:x}").status_code
                   for n in range(21)]
        assert answers == [200] * 20 + [429]
        assert statuses(client, 1, REMOTE_ADDR="2001:db8:1:3::1") == [200]


REDIS = settings_module.CELERY_BROKER_URL if settings_module.CELERY_BROKER_URL.startswith(
    "redis") else None


@pytest.mark.skipif(REDIS is None, reason="Redis requis (CI le fournit)")
def test_on_redis_workers_share_one_exact_count(settings):
    """Two workers hitting at once: 20 look-ups let through in all, never more."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": REDIS,
                                   "KEY_PREFIX": f"test-rl-{uuid.uuid4().hex}"}}
    start = threading.Barrier(2)
    allowed = []

    def worker():
        start.wait()
        allowed.extend(ratelimits.hit("verification", "198.51.100.5") for _ in range(15))

    with time_machine.travel(START, tick=False):
        threads = [threading.Thread(target=worker) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert allowed.count(True) == 20
    assert allowed.count(False) == 10
    assert type(caches["default"]).__name__ == "RedisCache"


def test_an_unreachable_cache_does_not_take_the_page_down(client, settings, caplog):
    # A closed port: every cache call fails at once.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": "redis://127.0.0.1:1/0"}}
    assert statuses(client, 3) == [200] * 3
    assert "Rate limit verification not counted" in caplog.text


# --- Uploads: 60 files per hour and per auditeur, draft and corrections together -------


@pytest.fixture
def draft_piece(auditeur):
    dossier = DossierFactory(auditeur=auditeur)
    return PieceFactory(dossier=dossier, piece_type=PieceTypeFactory(
        code="cv", label="Curriculum vitæ", accepted_formats=["pdf"]))


@pytest.fixture
def flagged_piece(auditeur):
    dossier = DossierFactory(auditeur=auditeur, en_controle=True, signable=False)
    piece = PieceFactory(dossier=dossier, status=PieceStatus.MANQUANTE,
                         comment="Le justificatif n'a pas été déposé.",
                         piece_type=PieceTypeFactory(code="attestation",
                                                     label="Attestation d'employeur",
                                                     accepted_formats=["pdf"]))
    # Corrections asked just before the tests' frozen clock: a replacement uploaded at
    # START counts as made during this round, so it may itself be replaced (a real-time
    # state_changed_at would lie after START and make every later upload a refusal).
    Dossier.objects.filter(pk=dossier.pk).update(
        state=State.A_COMPLETER, state_changed_at=START - datetime.timedelta(minutes=5))
    return piece


PDF = files.pdf_bytes()


def upload_draft(client, piece):
    return client.post(reverse("dossiers:piece_upload", args=[piece.dossier_id, piece.pk]),
                       {"fichier": files.upload(PDF, "cv.pdf")})


def upload_correction(client, piece):
    return client.post(
        reverse("dossiers:correction_upload", args=[piece.dossier_id, piece.pk]),
        {"fichier": files.upload(PDF, "attestation.pdf")},
    )


def stored():
    return len(default_storage.listdir("pieces")[1]) if default_storage.exists("pieces") else 0


def last_message(response):
    return [str(m) for m in get_messages(response.wsgi_request)][-1]


def test_an_auditeur_uploads_60_files_an_hour_across_both_pages_then_is_held_back(
        client, auditeur, draft_piece, flagged_piece):
    client.force_login(auditeur)
    with time_machine.travel(START, tick=False) as clock:
        for _ in range(30):
            upload_draft(client, draft_piece)
            upload_correction(client, flagged_piece)
        assert PieceFile.objects.count() == stored() == 60

        for send, piece in [(upload_draft, draft_piece), (upload_correction, flagged_piece)]:
            refused = send(client, piece)
            assert refused.status_code == 302
            assert "fichier refusé. Vous avez déposé de nombreux fichiers en peu de temps" \
                   in last_message(refused)
        # Nothing of the refused files is kept, neither row nor bytes.
        assert PieceFile.objects.count() == stored() == 60

        clock.move_to(START + datetime.timedelta(hours=2))
        accepted = upload_draft(client, draft_piece)
        assert "est déposé pour « Curriculum vitæ »" in last_message(accepted)
        assert PieceFile.objects.count() == stored() == 61


def test_the_upload_limit_is_per_auditeur(client, auditeur, other_auditeur, draft_piece,
                                          settings):
    settings.D3_RATE_LIMITS = {**settings.D3_RATE_LIMITS, "upload": (2, 3600)}
    other_piece = PieceFactory(
        dossier=DossierFactory(auditeur=other_auditeur),
        piece_type=PieceTypeFactory(code="id", label="Pièce d'identité",
                                    accepted_formats=["pdf"]))
    client.force_login(auditeur)
    with time_machine.travel(START, tick=False):
        for _ in range(3):
            upload_draft(client, draft_piece)
        client.force_login(other_auditeur)
        response = upload_draft(client, other_piece)
    assert "est déposé pour « Pièce d'identité »" in last_message(response)
    assert PieceFile.objects.filter(piece=draft_piece).count() == 2
    assert PieceFile.objects.filter(piece=other_piece).count() == 1


# --- Log-in: allauth's limits, in the same cache, open again after their window ---------


def log_in(client, username, password, **extra):
    return client.post(reverse("account_login"), {"login": username, "password": password},
                       **extra)


def assert_locked_out_then_let_in(client, auditeur, clock, *, after):
    """The right password is refused now, accepted once the clock has moved ``after``."""
    response = log_in(client, auditeur.username, PASSWORD)
    assert SESSION_KEY not in client.session
    assert "Trop de tentatives de connexion ont échoué" in unescape(response.content.decode())

    clock.move_to(START + after)
    log_in(client, auditeur.username, PASSWORD)
    assert client.session[SESSION_KEY] == str(auditeur.pk)


def test_a_locked_identifier_opens_again_five_minutes_later(client, auditeur):
    with time_machine.travel(START, tick=False) as clock:
        for _ in range(5):
            log_in(client, auditeur.username, "pas-le-bon")
        assert_locked_out_then_let_in(client, auditeur, clock,
                                      after=datetime.timedelta(minutes=5, seconds=1))


def test_failures_on_many_identifiers_from_one_address_are_bounded(client, auditeur):
    """10 failed log-ins a minute per address, whatever identifiers are tried."""
    with time_machine.travel(START, tick=False) as clock:
        for number in range(10):
            log_in(client, f"personne.inconnue{number}.auditeur", "pas-le-bon")
        assert_locked_out_then_let_in(client, auditeur, clock,
                                      after=datetime.timedelta(minutes=1, seconds=1))
