"""BoundedUploadHandler and bounded_uploads: a too-large file is dropped while it
arrives, never kept whole in memory or on disk, and CSRF protection still holds."""

import os

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile, TemporaryUploadedFile
from django.core.files.uploadhandler import TemporaryFileUploadHandler
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.urls import path

from dossiers.uploads import (
    MAX_UPLOAD_SIZE,
    BoundedUploadHandler,
    UploadRefused,
    bounded_uploads,
    install_upload_handler,
    uploaded_file,
)
from tests.dossiers import files

pytestmark = pytest.mark.urls(__name__)


@bounded_uploads
def receive(request):
    """A tiny view standing for the pièce upload page."""
    try:
        # Before anything else reads the body: the helper must trigger parsing itself.
        received = uploaded_file(request, "fichier")
    except UploadRefused as refused:
        return HttpResponse(f"{refused.message} | note={request.POST.get('note', '')}",
                            status=400)
    note = request.POST.get("note", "")
    if received is None:
        return HttpResponse(f"aucun fichier | note={note}", status=400)
    return HttpResponse(f"{type(received).__name__} {received.size} | note={note}")


urlpatterns = [path("recevoir/", receive)]

TOO_LARGE = b"%PDF-1.7\n" + b"0" * (11 * 1024 * 1024)


@pytest.fixture
def written(monkeypatch):
    """Bytes the handler wrote to temporary files, and those files' paths."""
    record = {"bytes": 0, "paths": []}
    original_new_file = TemporaryFileUploadHandler.new_file
    original_receive = TemporaryFileUploadHandler.receive_data_chunk

    def new_file(self, *args, **kwargs):
        original_new_file(self, *args, **kwargs)
        record["paths"].append(self.file.temporary_file_path())

    def receive_data_chunk(self, raw_data, start):
        record["bytes"] += len(raw_data)
        return original_receive(self, raw_data, start)

    monkeypatch.setattr(TemporaryFileUploadHandler, "new_file", new_file)
    monkeypatch.setattr(TemporaryFileUploadHandler, "receive_data_chunk", receive_data_chunk)
    return record


def test_it_drops_a_file_over_the_limit_while_it_arrives(client, written):
    response = client.post(
        "/recevoir/",
        {"fichier": SimpleUploadedFile("enorme.pdf", TOO_LARGE), "note": "après le fichier"},
    )

    assert response.status_code == 400
    assert response.content.decode() == (
        "Le fichier dépasse la taille maximale de 10 Mo. | note=après le fichier"
    )
    # Never more than the limit written, and the partial temporary file is gone.
    assert 0 < written["bytes"] <= MAX_UPLOAD_SIZE
    assert written["paths"]
    assert not any(os.path.exists(p) for p in written["paths"])


def test_a_file_at_the_limit_arrives_on_disk(client, written):
    content = b"%PDF-1.7\n" + b"0" * (MAX_UPLOAD_SIZE - 9)

    response = client.post("/recevoir/", {"fichier": SimpleUploadedFile("limite.pdf", content)})

    assert response.status_code == 200
    # On disk, not in memory, whatever FILE_UPLOAD_MAX_MEMORY_SIZE says.
    assert response.content.decode() == f"TemporaryUploadedFile {MAX_UPLOAD_SIZE} | note="


def test_no_file_is_told_apart_from_a_too_large_one(client):
    response = client.post("/recevoir/", {"note": "rien"})

    assert response.content.decode() == "aucun fichier | note=rien"


def test_the_csrf_check_still_applies():
    client = Client(enforce_csrf_checks=True)
    small = files.pdf_bytes()

    refused = client.post("/recevoir/", {"fichier": SimpleUploadedFile("a.pdf", small)})

    token = "a" * 32
    client.cookies["csrftoken"] = token
    accepted = client.post(
        "/recevoir/",
        {"fichier": SimpleUploadedFile("a.pdf", small), "csrfmiddlewaretoken": token},
    )

    assert refused.status_code == 403
    assert accepted.status_code == 200


def test_the_csrf_token_is_read_even_after_a_dropped_file():
    client = Client(enforce_csrf_checks=True)
    token = "b" * 32
    client.cookies["csrftoken"] = token

    response = client.post(
        "/recevoir/",
        {"fichier": SimpleUploadedFile("enorme.pdf", TOO_LARGE), "csrfmiddlewaretoken": token},
    )

    assert response.status_code == 400
    assert "10 Mo" in response.content.decode()


def test_a_file_announced_too_large_is_not_written_at_all(written):
    boundary = "BoUnDaRy"
    body = (
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="fichier"; filename="enorme.pdf"\r\n'
        "Content-Type: application/pdf\r\n"
        f"Content-Length: {MAX_UPLOAD_SIZE + 1}\r\n"
        "\r\n"
        "%PDF-1.7 pretending to be big\r\n"
        f"--{boundary}--\r\n"
    ).encode()
    request = RequestFactory().generic(
        "POST", "/recevoir/", body, content_type=f"multipart/form-data; boundary={boundary}"
    )
    handler = install_upload_handler(request)

    assert "fichier" not in request.FILES
    assert handler.too_large_fields == {"fichier"}
    assert written["bytes"] == 0
    with pytest.raises(UploadRefused):
        uploaded_file(request, "fichier")


def test_the_handler_limit_can_be_lowered(settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 2  # D3's forms send one; two files here
    request = RequestFactory().post(
        "/recevoir/", {"petit": SimpleUploadedFile("a.png", files.png_bytes()),
                       "autre": SimpleUploadedFile("b.png", b"\x89PNG")}
    )
    handler = install_upload_handler(request, max_size=10)

    received = request.FILES["autre"]
    received.close()  # what the request/response cycle does after a real view

    assert isinstance(received, TemporaryUploadedFile)
    assert "petit" not in request.FILES
    assert isinstance(handler, BoundedUploadHandler)
    assert handler.too_large_fields == {"petit"}
