"""Optional ClamAV (dossiers/antivirus.py), against a stand-in clamd speaking INSTREAM
over a Unix or TCP socket: clean, infected (FOUND), clamd down (connection refused).

With D3_CLAMAV_URL set, a new pièce file waits (« analyse antivirus en cours »),
unusable — no download, not counted for signing — until clamd has passed it; an
infected one is refused, its bytes deleted, and the auditeur asked for another file.
Unset, files are ``non analysé`` and usable at once.
"""

import datetime
import shutil
import socket
import tempfile
from html import unescape
from pathlib import Path

import pytest
import time_machine
from django.conf import settings as django_settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone

from d3.celery import app as celery_app
from dossiers import antivirus, workflow
from dossiers.antivirus import ScannerUnavailable, Verdict, scan_pending, scan_stream
from dossiers.models import Dossier, PieceFile, PieceStatus, ScanStatus, State
from tests.dossiers import files
from tests.dossiers.factories import DossierFactory, PieceFactory
from tests.factories import PieceTypeFactory
from tests.security.clamd_standin import EICAR, THREAT, ClamdStandIn

INFECTED_PDF = files.pdf_bytes() + b"%" + EICAR + b"\n"
LATER = datetime.timedelta(minutes=5)  # past the sweep's grace period


@pytest.fixture
def socket_dir():
    # Short: a Unix socket path is limited to about a hundred characters.
    folder = tempfile.mkdtemp(prefix="clamd-", dir="/tmp")
    yield Path(folder)
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def clamd(socket_dir):
    server = ClamdStandIn(socket.AF_UNIX, str(socket_dir / "clamd.ctl")).start()
    yield server
    server.stop()
    assert server.errors == []


@pytest.fixture
def clamd_tcp():
    server = ClamdStandIn(socket.AF_INET, ("127.0.0.1", 0)).start()
    yield server
    server.stop()
    assert server.errors == []


@pytest.fixture
def enabled(settings, clamd):
    settings.D3_CLAMAV_URL = clamd.url
    return clamd


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# --- The protocol ------------------------------------------------------------------------


@pytest.mark.parametrize("transport", ["unix", "tcp"])
def test_a_clean_and_an_infected_stream_over_unix_and_tcp(request, transport):
    server = request.getfixturevalue("clamd" if transport == "unix" else "clamd_tcp")

    clean = scan_stream(ContentFile(files.pdf_bytes()), url=server.url)
    infected = scan_stream(ContentFile(INFECTED_PDF), url=server.url)

    assert clean == Verdict(infected=False)
    assert infected == Verdict(infected=True, threat=THREAT)
    assert server.streams == [files.pdf_bytes(), INFECTED_PDF]


