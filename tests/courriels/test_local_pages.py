"""Local courriel pages: a developer's mailbox, only when DEBUG is on."""

import pytest
from django.urls import reverse

from tests.courriels.factories import CourrielFactory

pytestmark = [
    pytest.mark.django_db,
    # WhiteNoise warns that STATIC_ROOT is absent (collectstatic never runs in tests).
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]


@pytest.fixture
def debug(settings):
    settings.DEBUG = True


def test_they_do_not_exist_outside_debug(client, settings):
    settings.DEBUG = False
    courriel = CourrielFactory()

    assert client.get(reverse("courriels:local_list")).status_code == 404
    assert client.get(reverse("courriels:local_detail", args=[courriel.pk])).status_code == 404


def test_the_list_shows_newest_first(client, debug):
    older = CourrielFactory(subject="Premier courriel", to="premier@example.org")
    newer = CourrielFactory(subject="Second courriel", sent=True)

    response = client.get(reverse("courriels:local_list"))

    assert response.status_code == 200
    html = response.content.decode()
    assert html.index("Second courriel") < html.index("Premier courriel")
    assert "premier@example.org" in html
    assert "En attente d&#x27;envoi" in html
    assert "Envoyé" in html
    assert reverse("courriels:local_detail", args=[newer.pk]) in html
    assert reverse("courriels:local_detail", args=[older.pk]) in html
    assert '<th scope="col">Destinataire</th>' in html


def test_the_list_is_paginated_by_25(client, debug):
    CourrielFactory.create_batch(26)

    first = client.get(reverse("courriels:local_list"))
    second = client.get(reverse("courriels:local_list"), {"page": 2})

    assert len(first.context["page"].object_list) == 25
    assert len(second.context["page"].object_list) == 1
    assert "Page suivante" in first.content.decode()


@pytest.mark.parametrize("rows", [3, 30])
def test_the_list_queries_do_not_grow_with_rows(client, debug, rows, django_assert_num_queries):
    CourrielFactory.create_batch(rows)

    with django_assert_num_queries(2):  # count, page
        response = client.get(reverse("courriels:local_list"))

    assert response.status_code == 200


def test_the_detail_shows_both_bodies_and_attachment_names(client, debug):
    courriel = CourrielFactory(
        body_text="Bonjour,\nDéfinissez votre mot de passe : https://d3.example.org/compte/x/",
        body_html='<p>Bonjour <script>alert("x")</script></p>',
        attachments=[{"name": "recapitulatif.pdf", "path": "r/1.pdf",
                      "mimetype": "application/pdf"}],
    )

    response = client.get(reverse("courriels:local_detail", args=[courriel.pk]))

    assert response.status_code == 200
    html = response.content.decode()
    assert courriel.subject in html
    assert "recapitulatif.pdf" in html
    assert '<a href="https://d3.example.org/compte/x/"' in html  # the link is clickable
    # The HTML part is shown in a sandbox, escaped into the attribute, never run here.
    assert 'sandbox=""' in html
    assert 'srcdoc="&lt;p&gt;Bonjour &lt;script&gt;alert(&quot;x&quot;)' in html
    assert "<script>" not in html


def test_the_detail_of_an_unknown_courriel_is_404(client, debug):
    assert client.get(reverse("courriels:local_detail", args=[999999])).status_code == 404
