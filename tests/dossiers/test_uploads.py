"""check_upload: a file is judged by its content, never by its name or declared type."""

import hashlib
import io

import pytest
from PIL import Image

from dossiers.uploads import MAX_UPLOAD_SIZE, CheckedFile, UploadRefused, check_upload
from tests.dossiers import files

ALL_FORMATS = ["pdf", "jpeg", "png"]


def refusal(content, name="piece.pdf", content_type="application/pdf", formats=ALL_FORMATS):
    with pytest.raises(UploadRefused) as caught:
        check_upload(files.upload(content, name, content_type), formats)
    return caught.value.message


@pytest.mark.parametrize(
    ("make", "file_format", "content_type", "name"),
    [
        (files.pdf_bytes, "pdf", "application/pdf", "diplome.pdf"),
        (files.jpeg_bytes, "jpeg", "image/jpeg", "photo.jpg"),
        (files.png_bytes, "png", "image/png", "scan.png"),
    ],
)
def test_it_accepts_pdf_jpeg_and_png(make, file_format, content_type, name):
    content = make()

    checked = check_upload(files.upload(content, name, "application/octet-stream"), ALL_FORMATS)

    assert checked == CheckedFile(
        format=file_format,
        content_type=content_type,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
    )


@pytest.mark.parametrize("make", [files.pdf_bytes, files.jpeg_bytes, files.png_bytes])
def test_it_checks_a_temporary_file_on_disk(make):
    content = make()
    uploaded = files.temporary_upload(content)

    checked = check_upload(uploaded, ALL_FORMATS)
    position = uploaded.tell()
    uploaded.close()

    assert checked.sha256 == hashlib.sha256(content).hexdigest()
    assert position == 0  # left rewound for storage


def test_it_judges_by_content_not_by_name_or_declared_type():
    checked = check_upload(files.upload(files.png_bytes(), "lettre.pdf", "application/pdf"),
                           ALL_FORMATS)

    assert checked.format == "png"
    assert checked.content_type == "image/png"


def test_it_hashes_a_multi_chunk_file():
    content = files.pdf_bytes(pages=1000)
    assert len(content) > 64 * 1024

    checked = check_upload(files.upload(content), ALL_FORMATS)

    assert checked.sha256 == hashlib.sha256(content).hexdigest()
    assert checked.size == len(content)


def test_it_refuses_an_empty_file():
    assert refusal(b"") == "Le fichier est vide."


def test_it_refuses_a_file_over_10_mb():
    content = b"%PDF-1.7\n" + b"0" * (MAX_UPLOAD_SIZE + 1 - 9)
    assert len(content) == MAX_UPLOAD_SIZE + 1

    assert refusal(content) == "Le fichier dépasse la taille maximale de 10 Mo."


def test_it_refuses_an_oversized_file_even_if_its_size_attribute_lies():
    uploaded = files.upload(b"%PDF-1.7\n" + b"0" * MAX_UPLOAD_SIZE)
    uploaded.size = 10

    with pytest.raises(UploadRefused, match="10 Mo"):
        check_upload(uploaded, ALL_FORMATS)


@pytest.mark.parametrize(
    ("content", "name", "content_type"),
    [
        (files.EXE_BYTES, "diplome.pdf", "application/pdf"),
        (files.HTML_BYTES, "diplome.pdf", "application/pdf"),
        (files.SVG_BYTES, "photo.png", "image/png"),
        (b"just some text", "notes.pdf", "application/pdf"),
    ],
    ids=["exe-renamed-pdf", "html-renamed-pdf", "svg-renamed-png", "text"],
)
def test_it_refuses_other_types_whatever_their_name(content, name, content_type):
    message = refusal(content, name, content_type)

    assert message.startswith("Ce fichier n'est ni un PDF, ni une image JPEG ou PNG")
    assert message.endswith("Formats acceptés : PDF, JPEG, PNG.")


def test_it_refuses_a_format_the_piece_type_does_not_accept():
    message = refusal(files.png_bytes(), "scan.png", "image/png", formats=["pdf"])

    assert message == "Ce fichier est au format PNG. Format accepté : PDF."


