"""Checking uploaded pièces by their content, and bounding what an upload may cost.

Two layers:

- :class:`BoundedUploadHandler` stops receiving a file once it exceeds
  :data:`MAX_UPLOAD_SIZE`, so a huge upload never lands in memory or on disk in
  full. A view that receives pièces installs it with :func:`bounded_uploads`.
- :func:`check_upload` decides from the bytes themselves (never the name or the
  declared type) whether a file is a readable PDF, JPEG or PNG the pièce type
  accepts, and returns what the database keeps about it.

The reverse proxy's body size limit (``client_max_body_size``) remains the hard
limit on what reaches Django at all; these checks are what the auditeur sees.

Polyglots. A file that is two things at once (an image that a browser would also
read as HTML) is refused: the magic bytes only choose which check runs, then the
whole file must be what they say. A PDF must open with pypdf; an image must be read
by Pillow, and nothing but zero bytes may follow its end marker (PNG's ``IEND``
chunk, JPEG's ``EOI``): bytes appended there are invisible in every viewer and are
the usual place to hide a second file. Images are not re-encoded: what the auditeur
deposited is what staff download, byte for byte (its SHA-256 is part of the signed
content). Phone "motion photos" carry a video after the JPEG's end and are refused
with a message saying how to export a plain photo.

A request carrying more files than any form sends (``DATA_UPLOAD_MAX_NUMBER_FILES``)
or oversized fields is refused by :func:`bounded_uploads` with a French page, before
any file is checked or stored.
"""

import hashlib
import mmap
import struct
from dataclasses import dataclass
from functools import wraps

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.core.files.uploadhandler import SkipFile, TemporaryFileUploadHandler
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from PIL import Image
from pypdf import PdfReader

from dossiers.models import PieceFormat

MAX_UPLOAD_SIZE = 10 * 1024 * 1024
# 64 megapixels: a 600 dpi A4 scan (35 MP) or a 50 MP phone photo fits; a PNG
# declaring 30000 × 30000 pixels in a few bytes (a decompression bomb) does not.
# Checked by us rather than by changing Pillow's process-wide MAX_IMAGE_PIXELS,
# which other code (PDF rendering) relies on.
MAX_IMAGE_PIXELS = 64_000_000
CHUNK_SIZE = 64 * 1024

CONTENT_TYPES = {
    PieceFormat.PDF: "application/pdf",
    PieceFormat.JPEG: "image/jpeg",
    PieceFormat.PNG: "image/png",
}
# What the file must start with; the longest is 8 bytes.
MAGIC_BYTES = {
    PieceFormat.PDF: b"%PDF-",
    PieceFormat.JPEG: b"\xff\xd8\xff",
    PieceFormat.PNG: b"\x89PNG\r\n\x1a\n",
}
HEADER_LENGTH = max(len(magic) for magic in MAGIC_BYTES.values())

MESSAGE_TOO_LARGE = "Le fichier dépasse la taille maximale de 10 Mo."
MESSAGE_TOO_MANY = (
    "Un seul fichier peut être déposé à la fois, pour une pièce : rien n'a été "
    "enregistré. Revenez à vos pièces et déposez vos fichiers un par un."
)
MESSAGE_REQUEST_TOO_BIG = (
    "Les données envoyées sont trop volumineuses : rien n'a été enregistré. Revenez à "
    "vos pièces et déposez vos fichiers un par un."
)


