"""d3.pdf: templates become PDF bytes, with static files and never the network."""

import copy
import io
import socket

import pytest
from pypdf import PdfReader

from d3 import pdf


def pdf_text(data):
    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages)


@pytest.fixture
def template_dir(settings, tmp_path):
    """A folder of throw-away templates, searched before the project's."""
    templates = copy.deepcopy(settings.TEMPLATES)
    templates[0]["DIRS"] = [tmp_path, *templates[0]["DIRS"]]
    settings.TEMPLATES = templates
    return tmp_path


@pytest.fixture
def no_network(monkeypatch):
    """Any attempt to resolve a host name or open a connection is recorded and fails."""
    attempts = []

    def refuse(*args, **kwargs):
        attempts.append(args)
        raise OSError("réseau interdit pendant les tests")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    return attempts


def test_it_renders_the_context_into_a_pdf(template_dir):
    (template_dir / "essai.html").write_text(
        '{% extends "pdf/base.html" %}{% block content %}'
        "<h1>{{ titre }}</h1><p>Auditeur n° {{ numero }}</p>{% endblock %}",
        encoding="utf-8",
    )

    data = pdf.render_pdf("essai.html", {"titre": "Récapitulatif signé", "numero": "PAR100001"})

    assert data.startswith(b"%PDF-")
    text = pdf_text(data)
    assert "Récapitulatif signé" in text
    assert "Auditeur n° PAR100001" in text


def test_the_base_template_prints_the_letterhead_and_page_numbers(template_dir):
    (template_dir / "deux_pages.html").write_text(
        '{% extends "pdf/base.html" %}{% block content %}'
        '<p>Début</p><p style="break-before: page">Fin</p>{% endblock %}',
        encoding="utf-8",
    )

    reader = PdfReader(io.BytesIO(pdf.render_pdf("deux_pages.html", {})))

    assert len(reader.pages) == 2
    for number, page in enumerate(reader.pages, start=1):
        text = page.extract_text()
        assert "Conservatoire national des arts et métiers" in text
        assert f"Page {number} sur 2" in text
    # A4 in PostScript points.
    assert round(float(reader.pages[0].mediabox.width)) == 595
    assert round(float(reader.pages[0].mediabox.height)) == 842


def test_it_renders_without_fetching_a_network_url(template_dir, no_network):
    (template_dir / "reseau.html").write_text(
        '{% extends "pdf/base.html" %}{% block extra_style %}'
        '<link rel="stylesheet" href="https://example.invalid/style.css">{% endblock %}'
        '{% block content %}<p>Avant</p><img src="http://example.invalid/x.png" alt="">'
        "<p>Après</p>{% endblock %}",
        encoding="utf-8",
    )

    data = pdf.render_pdf("reseau.html", {})

    assert no_network == []
    text = pdf_text(data)
    assert "Avant" in text and "Après" in text


def test_the_fetcher_reads_static_files_only():
    fetcher = pdf._fetcher_class()()

    response = fetcher.fetch("file:///static/css/pdf.css")
    try:
        assert b"@page" in response.read()
    finally:
        response.close()

    for url in (
        "file:///etc/passwd",
        "file:///static/../../etc/passwd",
        "http://example.invalid/x.png",
        "https://127.0.0.1/",
        "ftp://example.invalid/x",
    ):
        with pytest.raises(ValueError):
            fetcher.fetch(url)


def test_the_fetcher_accepts_data_urls():
    fetcher = pdf._fetcher_class()()

    response = fetcher.fetch("data:text/plain;base64,RDM=")

    assert response.read() == b"D3"


def test_one_font_configuration_serves_every_render(template_dir):
    (template_dir / "court.html").write_text("<p>{{ n }}</p>", encoding="utf-8")

    pdf.render_pdf("court.html", {"n": 1})
    first = pdf._font_config
    pdf.render_pdf("court.html", {"n": 2})

    assert first is not None
    assert pdf._font_config is first
