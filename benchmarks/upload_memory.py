"""Benchmark: what a 10 MB upload costs the web process in memory.

    .venv/bin/python benchmarks/upload_memory.py [--uploads 5] [--megabytes 10] [--check]

Serves D3 with gunicorn (production settings, one sync worker) on this run's PostgreSQL
database and Redis (``benchmarks/processes.py``), logs in an auditeur with a draft
dossier, and posts real multipart requests to the draft's pièce upload (the CSRF token
in the form, as a browser does): first a small PDF (warm-up: imports, caches, the first
connection), then ``--uploads`` valid PDFs of ``--megabytes`` (a one-page scan: random,
incompressible image data). Reads the worker's peak resident memory (``VmHWM`` in
``/proc/<pid>/status``) after the warm-up and after the uploads, and checks in the
database that each file was kept (a new pièce file of the right size).

Budget: the peak grows by less than 30 MB (``--check`` exits with status 1 otherwise).
Prints its figures as one JSON line (``D3BENCH {...}``) for ``benchmarks/run.py``.
"""

import argparse
import http.client
import secrets
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import processes  # noqa: E402
from benchmarks.load import _number, _session_cookie, _wait_for  # noqa: E402

BUDGET_MIB = 30
MAX_UPLOAD_SIZE = 10 * 1024 * 1024  # dossiers.uploads.MAX_UPLOAD_SIZE, without Django


def pdf_of_size(size):
    """A valid one-page PDF of about ``size`` bytes (at most ``size``): one grey image
    of random bytes, as incompressible as a scan."""
    width = 1000
    height = max(1, (size - 1024) // width)
    image = secrets.token_bytes(width * height)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /XObject << /Im1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray "
        b"/BitsPerComponent 8 /Length %d >>\nstream\n%s\nendstream" % (
            width, height, len(image), image),
    ]
    drawing = b"q 595 0 0 842 0 0 cm /Im1 Do Q"
    objects.append(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(drawing), drawing))
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, xref)
    return bytes(out)


def draft_with_piece():
    """The demo's auditrice with every UE, a draft DD + AEP, and a pièce taking PDFs."""
    from django.test import override_settings

    from auditeurs.demo import (LICENCE_INFO, load_auditeurs, load_catalogue, load_centres,
                                load_piece_types)
    from auditeurs.models import User
    from dossiers.models import Diplome, Kind
    from dossiers.requests import start_request

    centres = load_centres()
    load_catalogue()
    load_piece_types()
    # Nobody logs in with these passwords (the session is made directly): a fast hasher
    # spares seconds of PBKDF2 per account.
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        load_auditeurs(centres)
    auditeur = User.objects.get(username="marie.curie.auditeur")
    dossier = start_request(auditeur=auditeur, diplome=Diplome.objects.get(code=LICENCE_INFO),
                            kind=Kind.DD_AEP, formation_continue=False)
    piece = next(piece for piece in dossier.pieces.select_related("piece_type")
                 if "pdf" in piece.piece_type.accepted_formats)
    return auditeur, dossier, piece


def post_file(port, path, session_cookie, content, name="scan.pdf"):
    """A multipart POST as a browser sends it: CSRF token field, then the file."""
    from django.utils.crypto import get_random_string

    csrf = get_random_string(32)  # a CSRF secret (letters, digits): its cookie, the field
    boundary = "----d3bench" + secrets.token_hex(8)
    head = (
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"csrfmiddlewaretoken\"\r\n\r\n"
        f"{csrf}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"fichier\"; "
        f"filename=\"{name}\"\r\nContent-Type: application/pdf\r\n\r\n").encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    connection.request("POST", path, body=head + content + tail, headers={
        "Content-Type": f"multipart/form-data; boundary={boundary}",
        "Cookie": f"{session_cookie}; csrftoken={csrf}",
        "Referer": f"http://127.0.0.1:{port}{path}",
    })
    response = connection.getresponse()
    response.read()
    connection.close()
    return response.status