def test_it_names_every_accepted_format():
    message = refusal(files.pdf_bytes(), formats=["jpeg", "png"])

    assert message == "Ce fichier est au format PDF. Formats acceptés : JPEG, PNG."


def test_it_refuses_an_encrypted_pdf():
    assert refusal(files.encrypted_pdf_bytes()) == (
        "Ce PDF est protégé par un mot de passe ou chiffré : déposez une version sans protection."
    )


@pytest.mark.parametrize(
    "content",
    [files.garbage_pdf_bytes(), b"%PDF-", files.no_pages_pdf_bytes(), files.pdf_bytes()[:200]],
    ids=["garbage-after-header", "header-only", "no-pages", "truncated"],
)
def test_it_refuses_an_unreadable_pdf(content):
    assert refusal(content).startswith("Ce PDF est illisible ou endommagé")


@pytest.mark.parametrize(
    ("content", "name"),
    [
        (files.truncated_png_bytes(), "scan.png"),
        (files.corrupted_png_bytes(), "scan.png"),
        (files.truncated_jpeg_bytes(), "photo.jpg"),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 40, "photo.jpg"),
        (files.PNG_SIGNATURE_THEN_HTML, "scan.png"),
    ],
    ids=["truncated-png", "corrupted-png", "truncated-jpeg", "jpeg-header-only",
         "png-signature-then-html"],
)
def test_it_refuses_a_damaged_image(content, name):
    message = refusal(content, name, "image/png")

    assert message.startswith("Cette image est illisible ou endommagée")


def test_a_png_signature_followed_by_html_is_not_a_png():
    # Decided: the magic bytes only choose the check; Pillow must then read a real image.
    assert "illisible" in refusal(files.PNG_SIGNATURE_THEN_HTML, "page.png", "image/png")


@pytest.mark.parametrize(
    ("make", "name"),
    [(files.png_bytes, "scan.png"), (files.jpeg_bytes, "photo.jpg")],
    ids=["png", "jpeg"],
)
def test_a_valid_image_with_html_after_its_end_is_refused(make, name):
    # Decided: nothing but zero bytes may follow the image's end marker (IEND, EOI):
    # appended bytes are invisible in a viewer and are where a second file hides.
    message = refusal(make() + files.HTML_BYTES, name, "image/png")

    assert message.startswith("Cette image contient d'autres données après sa fin")


def test_zero_padding_after_the_image_is_accepted():
    # Some scanners pad files to a block size with zero bytes: nothing hides there.
    content = files.jpeg_bytes() + b"\0" * 512

    assert check_upload(files.upload(content, "scan.jpg"), ALL_FORMATS).format == "jpeg"


@pytest.mark.parametrize(
    "options",
    [{}, {"progressive": True}, {"restart_marker_blocks": 1}, {"optimize": True}],
    ids=["baseline", "progressive", "restart-markers", "optimized"],
)
def test_the_end_of_every_kind_of_jpeg_is_found(options):
    # A noisy image, so that the compressed data holds many 0xFF bytes (stuffed).
    buffer = io.BytesIO()
    Image.effect_noise((256, 192), 90).convert("RGB").save(buffer, "JPEG", **options)
    content = buffer.getvalue()

    assert check_upload(files.temporary_upload(content), ALL_FORMATS).format == "jpeg"
    refused = refusal(content + b"%PDF-1.7 hidden", "scan.jpg")
    assert refused.startswith("Cette image contient d'autres données")


@pytest.mark.parametrize(
    ("width", "height"),
    [(30000, 30000), (8001, 8000), (10000, 10000)],
    ids=["beyond-pillow-limit", "just-over-ours", "between-ours-and-pillow"],
)
def test_it_refuses_a_decompression_bomb(width, height):
    content = files.png_bomb_bytes(width, height)
    assert len(content) < 200

    assert refusal(content, "scan.png", "image/png").startswith("Cette image a trop de pixels")


def test_it_accepts_a_large_but_reasonable_image():
    # 64 megapixels exactly: a big scan is fine.
    content = files.png_bomb_bytes(8000, 8000)

    checked = check_upload(files.upload(content, "scan.png", "image/png"), ALL_FORMATS)

    assert checked.format == "png"
