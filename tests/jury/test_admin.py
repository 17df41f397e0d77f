"""The jury's records in the admin: shown, never changed there."""

import pytest

from tests.jury.factories import CourrierFactory

PAGES = ["jurysession", "decision", "courrier"]


@pytest.mark.parametrize("model", PAGES)
def test_the_administrator_sees_them(client, administrator_with_courrier, model):
    response = client.get(f"/admin/jury/{model}/")
    assert response.status_code == 200
    assert f'href="/admin/jury/{model}/add/"' not in response.content.decode()


@pytest.mark.parametrize("model", PAGES)
def test_nothing_is_changed_there(client, administrator_with_courrier, model):
    courrier = administrator_with_courrier
    pk = {"jurysession": courrier.session_id, "decision": courrier.dossier.decision.pk,
          "courrier": courrier.pk}[model]
    page = client.get(f"/admin/jury/{model}/{pk}/change/")
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert client.get(f"/admin/jury/{model}/add/").status_code == 403
    assert client.post(f"/admin/jury/{model}/{pk}/delete/", {"post": "yes"}).status_code == 403


@pytest.fixture
def administrator_with_courrier(client, administrateur):
    client.force_login(administrateur)
    return CourrierFactory(envoye=True)