class UploadRefused(Exception):
    """The file cannot be kept; ``message`` (French) tells the auditeur why."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class CheckedFile:
    format: str  # a PieceFormat value, detected from the content
    content_type: str  # derived from ``format``, never the browser's claim
    size: int
    sha256: str


# --- Upload handler ---------------------------------------------------------


class BoundedUploadHandler(TemporaryFileUploadHandler):
    """Streams each file to a temporary file and drops it once it exceeds ``max_size``.

    A dropped file is missing from ``request.FILES``; its field name is recorded in
    ``too_large_fields`` so the view can tell "too large" from "no file"
    (:func:`uploaded_file`). ``SkipFile`` rather than ``StopUpload``: the parser
    then discards the rest of that file without storing it, and still reads the
    fields after it (the CSRF token may come after the file in the form).
    """

    def __init__(self, request=None, max_size=MAX_UPLOAD_SIZE):
        super().__init__(request)
        self.max_size = max_size
        self.too_large_fields = set()

    def new_file(self, field_name, file_name, content_type, content_length, *args, **kwargs):
        # Browsers rarely send a per-part length, but when one is announced and too
        # big, nothing needs to be written at all. SkipFile raised here is caught
        # by the parser like one raised while receiving.
        if content_length is not None and content_length > self.max_size:
            self.too_large_fields.add(field_name)
            raise SkipFile
        super().new_file(field_name, file_name, content_type, content_length, *args, **kwargs)

    def receive_data_chunk(self, raw_data, start):
        if start + len(raw_data) > self.max_size:
            self.too_large_fields.add(self.field_name)
            # The parser closes (hence deletes) the temporary file and skips the rest.
            raise SkipFile
        return super().receive_data_chunk(raw_data, start)


def install_upload_handler(request, max_size=MAX_UPLOAD_SIZE):
    """Make ``request`` parse its files with a :class:`BoundedUploadHandler`.

    Must run before anything reads ``request.POST`` or ``request.FILES`` — including
    the CSRF middleware, hence :func:`bounded_uploads` rather than a bare call.
    """
    handler = BoundedUploadHandler(request, max_size=max_size)
    request.upload_handlers = [handler]
    return handler


def bounded_uploads(view):
    """Decorator for views that receive pièces.

    Django's CSRF middleware reads ``request.POST`` before the view runs, after
    which the upload handlers can no longer be changed. As Django's documentation
    on upload handlers explains, the view is therefore exempted from the
    middleware and protected again by ``csrf_protect`` once the bounded handler
    is in place: the CSRF check still happens, just a step later. Decorators
    stacked above it (``login_required``…) keep the exemption: ``wraps`` copies
    the ``csrf_exempt`` mark.
    """
    protected = csrf_protect(view)

    @csrf_exempt
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        install_upload_handler(request)
        try:
            # Parsed here rather than by csrf_protect, so that a body Django refuses
            # gets a French page instead of the bare "bad request" one. Nothing has
            # been checked or stored yet, and the CSRF check is still to come: the
            # page only says what happened.
            request.FILES  # noqa: B018
        except TooManyFilesSent:
            return _refused_request(request, MESSAGE_TOO_MANY)
        except (RequestDataTooBig, TooManyFieldsSent):
            return _refused_request(request, MESSAGE_REQUEST_TOO_BIG)
        return protected(request, *args, **kwargs)

    return wrapper


def _refused_request(request, message):
    referer = request.headers.get("referer", "")
    back = referer if url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ) else None
    return render(request, "dossiers/upload_refused.html",
                  {"message": message, "back": back}, status=400)


def uploaded_file(request, field_name):
    """The file posted in ``field_name``, or None if none was sent.

    Raises :class:`UploadRefused` if it was dropped for being too large.
    """
    # Parsing is lazy: read FILES first, so that the handlers have seen the body.
    received = request.FILES.get(field_name)
    for handler in request.upload_handlers:
        if isinstance(handler, BoundedUploadHandler) and field_name in handler.too_large_fields:
            raise UploadRefused(MESSAGE_TOO_LARGE)
    return received


# --- Content checks ---------------------------------------------------------


def accepted_formats_message(accepted_formats):
    labels = [fmt.label for fmt in PieceFormat if fmt.value in accepted_formats]
    if len(labels) == 1:
        return f"Format accepté : {labels[0]}."
    return f"Formats acceptés : {', '.join(labels)}."


def check_upload(uploaded_file, accepted_formats):
    """Check ``uploaded_file`` by its content; return a :class:`CheckedFile`.

    Raises :class:`UploadRefused` when it is empty, larger than
    :data:`MAX_UPLOAD_SIZE`, not a PDF/JPEG/PNG by its first bytes, of a format
    the pièce type does not accept, an encrypted or unreadable PDF, or a
    corrupted or oversized image. The file is read in chunks (never whole into
    memory) and left rewound.
    """
    declared_size = getattr(uploaded_file, "size", None)
    if declared_size is not None and declared_size > MAX_UPLOAD_SIZE:
        raise UploadRefused(MESSAGE_TOO_LARGE)

    digest = hashlib.sha256()
    size = 0
    header = b""
    # chunks() rewinds first; the declared size is only a shortcut, the count is ours.
    for chunk in uploaded_file.chunks(CHUNK_SIZE):
        size += len(chunk)
        if size > MAX_UPLOAD_SIZE:
            raise UploadRefused(MESSAGE_TOO_LARGE)
        if len(header) < HEADER_LENGTH:
            header += chunk[: HEADER_LENGTH - len(header)]
        digest.update(chunk)
    if size == 0:
        raise UploadRefused("Le fichier est vide.")

    file_format = _format_from_header(header)
    if file_format is None:
        raise UploadRefused(
            "Ce fichier n'est ni un PDF, ni une image JPEG ou PNG : son contenu a été "
            "vérifié, pas seulement son nom. " + accepted_formats_message(accepted_formats)
        )
    if file_format not in accepted_formats:
        raise UploadRefused(
            f"Ce fichier est au format {file_format.label}. "
            + accepted_formats_message(accepted_formats)
        )

    if file_format == PieceFormat.PDF:
        _check_pdf(uploaded_file)
    else:
        _check_image(uploaded_file, file_format)
        _check_nothing_after_image(uploaded_file, file_format, size)
    uploaded_file.seek(0)

    return CheckedFile(
        format=file_format.value,
        content_type=CONTENT_TYPES[file_format],
        size=size,
        sha256=digest.hexdigest(),
    )


def _format_from_header(header):
    for file_format, magic in MAGIC_BYTES.items():
        if header.startswith(magic):
            return file_format
    return None


def _source(uploaded_file):
    """What Pillow should read: the temporary file's path when the upload is on disk
    (it then seeks freely without going through Django's proxy), else the rewound
    file object."""
    if hasattr(uploaded_file, "temporary_file_path"):
        return uploaded_file.temporary_file_path()
    uploaded_file.seek(0)
    return uploaded_file


def _check_pdf(uploaded_file):
    unreadable = UploadRefused(
        "Ce PDF est illisible ou endommagé : enregistrez-le à nouveau (par exemple "
        "avec « Imprimer en PDF ») puis déposez-le."
    )
    try:
        # Oddities that non-strict parsing gets past are only logged by pypdf.
        # The open file, never its path: given a path, pypdf first reads the whole file
        # into memory (10 MB more per upload, measured by benchmarks/upload_memory.py);
        # given a file, it reads only what it parses (cross-references, page tree).
        uploaded_file.seek(0)
        reader = PdfReader(uploaded_file.file)
        encrypted = reader.is_encrypted
        page_count = None if encrypted else len(reader.pages)
    # A parser fed untrusted bytes fails in many ways (PdfReadError, but also
    # KeyError, ValueError, RecursionError…): each means "not a readable PDF".
    except Exception as exc:
        raise unreadable from exc
    if encrypted:
        raise UploadRefused(
            "Ce PDF est protégé par un mot de passe ou chiffré : déposez une version "
            "sans protection."
        )
    if not page_count:
        raise unreadable


def _check_image(uploaded_file, file_format):
    corrupted = UploadRefused(
        "Cette image est illisible ou endommagée : enregistrez-la à nouveau puis déposez-la."
    )
    too_big = UploadRefused(
        "Cette image a trop de pixels (plus de 64 millions) : réduisez sa résolution "
        "puis déposez-la à nouveau."
    )
    expected = {PieceFormat.JPEG: "JPEG", PieceFormat.PNG: "PNG"}[file_format]
    try:
        # Pillow raises DecompressionBombError beyond twice its own limit and only
        # warns below; our limit is lower than both and is checked right after
        # opening, which reads no more than the header. (Not by turning the warning
        # into an error: changing warning filters is not thread-safe.)
        with Image.open(_source(uploaded_file), formats=[expected]) as image:
            width, height = image.size
            if width * height > MAX_IMAGE_PIXELS:
                raise too_big
            # Checks the structure (for PNG, every chunk's CRC) without decoding.
            image.verify()
        if file_format == PieceFormat.JPEG:
            # verify() does not look at JPEG data: decode at 1/8 scale, which is
            # cheap and catches a truncated or damaged image.
            with Image.open(_source(uploaded_file), formats=[expected]) as image:
                image.draft("RGB", (max(1, width // 8), max(1, height // 8)))
                image.load()
    except UploadRefused:
        raise
    # The warning is an exception where warnings are errors (the tests).
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise too_big from exc
    # As for PDFs, a decoder fed untrusted bytes fails in many ways
    # (UnidentifiedImageError, SyntaxError for a broken PNG chunk, OSError for
    # truncated data, struct.error…): each means "not a usable image".
    except Exception as exc:
        raise corrupted from exc


# --- What follows an image's end --------------------------------------------------

MESSAGE_TRAILING_DATA = (
    "Cette image contient d'autres données après sa fin (par exemple une « photo "
    "animée » ou un fichier accolé) : exportez-la en simple photo JPEG ou PNG, ou "
    "enregistrez-la en PDF, puis déposez-la à nouveau."
)


def _check_nothing_after_image(uploaded_file, file_format, size):
    with _bytes_of(uploaded_file) as data:
        end = _png_end(data) if file_format == PieceFormat.PNG else _jpeg_end(data)
        if end is None:
            # Pillow read it, yet no end marker: truncated after the image data.
            raise UploadRefused(
                "Cette image est illisible ou endommagée : enregistrez-la à nouveau "
                "puis déposez-la."
            )
        # Zero padding (some scanners align files on blocks) hides nothing.
        if end < size and data[end:size].strip(b"\0"):
            raise UploadRefused(MESSAGE_TRAILING_DATA)


class _bytes_of:
    """The upload's bytes as a buffer: the temporary file mapped in memory (the OS
    reads the pages it needs), or the small in-memory upload read whole."""

    def __init__(self, uploaded_file):
        self.uploaded_file = uploaded_file
        self.mapped = None

    def __enter__(self):
        if hasattr(self.uploaded_file, "temporary_file_path"):
            self.uploaded_file.file.flush()
            self.mapped = mmap.mmap(self.uploaded_file.fileno(), 0, access=mmap.ACCESS_READ)
            return self.mapped
        self.uploaded_file.seek(0)
        return self.uploaded_file.read()

    def __exit__(self, *exc):
        if self.mapped is not None:
            self.mapped.close()


def _png_end(data):
    """Offset just after the IEND chunk, or None. Chunks: length (4), type (4), data,
    CRC (4); Pillow's verify() has already checked each CRC."""
    position = len(MAGIC_BYTES[PieceFormat.PNG])
    while position + 8 <= len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        kind = data[position + 4 : position + 8]
        position += 12 + length
        if kind == b"IEND":
            return position if position <= len(data) else None
    return None


