"""Optional antivirus: pièce files scanned by ClamAV's daemon (clamd) before any use.

Off unless ``D3_CLAMAV_URL`` is set (``unix:///run/clamav/clamd.ctl`` or
``tcp://clamav:3310``).

- **Off**: a new file is stored ``non_analyse`` and is usable at once.
- **On**: a new file is stored ``en_attente``. Once the upload's transaction has
  committed, :func:`scan_piece_file` (Celery) streams its bytes to clamd. Until then
  the file is *not usable*: no one can download it, it does not count as provided
  (the dossier cannot be signed, :func:`dossiers.workflow.sign_blockers`), and the
  auditeur sees « analyse antivirus en cours ».

  - clean (``stream: OK``): ``sain``, usable;
  - infected (``stream: <name> FOUND``): ``infecte``, its bytes are deleted from the
    storage, it stops being the pièce's current file (``replaced_at`` set) and a
    pièce left without a file is ``attendue`` again (``manquante`` in a dossier à
    compléter). The auditeur reads « Fichier refusé : … » and deposits another file.
  - clamd unreachable, or answering an error: the file stays ``en_attente``. The
    periodic :func:`scan_pending` (every few minutes, Celery beat) scans whatever is
    still waiting, so files go through as soon as clamd is back; nothing is lost
    if the broker was down when the upload queued its task either.

Turning the antivirus off while files wait releases them as ``non_analyse`` on the
next sweep: the setting then says that files are used without scanning.

clamd's INSTREAM protocol: the command ``zINSTREAM\\0``, then the file in chunks,
each preceded by its length on 4 bytes (big-endian), then a zero length; clamd
answers ``stream: OK\\0``, ``stream: <name> FOUND\\0`` or ``<message> ERROR\\0``.
clamd's ``StreamMaxLength`` (25 Mo by default) must exceed our 10 Mo upload limit.
"""

import logging
import socket
import struct
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

from celery import shared_task
from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from d3.celery import publish
from dossiers.models import Dossier, PieceFile, PieceStatus, ScanStatus, State

logger = logging.getLogger(__name__)

CHUNK_SIZE = 64 * 1024
TIMEOUT = 60  # seconds, for connecting and for each read or write
MAX_REPLY = 4096
# The sweep leaves a file alone for this long after its upload: its own task is on it.
SWEEP_GRACE = timedelta(minutes=2)
SWEEP_BATCH = 200


class ScannerUnavailable(Exception):
    """clamd could not give a verdict (down, unreachable, refused the stream)."""


@dataclass(frozen=True)
class Verdict:
    infected: bool
    threat: str = ""


def enabled():
    return bool(settings.D3_CLAMAV_URL)


def initial_status():
    """The scan status of a file being stored now."""
    return ScanStatus.EN_ATTENTE if enabled() else ScanStatus.NON_ANALYSE


# --- Talking to clamd ---------------------------------------------------------------


def _connect(url, timeout):
    parts = urlsplit(url)
    try:
        if parts.scheme == "unix":
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.settimeout(timeout)
            try:
                sock.connect(parts.path)
            except OSError:
                sock.close()
                raise
            return sock
        if parts.scheme == "tcp":
            return socket.create_connection((parts.hostname, parts.port or 3310), timeout)
    except OSError as exc:
        raise ScannerUnavailable(f"clamd injoignable à {url} : {exc}") from exc
    raise ScannerUnavailable(f"D3_CLAMAV_URL : schéma non pris en charge ({url}).")


def scan_stream(stream, url=None, timeout=TIMEOUT):
    """Send the binary ``stream`` to clamd with INSTREAM; return a :class:`Verdict`.

    Raises :class:`ScannerUnavailable` when no verdict comes back.
    """
    url = url or settings.D3_CLAMAV_URL
    sock = _connect(url, timeout)
    try:
        with sock:
            sock.sendall(b"zINSTREAM\0")
            while chunk := stream.read(CHUNK_SIZE):
                sock.sendall(struct.pack(">I", len(chunk)) + chunk)
            sock.sendall(struct.pack(">I", 0))
            reply = _read_reply(sock)
    except OSError as exc:
        # A reset while sending is how clamd says the stream is over its size limit.
        raise ScannerUnavailable(f"clamd : échange interrompu ({exc}).") from exc
    return _verdict(reply)


def _read_reply(sock):
    reply = b""
    while b"\0" not in reply and len(reply) < MAX_REPLY:
        data = sock.recv(MAX_REPLY)
        if not data:
            break
        reply += data
    return reply.split(b"\0", 1)[0].decode("utf-8", "replace").strip()


def _verdict(reply):
    # "stream: OK", "stream: Eicar-Test-Signature FOUND"; the "stream: " prefix is
    # absent from some versions' answers, so it is optional here.
    body = reply.removeprefix("stream:").strip()
    if body == "OK":
        return Verdict(infected=False)
    if body.endswith(" FOUND"):
        return Verdict(infected=True, threat=body.removesuffix(" FOUND").strip() or "inconnu")
    raise ScannerUnavailable(f"clamd : réponse inattendue « {reply} ».")


# --- Scanning pièce files ------------------------------------------------------------


