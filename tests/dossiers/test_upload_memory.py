"""Checking a large upload reads it in pieces: the process's memory does not hold it.

benchmarks/upload_memory.py measures the whole request in gunicorn; this is the check
that made the difference (pypdf given the file's path read all of it into memory).
"""

import tracemalloc

import pytest
from django.core.files.uploadedfile import TemporaryUploadedFile

from benchmarks.upload_memory import pdf_of_size
from dossiers.uploads import check_upload

SIZE = 8 * 1024 * 1024


@pytest.fixture
def large_pdf_on_disk():
    content = pdf_of_size(SIZE)
    uploaded = TemporaryUploadedFile("scan.pdf", "application/pdf", len(content), None)
    uploaded.write(content)
    uploaded.seek(0)
    del content
    yield uploaded
    uploaded.close()


def test_an_8_mb_pdf_is_checked_without_holding_it_in_memory(large_pdf_on_disk):
    check_upload(large_pdf_on_disk, ["pdf"])  # imports and caches, not measured
    tracemalloc.start()
    try:
        checked = check_upload(large_pdf_on_disk, ["pdf"])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert checked.size > SIZE - 2048 and checked.format == "pdf"
    # Chunks of 64 KB and the parsed page tree; the whole file would be 8 MB.
    assert peak < 1024 * 1024, f"{peak / 1024 / 1024:.1f} Mio alloués au plus"