def run(*, uploads=5, megabytes=10.0, log=print):
    size = min(int(megabytes * 1024 * 1024), MAX_UPLOAD_SIZE)
    big, small = pdf_of_size(size), pdf_of_size(4096)
    with tempfile.TemporaryDirectory(prefix="d3-bench-upload-") as var_dir, \
            processes.redis_server() as redis_url, processes.services() as running:
        env = processes.environment(processes.database_url(), redis_url, var_dir)
        processes.prepare_database(env)
        from dossiers.models import PieceFile

        auditeur, dossier, piece = draft_with_piece()
        cookie = _session_cookie(auditeur)
        path = f"/dossiers/{dossier.pk}/pieces/{piece.pk}/deposer/"

        port = processes._free_port()
        gunicorn = processes.Service(
            [str(processes.ROOT / ".venv" / "bin" / "gunicorn"), "d3.wsgi", "--workers", "1",
             "--bind", f"127.0.0.1:{port}", "--timeout", "120"],
            env, Path(var_dir) / "gunicorn.log")
        running.append(gunicorn)
        _wait_for(port)
        worker = processes.only_child(gunicorn.pid)

        def upload(content, name):
            before = PieceFile.objects.filter(piece=piece, size=len(content)).count()
            status = post_file(port, path, cookie, content, name)
            kept = PieceFile.objects.filter(piece=piece, size=len(content)).count() - before
            if status != 302 or kept != 1:
                raise RuntimeError(f"dépôt de {name} : réponse {status}, {kept} fichier "
                                   f"enregistré\n{gunicorn.log()[-3000:]}")

        upload(small, "echauffement.pdf")
        start = processes.memory_mib(worker)
        peaks, seconds = [], []
        for number in range(1, uploads + 1):
            started = time.monotonic()
            upload(big, f"scan-{number}.pdf")
            seconds.append(time.monotonic() - started)
            peaks.append(processes.memory_mib(worker)["VmHWM"])
            log(f"  dépôt {number} : pic {peaks[-1]:.1f} Mio")
        end = processes.memory_mib(worker)
    increase = end["VmHWM"] - start["VmHWM"]
    return {
        "uploads": uploads, "file_bytes": len(big),
        "rss_after_warmup_mib": round(start["VmRSS"], 1),
        "peak_after_warmup_mib": round(start["VmHWM"], 1),
        "peaks_mib": [round(peak, 1) for peak in peaks],
        "peak_after_uploads_mib": round(end["VmHWM"], 1),
        "rss_after_uploads_mib": round(end["VmRSS"], 1),
        "peak_increase_mib": round(increase, 1),
        "seconds_per_upload": round(sum(seconds) / len(seconds), 2),
        "budget_mib": BUDGET_MIB, "met": increase < BUDGET_MIB,
        "machine_load": processes.machine_load(),
    }


def markdown(results):
    mo = results["file_bytes"] / 1024 / 1024
    return "\n".join([
        "## Mémoire d'un dépôt de 10 Mo",
        "",
        "Commande : `.venv/bin/python benchmarks/run.py upload` (ou "
        "`benchmarks/upload_memory.py --check`).",
        "",
        "Méthode : gunicorn sert D3 en réglages de production avec un seul processus "
        f"synchrone, {processes.ON_ITS_OWN}. Une auditrice connectée "
        "dépose, par de vraies requêtes multipart (jeton CSRF compris) sur l'étape « Pièces » "
        "de son brouillon, d'abord un petit PDF (échauffement : imports, caches, connexion), "
        f"puis {results['uploads']} PDF valides de {_number(mo, 2)} Mio (une page, une image "
        "de données aléatoires, incompressible comme un scan). Le pic de mémoire résidente du "
        "processus (`VmHWM` de `/proc/<pid>/status`) est lu après l'échauffement et après "
        "chaque dépôt ; chaque fichier est vérifié en base (un fichier de pièce de la bonne "
        "taille).",
        "",
        "| mesure | valeur |",
        "|---|---|",
        f"| mémoire résidente après l'échauffement | {_number(results['rss_after_warmup_mib'])} Mio |",
        f"| pic après l'échauffement | {_number(results['peak_after_warmup_mib'])} Mio |",
        f"| pic après chaque dépôt | "
        f"{' ; '.join(_number(peak) for peak in results['peaks_mib'])} Mio |",
        f"| mémoire résidente après les dépôts | {_number(results['rss_after_uploads_mib'])} Mio |",
        f"| durée moyenne d'un dépôt | {_number(results['seconds_per_upload'], 2)} s |",
        "",
        f"Hausse du pic : **{_number(results['peak_increase_mib'])} Mio** (objectif : moins de "
        f"{results['budget_mib']} Mio) : objectif "
        f"{'atteint' if results['met'] else '**manqué**'}. "
        + processes.load_sentence(results),
        "",
        "Ce qui tient la mémoire basse : au-delà de 2 Mo (`FILE_UPLOAD_MAX_MEMORY_SIZE`), le "
        "gestionnaire d'envoi écrit le fichier sur disque par morceaux de 64 Ko ; le contrôle "
        "le relit par morceaux (taille, empreinte SHA-256, en-tête) ; pypdf reçoit le fichier "
        "ouvert et n'en lit que ce qu'il analyse (table des références, arbre des pages) ; "
        "le stockage déplace le fichier temporaire au lieu de le copier.",
        "",
        "Trouvé et corrigé par cette mesure : pypdf recevait le chemin du fichier, et dans "
        "ce cas le lit d'abord en entier en mémoire. Le pic montait alors de **33,9 Mio** "
        "sur cinq dépôts de 10 Mio (objectif manqué), la mémoire résidente restant 20 Mio "
        "plus haut après les dépôts ; depuis que `dossiers/uploads.py` lui donne le fichier "
        "ouvert, la hausse est de 4 Mio environ. `tests/dossiers/test_upload_memory.py` "
        "vérifie que le contrôle d'un PDF de 8 Mo n'alloue pas plus de 1 Mio.",
        "",
    ])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--uploads", type=int, default=5)
    parser.add_argument("--megabytes", type=float, default=10.0,
                        help="taille des fichiers déposés, en Mio (10 au plus)")
    parser.add_argument("--check", action="store_true",
                        help=f"code de sortie 1 si le pic augmente de {BUDGET_MIB} Mio ou plus")
    args = parser.parse_args(argv)
    results = run(uploads=args.uploads, megabytes=args.megabytes)
    processes.report(results, args.check)


if __name__ == "__main__":
    main()
