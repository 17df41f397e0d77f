"""Small valid and invalid PDF, PNG and JPEG files for tests, made in code."""

import io
import struct
import zlib

from django.core.files.uploadedfile import SimpleUploadedFile, TemporaryUploadedFile
from PIL import Image
from pypdf import PdfWriter

PDF_TYPE = "application/pdf"


def pdf_bytes(pages=1):
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def encrypted_pdf_bytes():
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    # RC4 needs no optional crypto library; being encrypted at all is what counts.
    writer.encrypt("secret", algorithm="RC4-128")
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def garbage_pdf_bytes():
    return b"%PDF-1.7\n" + bytes(range(256)) * 8 + b"\nnot a pdf at all\n"


def no_pages_pdf_bytes():
    buffer = io.BytesIO()
    PdfWriter().write(buffer)
    return buffer.getvalue()


def image_bytes(image_format, size=(8, 6), color=(200, 30, 30)):
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format=image_format)
    return buffer.getvalue()


def png_bytes(size=(8, 6)):
    return image_bytes("PNG", size)


def jpeg_bytes(size=(8, 6)):
    return image_bytes("JPEG", size)


def _png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_bomb_bytes(width=30000, height=30000):
    """A tiny, well-formed PNG that declares ``width`` × ``height`` pixels."""
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1-bit greyscale
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + _png_chunk(b"IEND", b"")
    )


def corrupted_png_bytes():
    """A PNG whose image data was altered after the fact: its CRC no longer matches."""
    data = bytearray(png_bytes())
    start = data.index(b"IDAT") + 4
    data[start + 2] ^= 0xFF
    return bytes(data)


def truncated_png_bytes():
    data = png_bytes((64, 64))
    return data[: len(data) // 2]


def truncated_jpeg_bytes():
    data = image_bytes("JPEG", (256, 256))
    return data[: len(data) // 3]


EXE_BYTES = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 64 + b"PE\x00\x00"
HTML_BYTES = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
SVG_BYTES = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg">'
    b"<script>alert(document.cookie)</script></svg>"
)
PNG_SIGNATURE_THEN_HTML = b"\x89PNG\r\n\x1a\n" + HTML_BYTES


def upload(content, name="piece.pdf", content_type=PDF_TYPE):
    """An in-memory upload, as Django makes for small files."""
    return SimpleUploadedFile(name, content, content_type=content_type)


def temporary_upload(content, name="piece.pdf", content_type=PDF_TYPE):
    """An upload on disk, as the bounded upload handler makes."""
    uploaded = TemporaryUploadedFile(name, content_type, len(content), None)
    uploaded.write(content)
    uploaded.seek(0)
    return uploaded