def test_a_large_file_goes_in_64_kb_chunks_and_arrives_whole(clamd):
    content = files.pdf_bytes(pages=2000)
    assert len(content) > 3 * antivirus.CHUNK_SIZE

    assert scan_stream(ContentFile(content), url=clamd.url) == Verdict(infected=False)
    assert clamd.streams == [content]
    assert clamd.chunks == [-(-len(content) // antivirus.CHUNK_SIZE)]


@pytest.mark.parametrize(
    "url",
    ["unix:///tmp/no-clamd-here/clamd.ctl", "tcp://127.0.0.1:{port}"],
    ids=["unix", "tcp"],
)
def test_a_clamd_that_is_not_there_is_unavailable_not_clean(url):
    with pytest.raises(ScannerUnavailable, match="clamd injoignable"):
        scan_stream(ContentFile(b"%PDF-"), url=url.format(port=free_port()), timeout=2)


def test_an_error_reply_is_no_verdict(clamd):
    clamd.reply = b"INSTREAM size limit exceeded. ERROR\0"

    with pytest.raises(ScannerUnavailable, match="size limit exceeded"):
        scan_stream(ContentFile(b"%PDF-"), url=clamd.url)


# --- Pièce files through the pages -------------------------------------------------------


@pytest.fixture
def draft(auditeur):
    dossier = DossierFactory(auditeur=auditeur, brouillon=True, signable=True)
    piece = PieceFactory(dossier=dossier, piece_type=PieceTypeFactory(
        code="prerequis", label="Copie du diplôme prérequis"))
    return dossier, piece


def upload(client, dossier, piece, content, name="diplome.pdf", page="piece_upload"):
    response = client.post(reverse(f"dossiers:{page}", args=[dossier.pk, piece.pk]),
                           {"fichier": files.upload(content, name)})
    assert response.status_code == 302
    return PieceFile.objects.filter(piece=piece).latest("pk")


def download(client, dossier, piece_file):
    response = client.get(reverse("dossiers:piece_file", args=[dossier.pk, piece_file.pk]))
    if response.streaming:
        b"".join(response.streaming_content)
    return response.status_code


def pieces_page(client, dossier, page="edit_pieces"):
    response = client.get(reverse(f"dossiers:{page}", args=[dossier.pk]))
    assert response.status_code == 200
    return unescape(response.content.decode())


def test_disabled_files_are_usable_at_once_and_never_sent_anywhere(
    client, auditeur, draft, settings, clamd, django_capture_on_commit_callbacks
):
    settings.D3_CLAMAV_URL = ""
    dossier, piece = draft
    client.force_login(auditeur)

    with django_capture_on_commit_callbacks(execute=True):
        piece_file = upload(client, dossier, piece, files.pdf_bytes())

    assert piece_file.scan_status == ScanStatus.NON_ANALYSE
    assert download(client, dossier, piece_file) == 200
    assert workflow.sign_blockers(dossier) == []
    assert clamd.streams == []


def test_a_clean_file_is_scanned_after_commit_then_usable(
    client, auditeur, draft, enabled, django_capture_on_commit_callbacks
):
    dossier, piece = draft
    client.force_login(auditeur)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        piece_file = upload(client, dossier, piece, files.pdf_bytes())

    assert len(callbacks) == 1  # the scan is queued once the upload is committed
    piece_file.refresh_from_db()
    assert piece_file.scan_status == ScanStatus.SAIN and piece_file.scanned_at
    assert enabled.streams == [files.pdf_bytes()]
    assert download(client, dossier, piece_file) == 200
    assert workflow.sign_blockers(dossier) == []


def test_a_file_waiting_for_the_scan_is_unusable(
    client, auditeur, draft, enabled, gestionnaire
):
    dossier, piece = draft
    client.force_login(auditeur)
    # Without running the commit callbacks: the scan has not happened yet.
    piece_file = upload(client, dossier, piece, files.pdf_bytes(), name="mon diplôme.pdf")

    assert piece_file.scan_status == ScanStatus.EN_ATTENTE
    html = pieces_page(client, dossier)
    assert ('« mon diplôme.pdf » <span class="badge badge--info">analyse antivirus en cours'
            in html)
    assert reverse("dossiers:piece_file", args=[dossier.pk, piece_file.pk]) not in html
    assert download(client, dossier, piece_file) == 404
    assert workflow.sign_blockers(dossier) == [
        "Analyse antivirus en cours (quelques minutes) : Copie du diplôme prérequis."
    ]
    # Nor can staff reach it once the dossier is theirs to see.
    Dossier.objects.filter(pk=dossier.pk).update(state=State.A_COMPLETER)
    client.force_login(gestionnaire)
    assert download(client, dossier, piece_file) == 404

    # The sweep, a few minutes later, passes it.
    with time_machine.travel(timezone.now() + LATER):
        assert scan_pending() == 1
    piece_file.refresh_from_db()
    assert piece_file.scan_status == ScanStatus.SAIN
    assert download(client, dossier, piece_file) == 200


def test_signing_is_refused_while_a_file_is_scanned(client, auditeur, draft, enabled):
    dossier, piece = draft
    client.force_login(auditeur)
    upload(client, dossier, piece, files.pdf_bytes())

    response = client.post(reverse("dossiers:sign", args=[dossier.pk]),
                           {"sworn": "on", "password": "mot-de-passe-de-test"})

    dossier.refresh_from_db()
    assert dossier.state == State.BROUILLON
    assert ("Analyse antivirus en cours (quelques minutes) : Copie du diplôme prérequis."
            in unescape(response.content.decode()))


@pytest.mark.parametrize("where", ["draft", "corrections"])
def test_an_infected_file_is_refused_deleted_and_asked_again(
    client, auditeur, draft, enabled, django_capture_on_commit_callbacks, where
):
    dossier, piece = draft
    page, listing = "piece_upload", "edit_pieces"
    if where == "corrections":
        Dossier.objects.filter(pk=dossier.pk).update(
            state=State.A_COMPLETER, state_changed_at=timezone.now())
        piece.status = PieceStatus.MANQUANTE
        piece.save(update_fields=["status"])
        page, listing = "correction_upload", "corrections"
    client.force_login(auditeur)

    with django_capture_on_commit_callbacks(execute=True):
        piece_file = upload(client, dossier, piece, INFECTED_PDF, name="facture.pdf",
                            page=page)

    piece_file.refresh_from_db()
    piece.refresh_from_db()
    assert piece_file.scan_status == ScanStatus.INFECTE
    assert piece_file.threat == THREAT
    assert piece_file.replaced_at is not None  # no longer the pièce's file
    assert not default_storage.exists(piece_file.storage_key)
    assert piece.status == (PieceStatus.ATTENDUE if where == "draft" else PieceStatus.MANQUANTE)
    assert download(client, dossier, piece_file) == 404
    html = " ".join(pieces_page(client, dossier, listing).split())
    assert (f"Fichier refusé : « facture.pdf » contient un logiciel malveillant ({THREAT}) "
            "et a été supprimé. Déposez un autre fichier") in html
    assert "Fichier à déposer" in html  # the form is there to deposit again
    assert workflow.sign_blockers(dossier) == [
        "Pièce à déposer : Copie du diplôme prérequis."
    ]

    # A clean file deposited next is usable, and the refusal is no longer shown.
    with django_capture_on_commit_callbacks(execute=True):
        upload(client, dossier, piece, files.pdf_bytes(), page=page)
    assert "Fichier refusé :" not in pieces_page(client, dossier, listing)


def test_an_infected_replacement_leaves_the_previous_version_replaced(
    client, auditeur, draft, enabled, django_capture_on_commit_callbacks
):
    # Single-file pièce: the good file was replaced by the upload; once the upload is
    # refused, the pièce has no file and the auditeur deposits again.
    dossier, piece = draft
    client.force_login(auditeur)
    with django_capture_on_commit_callbacks(execute=True):
        good = upload(client, dossier, piece, files.pdf_bytes())
        bad = upload(client, dossier, piece, INFECTED_PDF)

    good.refresh_from_db()
    bad.refresh_from_db()
    piece.refresh_from_db()
    assert good.scan_status == ScanStatus.SAIN and good.replaced_at is not None
    assert default_storage.exists(good.storage_key)
    assert bad.scan_status == ScanStatus.INFECTE
    assert piece.status == PieceStatus.ATTENDUE


def test_files_uploaded_while_clamd_is_down_are_scanned_once_it_is_back(
    client, auditeur, draft, settings, socket_dir, django_capture_on_commit_callbacks
):
    address = str(socket_dir / "later.ctl")
    settings.D3_CLAMAV_URL = f"unix://{address}"  # nothing listens yet: refused
    dossier, piece = draft
    piece.piece_type.multiple_files = True
    piece.piece_type.save(update_fields=["multiple_files"])
    client.force_login(auditeur)

    uploaded = []
    with django_capture_on_commit_callbacks(execute=True):
        for number in range(10):
            content = files.pdf_bytes() + f"%{number}\n".encode()
            uploaded.append(upload(client, dossier, piece, content, name=f"{number}.pdf"))
        uploaded.append(upload(client, dossier, piece, INFECTED_PDF, name="virus.pdf"))

    # The task met a refused connection: nothing lost, nothing let through.
    assert PieceFile.objects.filter(scan_status=ScanStatus.EN_ATTENTE).count() == 11
    with time_machine.travel(timezone.now() + LATER):
        assert scan_pending() == 0  # still down: the sweep stops at once
    assert PieceFile.objects.filter(scan_status=ScanStatus.EN_ATTENTE).count() == 11

    server = ClamdStandIn(socket.AF_UNIX, address).start()
    try:
        with time_machine.travel(timezone.now() + LATER):
            assert scan_pending() == 11
            assert scan_pending() == 0  # each file scanned once
    finally:
        server.stop()
    assert len(server.streams) == 11
    statuses = dict(PieceFile.objects.filter(piece=piece)
                    .values_list("original_name", "scan_status"))
    assert statuses.pop("virus.pdf") == ScanStatus.INFECTE
    assert set(statuses.values()) == {ScanStatus.SAIN}


def test_the_sweep_leaves_a_fresh_upload_to_its_own_task(auditeur, draft, enabled):
    dossier, piece = draft
    piece_file = PieceFile.objects.create(
        piece=piece, storage_key=default_storage.save("pieces/x", ContentFile(b"%PDF-")),
        original_name="x.pdf", content_type="application/pdf", size=5, sha256="0" * 64,
        uploaded_by=auditeur, scan_status=ScanStatus.EN_ATTENTE,
    )

    assert scan_pending() == 0
    assert antivirus.scan(piece_file.pk) == ScanStatus.SAIN
    assert antivirus.scan(piece_file.pk) is None  # a second scan records nothing
    assert len(enabled.streams) == 1


def test_a_waiting_file_missing_from_the_storage_does_not_stop_the_sweep(
    auditeur, draft, enabled
):
    dossier, piece = draft
    common = {"piece": piece, "content_type": "application/pdf", "size": 5,
              "sha256": "0" * 64, "uploaded_by": auditeur,
              "scan_status": ScanStatus.EN_ATTENTE}
    lost = PieceFile.objects.create(storage_key="pieces/lost", original_name="a.pdf", **common)
    there = PieceFile.objects.create(
        storage_key=default_storage.save("pieces/z", ContentFile(b"%PDF-")),
        original_name="b.pdf", **common)

    with time_machine.travel(timezone.now() + LATER):
        assert scan_pending() == 1

    lost.refresh_from_db()
    there.refresh_from_db()
    assert (lost.scan_status, there.scan_status) == (ScanStatus.EN_ATTENTE, ScanStatus.SAIN)


def test_turning_the_antivirus_off_releases_the_waiting_files(auditeur, draft, settings):
    dossier, piece = draft
    PieceFile.objects.create(
        piece=piece, storage_key="pieces/y", original_name="y.pdf",
        content_type="application/pdf", size=5, sha256="0" * 64, uploaded_by=auditeur,
        scan_status=ScanStatus.EN_ATTENTE,
    )
    settings.D3_CLAMAV_URL = ""

    assert scan_pending() == 1
    assert PieceFile.objects.get(original_name="y.pdf").scan_status == ScanStatus.NON_ANALYSE


def test_the_sweep_is_scheduled_and_the_worker_knows_the_tasks():
    celery_app.loader.import_default_modules()

    entry = django_settings.CELERY_BEAT_SCHEDULE["antivirus-scan-pending"]
    assert entry["task"] == "dossiers.antivirus.scan_pending"
    assert entry["task"] in celery_app.tasks
    assert "dossiers.antivirus.scan_piece_file" in celery_app.tasks


def test_an_upload_while_the_broker_is_down_is_kept_and_swept(
    client, auditeur, draft, enabled, monkeypatch, django_capture_on_commit_callbacks
):
    from kombu.exceptions import OperationalError

    class BrokerDown:
        def delay(self, *args, **kwargs):
            raise OperationalError("Error 111 connecting to redis:6379. Connection refused.")

    monkeypatch.setattr(antivirus, "scan_piece_file", BrokerDown())
    dossier, piece = draft
    client.force_login(auditeur)

    with django_capture_on_commit_callbacks(execute=True):
        piece_file = upload(client, dossier, piece, files.pdf_bytes())

    # The upload is kept and waits; no scan was queued.
    piece_file.refresh_from_db()
    assert piece_file.scan_status == ScanStatus.EN_ATTENTE
    assert default_storage.exists(piece_file.storage_key)
    assert enabled.streams == []
    with time_machine.travel(timezone.now() + LATER):
        assert scan_pending() == 1
    piece_file.refresh_from_db()
    assert piece_file.scan_status == ScanStatus.SAIN


@pytest.mark.parametrize("value", ["http://clamav:3310", "clamav:3310"])
def test_a_clamav_url_of_another_kind_stops_start_up(tmp_path, value):
    from tests.test_settings_env import setup_django

    result = setup_django({"DJANGO_DEBUG": "true", "D3_CLAMAV_URL": value}, tmp_path)

    assert result.returncode != 0
    assert "D3_CLAMAV_URL n'est pas une URL valide (attendu : unix://, tcp://…)" in result.stderr
