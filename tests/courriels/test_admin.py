"""The outbox in the Django admin: read-only, searchable, failed ones resendable."""

import pytest
from django.core import mail
from django.urls import reverse

from d3.courriels.models import Status
from tests.courriels.conftest import reload
from tests.courriels.factories import CourrielFactory

pytestmark = [
    pytest.mark.django_db,
    # WhiteNoise warns that STATIC_ROOT is absent (collectstatic never runs in tests).
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]

CHANGELIST = reverse("admin:courriels_courriel_changelist")


@pytest.fixture
def admin_client(client, administrateur):
    client.force_login(administrateur)
    return client


def test_it_lists_and_searches_by_dossier_reference(admin_client):
    CourrielFactory(dossier_reference="D3-2026-000777", subject="Dossier reçu")
    CourrielFactory(dossier_reference="D3-2026-000888", subject="Corrections demandées")

    response = admin_client.get(CHANGELIST, {"q": "000777", "status__exact": "pending"})

    assert response.status_code == 200
    html = response.content.decode()
    assert "Dossier reçu" in html
    assert "Corrections demandées" not in html


def test_the_detail_is_read_only(admin_client):
    courriel = CourrielFactory()

    response = admin_client.get(reverse("admin:courriels_courriel_change", args=[courriel.pk]))

    assert response.status_code == 200
    assert response.context["adminform"].form.fields == {}
    assert admin_client.get(reverse("admin:courriels_courriel_add")).status_code == 403


def test_the_action_resends_the_failed_ones_only(admin_client, django_capture_on_commit_callbacks):
    failed = CourrielFactory(failed=True)
    sent = CourrielFactory(sent=True)

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(CHANGELIST, {
            "action": "resend_failed", "_selected_action": [failed.pk, sent.pk],
        }, follow=True)

    assert response.status_code == 200
    html = response.content.decode()
    assert "1 courriel remis en file d&#x27;envoi." in html
    assert "1 courriel ignoré" in html
    assert reload(failed).status == Status.SENT
    assert [m.to for m in mail.outbox] == [[failed.to]]