def schedule_scan(piece_file):
    """Queue the scan of ``piece_file`` once the caller's transaction commits."""
    if piece_file.scan_status == ScanStatus.EN_ATTENTE:
        transaction.on_commit(lambda: _queue(piece_file.pk))


def _queue(piece_file_id):
    # Broker down or frozen: the upload is not held (d3.celery.publish waits one broker
    # timeout at most), the file stays en attente and the sweep scans it.
    try:
        publish(scan_piece_file, (piece_file_id,))
    except Exception:
        logger.warning("Analyse antivirus du fichier %s non programmée : le balayage "
                       "périodique la fera.", piece_file_id, exc_info=True)


def scan(piece_file_id):
    """Scan one file waiting for the antivirus and record the verdict.

    Returns the new scan status, or None if the file was no longer waiting (scanned
    by another worker meanwhile). Raises :class:`ScannerUnavailable`.
    """
    piece_file = PieceFile.objects.filter(
        pk=piece_file_id, scan_status=ScanStatus.EN_ATTENTE
    ).first()
    if piece_file is None:
        return None
    try:
        stream = default_storage.open(piece_file.storage_key, "rb")
    except FileNotFoundError:
        # A storage incident, not a verdict: the file stays unusable and the sweep
        # goes on with the others.
        logger.error("Fichier %s en attente d'analyse absent du stockage (%s).",
                     piece_file.pk, piece_file.storage_key)
        return None
    with stream:
        verdict = scan_stream(stream)
    if verdict.infected:
        return _refuse(piece_file.pk, verdict.threat)
    # Conditional: two scans of the same file (task and sweep) record one verdict.
    PieceFile.objects.filter(pk=piece_file.pk, scan_status=ScanStatus.EN_ATTENTE).update(
        scan_status=ScanStatus.SAIN, scanned_at=timezone.now()
    )
    return ScanStatus.SAIN


def _refuse(piece_file_id, threat):
    """Mark the file infected, take it off its pièce and delete its bytes."""
    with transaction.atomic():
        dossier_id = PieceFile.objects.filter(pk=piece_file_id).values_list(
            "piece__dossier_id", flat=True
        ).get()
        # The same lock as every change to the dossier's pièces (dossiers.pieces).
        dossier = Dossier.objects.select_for_update(of=("self",)).get(pk=dossier_id)
        piece_file = PieceFile.objects.select_related("piece").get(pk=piece_file_id)
        if piece_file.scan_status != ScanStatus.EN_ATTENTE:
            return None
        now = timezone.now()
        was_current = piece_file.replaced_at is None
        piece_file.scan_status = ScanStatus.INFECTE
        piece_file.threat = threat[:200]
        piece_file.scanned_at = now
        piece_file.replaced_at = piece_file.replaced_at or now
        piece_file.save(update_fields=["scan_status", "threat", "scanned_at", "replaced_at"])
        piece = piece_file.piece
        if was_current and not piece.files.filter(replaced_at__isnull=True).exists():
            piece.status = (
                PieceStatus.ATTENDUE if dossier.state == State.BROUILLON else PieceStatus.MANQUANTE
            )
            piece.save(update_fields=["status"])
        dossier.save(update_fields=["updated_at"])
        key = piece_file.storage_key
        transaction.on_commit(lambda: _delete_infected(key))
    logger.warning("Fichier %s refusé par l'antivirus : %s", piece_file_id, threat)
    return ScanStatus.INFECTE


def _delete_infected(key):
    # After commit: the verdict stands even if the storage fails now; the file is then
    # unreachable (no view serves an infected file) but must be removed by hand.
    try:
        default_storage.delete(key)
    except Exception:
        logger.error("Fichier infecté %s non supprimé du stockage : à supprimer à la main.",
                     key, exc_info=True)


def refused_files(files):
    """The files the antivirus refused since the last one it let through, among
    ``files`` (one pièce's, in upload order): what the auditeur is told to replace."""
    refused = []
    for piece_file in files:
        if piece_file.scan_status == ScanStatus.INFECTE:
            refused.append(piece_file)
        else:
            refused = []
    return refused


@shared_task(ignore_result=True)
def scan_piece_file(piece_file_id):
    """Scan one new file. clamd unreachable: the file waits for :func:`scan_pending`."""
    try:
        scan(piece_file_id)
    except ScannerUnavailable as exc:
        logger.warning("Analyse antivirus du fichier %s reportée : %s", piece_file_id, exc)


@shared_task(ignore_result=True)
def scan_pending():
    """Scan the files still waiting (clamd was down, the broker lost a task); with
    the antivirus turned off, release them. Returns how many got a verdict."""
    waiting = PieceFile.objects.filter(scan_status=ScanStatus.EN_ATTENTE)
    if not enabled():
        return waiting.update(scan_status=ScanStatus.NON_ANALYSE)
    done = 0
    due = waiting.filter(uploaded_at__lte=timezone.now() - SWEEP_GRACE).order_by("uploaded_at")
    for piece_file_id in due.values_list("pk", flat=True)[:SWEEP_BATCH]:
        try:
            if scan(piece_file_id) is not None:
                done += 1
        except ScannerUnavailable as exc:
            # The next sweep tries again; no point hammering a clamd that is down.
            logger.warning("Balayage antivirus interrompu : %s", exc)
            break
    return done
