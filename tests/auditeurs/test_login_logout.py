from django.contrib.auth import SESSION_KEY
from django.urls import reverse


def test_logout_asks_for_confirmation_then_logs_out(client, auditeur):
    client.force_login(auditeur)
    response = client.get(reverse("account_logout"))
    assert response.status_code == 200
    assert "Voulez-vous vraiment vous déconnecter" in response.content.decode()
    assert SESSION_KEY in client.session

    response = client.post(reverse("account_logout"))
    assert response.status_code == 302
    assert response["Location"] == reverse("account_login")
    assert SESSION_KEY not in client.session


def test_other_allauth_pages_take_the_d3_layout(client, auditeur):
    client.force_login(auditeur)
    response = client.get(reverse("account_change_password"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="site-header"' in html
    assert 'class="button"' in html
    assert 'autocomplete="current-password"' in html
