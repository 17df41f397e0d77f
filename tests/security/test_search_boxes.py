"""Search boxes and other query parameters take any text: a NUL character (which
PostgreSQL refuses in a query) is dropped, a digit that is not 0-9 is no number,
instead of failing the page with a server error; found while fuzzing."""

from urllib.parse import urlencode

import pytest
from django.urls import reverse

from d3.search import search_query

SEARCH_PAGES = [
    ("auditeur", "dossiers:start", "q"),
    ("gestionnaire", "auditeurs:centre_home", "q"),
    ("gestionnaire", "dossiers:centre_queue", "q"),
    ("gestionnaire", "dossiers:centre_export", "q"),
    ("agent_dnf", "jury:dnf_dossiers", "q"),
]


def test_search_query_drops_nul_strips_and_cuts():
    assert search_query(None) == ""
    assert search_query("  Mar\x00tin \x00") == "Martin"
    assert search_query("é" * 150) == "é" * 100
    assert search_query("abcdef", 3) == "abc"


@pytest.mark.parametrize(("member", "url_name", "parameter"), SEARCH_PAGES)
def test_a_nul_character_in_a_search_box_is_not_a_server_error(
    client, cast, member, url_name, parameter
):
    client.force_login(cast[member])
    url = reverse(url_name) + "?" + urlencode({parameter: "Mar\x00tin"})

    response = client.get(url)

    assert response.status_code == 200
    if response.streaming:
        b"".join(response.streaming_content)


def test_the_session_page_s_search_of_eligible_dossiers_too(client, cast):
    from tests.security.test_url_sweep import session_kwargs

    client.force_login(cast["agent_dnf"])
    url = reverse("jury:dnf_session", kwargs=session_kwargs(cast))

    assert client.get(url + "?" + urlencode({"inscrire-q": "a\x00b"})).status_code == 200


@pytest.mark.parametrize("value", ["²", "٣", "99999999999999999999", "-1"])
def test_the_created_account_parameter_is_a_number_or_nothing(client, cast, value):
    client.force_login(cast["gestionnaire"])

    response = client.get(reverse("auditeurs:create_account"), {"compte": value})

    assert response.status_code in (200, 404)
