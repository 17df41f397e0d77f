"""/sante/: what a load balancer asks before sending traffic to an instance."""

import pytest
from django.urls import reverse

from d3 import views


def test_it_answers_200_when_database_broker_and_storage_answer(client, db):
    response = client.get(reverse("health"))

    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "broker": "ok", "storage": "ok"},
    }
    assert "no-store" in response["Cache-Control"]


@pytest.mark.parametrize("service", ["database", "broker", "storage"])
def test_it_answers_503_naming_the_service_that_fails(client, db, monkeypatch, service):
    def down():
        raise ConnectionRefusedError(f"{service} injoignable")

    monkeypatch.setattr(views, f"_check_{service}", down)

    response = client.get(reverse("health"))

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "erreur"
    assert body["checks"][service] == "erreur"
    assert [name for name, state in body["checks"].items() if state != "ok"] == [service]


def test_it_does_not_say_why_a_service_failed(client, db, monkeypatch):
    # The cause (a host name, a password in a URL) goes to the logs, not to the page.
    def down():
        raise ConnectionRefusedError("redis://:secret@redis.interne:6379/0")

    monkeypatch.setattr(views, "_check_broker", down)

    response = client.get(reverse("health"))

    assert b"secret" not in response.content
    assert b"redis.interne" not in response.content


def test_it_needs_no_log_in(client, db):
    assert client.get(reverse("health")).status_code == 200


def test_it_only_answers_get(client, db):
    assert client.post(reverse("health")).status_code == 405
