"""Every view that serves a file sends it as an attachment named by the server, with
``nosniff`` and ``no-store, private`` (and a sandboxing CSP): pièces, signed
récapitulatif, courrier, PV, the session's letters, the M1 attestation, the CSV export,
the personal data archive.

The sweep below lists them all; the last test keeps the list honest by checking that
no module builds a file response by itself instead of calling
:func:`dossiers.downloads.attachment`.
"""

import re
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse

from dossiers.models import Signature
from tests.dossiers import files
from tests.factories import AuditeurFactory
from tests.dossiers.factories import DossierFactory, PieceFactory, PieceFileFactory, sample_pdf
from tests.jury.factories import CourrierFactory, JurySessionFactory, SessionDossierFactory
from tests.pages.test_attestation_m1 import valid_data

pytestmark = pytest.mark.django_db

# A file name made by the server: letters, digits, dots, hyphens, underscores only.
SERVER_MADE = re.compile(r'^attachment; filename="[A-Za-z0-9._-]+\.(pdf|png|jpg|csv|zip)"$')
# Uploaded under a name that would break a header or a path if it were reused.
HOSTILE_NAME = '../../"évil";\r\nX-Injected: 1\u202egpj.pdf'


@pytest.fixture
def signed(auditeur):
    """A dossier in control at the auditeur's centre, a pièce uploaded under a hostile
    name, and its signed récapitulatif."""
    dossier = DossierFactory(auditeur=auditeur, en_controle=True, signature=False)
    piece = PieceFactory(dossier=dossier, deposee=True)
    piece_file = PieceFileFactory(piece=piece, original_name=HOSTILE_NAME)
    key = default_storage.save("recapitulatifs/r.pdf", ContentFile(sample_pdf("Récap")))
    Signature.objects.create(dossier=dossier, signed_by=auditeur, signed_at=dossier.created_at,
                             digest="0" * 64, recapitulatif_key=key)
    return dossier, piece_file


def _auditeur(number):
    return AuditeurFactory(profile__auditeur_number=number)


def _downloads(request, signed):
    """(label, user, method, url, data) for every file-serving view."""
    dossier, piece_file = signed
    # Auditeurs numbered here: the factory's sequence may reach the fixture's number.
    courrier = CourrierFactory(envoye=True, dossier__auditeur=_auditeur("DL0001"))
    session = JurySessionFactory(closed=True)
    SessionDossierFactory(session=session, decided=True, auditeur=_auditeur("DL0002"))
    CourrierFactory(dossier__session=session, dossier__auditeur=_auditeur("DL0003"))
    png_file = PieceFileFactory(piece=piece_file.piece, content=files.png_bytes(),
                                content_type="image/png", original_name="scan<script>.png")
    auditeur = request.getfixturevalue("auditeur")
    gestionnaire = request.getfixturevalue("gestionnaire")
    agent_dnf = request.getfixturevalue("agent_dnf")
    return [
        ("pièce (auditeur)", auditeur, "get",
         reverse("dossiers:piece_file", args=[dossier.pk, piece_file.pk]), None),
        ("pièce asked inline (gestionnaire)", gestionnaire, "get",
         reverse("dossiers:piece_file", args=[dossier.pk, png_file.pk]) + "?inline=1", None),
        ("récapitulatif signé", auditeur, "get",
         reverse("dossiers:signed_pdf", args=[dossier.pk]), None),
        ("courrier", courrier.dossier.auditeur, "get",
         reverse("dossiers:courrier_pdf", args=[courrier.dossier.pk]), None),
        ("procès-verbal", agent_dnf, "get",
         reverse("jury:dnf_session_pv", args=[session.pk]), None),
        ("courriers de la session", agent_dnf, "get",
         reverse("jury:dnf_session_courriers", args=[session.pk]), None),
        ("attestation M1", auditeur, "post", reverse("auditeurs:attestation_m1_pdf"),
         valid_data()),
        ("export CSV", gestionnaire, "get", reverse("dossiers:centre_export"), None),
        ("archive des données personnelles", auditeur, "get",
         reverse("auditeurs:personal_data_archive"), None),
    ]


def test_every_download_is_a_server_named_attachment_never_sniffed_nor_stored(
    request, client, signed
):
    checked = []
    for label, user, method, address, data in _downloads(request, signed):
        client.force_login(user)
        response = getattr(client, method)(address, data) if data else client.get(address)
        body = b"".join(response.streaming_content) if response.streaming else response.content

        assert response.status_code == 200, label
        assert body, label
        disposition = response["Content-Disposition"]
        assert SERVER_MADE.match(disposition), (label, disposition)
        assert "évil" not in disposition and "script" not in disposition, label
        assert response["X-Content-Type-Options"] == "nosniff", label
        cache = {part.strip() for part in response["Cache-Control"].split(",")}
        assert {"no-store", "private"} <= cache, (label, cache)
        assert response["Content-Security-Policy"] == "sandbox", label
        checked.append(label)
        client.logout()

    assert len(checked) == 9


def test_no_view_builds_a_file_response_by_itself():
    """Every file goes out through dossiers.downloads.attachment: a new download view
    that sets its own headers would escape the sweep above."""
    root = Path(__file__).resolve().parents[2]
    offenders = []
    for module in ("d3", "auditeurs", "dossiers", "jury"):
        for path in (root / module).rglob("*.py"):
            if path.name == "downloads.py" and path.parent.name == "dossiers":
                continue
            text = path.read_text()
            if "FileResponse(" in text or "Content-Disposition" in text:
                offenders.append(str(path.relative_to(root)))
    assert offenders == []
