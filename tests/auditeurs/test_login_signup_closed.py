"""No public sign-up: ENF accounts are imported or created by a centre."""

from auditeurs.models import User
from django.urls import reverse


def test_the_signup_page_explains_there_is_no_signup(client, db):
    response = client.get(reverse("account_signup"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Pas d'inscription en ligne" in html
    assert "<form" not in html.split('<main')[1].split("</main>")[0]


def test_posting_to_signup_creates_no_account(client, db):
    response = client.post(
        reverse("account_signup"),
        {
            "username": "pirate.intrus.auditeur",
            "email": "intrus@example.org",
            "password1": "un-mot-de-passe-solide-42",
        },
    )
    assert response.status_code == 200
    assert not User.objects.filter(username="pirate.intrus.auditeur").exists()
    assert "_auth_user_id" not in client.session