# JPEG markers without a length: TEM, RST0–RST7 (SOI and EOI are handled apart).
_STANDALONE_MARKERS = {0x01, *range(0xD0, 0xD8)}


def _jpeg_end(data):
    """Offset just after the EOI marker that ends the image, or None.

    Walks the segments (a marker, then a 2-byte length that counts itself), so that
    an EOI inside a segment (the thumbnail in EXIF data) is skipped; after each
    start of scan (SOS), skips the compressed data, where a 0xFF byte is always
    followed by 0x00 (stuffing) or a restart marker.
    """
    size = len(data)
    position = 2  # after SOI, checked by the magic bytes
    while position < size:
        if data[position] != 0xFF:
            return None
        # Any number of 0xFF fill bytes may precede a marker.
        while position < size and data[position] == 0xFF:
            position += 1
        if position >= size:
            return None
        marker = data[position]
        position += 1
        if marker == 0xD9:
            return position
        if marker in _STANDALONE_MARKERS:
            continue
        if position + 2 > size:
            return None
        (length,) = struct.unpack(">H", data[position : position + 2])
        if length < 2:
            return None
        position += length
        if marker == 0xDA:
            position = _end_of_scan(data, position)
            if position is None:
                return None
    return None


def _end_of_scan(data, position):
    """Where the marker after a scan's compressed data starts, or None."""
    size = len(data)
    while True:
        position = data.find(b"\xff", position)
        if position < 0 or position + 1 >= size:
            return None
        following = data[position + 1]
        if following == 0x00 or 0xD0 <= following <= 0xD7:
            position += 2
        elif following == 0xFF:
            position += 1  # fill byte before a marker
        else:
            return position
