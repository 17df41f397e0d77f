"""The client address: the peer's unless a trusted proxy header is configured; then the
n-th address from the right of that header, as allauth's limits read it too. Limits by
address cannot be dodged by writing another X-Forwarded-For."""

import pytest
from allauth.core.internal.httpkit import get_client_ip as allauth_client_ip
from django.test import RequestFactory
from django.urls import reverse

from d3.client_ip import allauth_trust, client_ip
from tests.factories import PASSWORD
from tests.test_settings_env import run

PEER = "203.0.113.9"  # the proxy, or the client itself without a proxy


def request(**headers):
    return RequestFactory().get("/", REMOTE_ADDR=PEER, headers=headers)


@pytest.fixture
def trusting(settings):
    """Configure the proxy header the way the settings do, allauth included."""

    def configure(header, count=1):
        settings.D3_TRUSTED_PROXY_HEADER = header
        settings.D3_TRUSTED_PROXY_COUNT = count
        (settings.ALLAUTH_TRUSTED_PROXY_COUNT,
         settings.ALLAUTH_TRUSTED_CLIENT_IP_HEADER) = allauth_trust(header, count)

    return configure


def test_without_a_trusted_header_a_spoofed_forwarded_for_is_ignored():
    spoofed = request(x_forwarded_for="198.51.100.1", x_real_ip="198.51.100.2")
    assert client_ip(spoofed) == PEER
    assert allauth_client_ip(spoofed) == PEER


@pytest.mark.parametrize(("header", "count", "headers", "expected"), [
    # One proxy of ours appends the address it saw: the last entry.
    ("X-Forwarded-For", 1, {"x_forwarded_for": "198.51.100.1"}, "198.51.100.1"),
    # What the client wrote itself stays on the left, out of reach.
    ("X-Forwarded-For", 1, {"x_forwarded_for": "10.0.0.1, 198.51.100.1"}, "198.51.100.1"),
    # Two proxies (a load balancer, then nginx): the second from the right.
    ("X-Forwarded-For", 2,
     {"x_forwarded_for": "10.0.0.1, 198.51.100.1, 192.168.0.2"}, "198.51.100.1"),
    # A proxy that sets a header of its own.
    ("X-Real-IP", 1, {"x_real_ip": "198.51.100.3", "x_forwarded_for": "10.0.0.1"},
     "198.51.100.3"),
    ("X-Forwarded-For", 1, {"x_forwarded_for": "2001:db8::7"}, "2001:db8::7"),
], ids=["one-proxy", "spoofed-prefix", "two-proxies", "real-ip", "ipv6"])
def test_with_a_trusted_header_the_address_the_proxy_saw_is_used(
        trusting, header, count, headers, expected):
    trusting(header, count)
    forwarded = request(**headers)
    assert client_ip(forwarded) == expected
    assert allauth_client_ip(forwarded) == expected


@pytest.mark.parametrize(("count", "headers"), [
    (1, {}),  # the header is missing: the request did not come through the proxy
    (2, {"x_forwarded_for": "198.51.100.1"}),  # fewer addresses than trusted proxies
    (1, {"x_forwarded_for": "198.51.100.1, pas-une-adresse"}),
], ids=["missing", "too-short", "garbage"])
def test_a_header_that_proves_nothing_falls_back_on_the_peer(trusting, count, headers):
    trusting("X-Forwarded-For", count)
    assert client_ip(request(**headers)) == PEER


def test_an_address_with_a_port_is_read_without_it(trusting):
    trusting("X-Real-IP")
    assert client_ip(request(x_real_ip="198.51.100.3:4431")) == "198.51.100.3"
    assert client_ip(request(x_real_ip="[2001:db8::7]:443")) == "2001:db8::7"


# --- Limits by address cannot be dodged --------------------------------------------------

VERIFICATION = "/verification/"


def look_up(client, forwarded_for):
    return client.post(VERIFICATION, {"code": "ABCD-EFGH-JKMN-PQRS"},
                       HTTP_X_FORWARDED_FOR=forwarded_for).status_code


@pytest.mark.django_db
def test_a_new_forwarded_for_each_time_does_not_dodge_the_verification_limit(client):
    answers = [look_up(client, f"198.51.100.{n}") for n in range(21)]
    assert answers == [200] * 20 + [429]


@pytest.mark.django_db
def test_behind_the_proxy_each_client_is_counted_apart_whatever_it_prepends(
        client, trusting):
    trusting("X-Forwarded-For")
    # One client, writing another address in front of its own each time.
    answers = [look_up(client, f"10.0.0.{n}, 198.51.100.1") for n in range(21)]
    assert answers == [200] * 20 + [429]
    # Another client behind the same proxy is not held back.
    assert look_up(client, "198.51.100.2") == 200


@pytest.mark.django_db
def test_a_new_forwarded_for_each_time_does_not_dodge_the_log_in_limits(client, auditeur):
    for n in range(10):
        client.post(reverse("account_login"),
                    {"login": f"personne.inconnue{n}.auditeur", "password": "pas-le-bon"},
                    HTTP_X_FORWARDED_FOR=f"198.51.100.{n}")
    response = client.post(reverse("account_login"),
                           {"login": auditeur.username, "password": PASSWORD},
                           HTTP_X_FORWARDED_FOR="198.51.100.99")
    assert "Trop de tentatives de connexion ont échoué" in response.content.decode()


# --- Settings ---------------------------------------------------------------------------


def test_the_settings_hand_the_same_trust_to_allauth(tmp_path):
    result = run(
        ["-c", "import django; django.setup(); from django.conf import settings as s; "
               "print(s.D3_TRUSTED_PROXY_HEADER, s.D3_TRUSTED_PROXY_COUNT, "
               "s.ALLAUTH_TRUSTED_PROXY_COUNT, s.ALLAUTH_TRUSTED_CLIENT_IP_HEADER)"],
        {"DJANGO_DEBUG": "true", "D3_TRUSTED_PROXY_HEADER": "X-Forwarded-For",
         "D3_TRUSTED_PROXY_COUNT": "2"},
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["X-Forwarded-For", "2", "2", "None"]


def test_a_count_other_than_one_with_a_single_address_header_is_refused(tmp_path):
    result = run(["-c", "import django; django.setup()"],
                 {"DJANGO_DEBUG": "true", "D3_TRUSTED_PROXY_HEADER": "X-Real-IP",
                  "D3_TRUSTED_PROXY_COUNT": "2"}, tmp_path)
    assert result.returncode != 0
    assert "D3_TRUSTED_PROXY_COUNT" in result.stderr.strip().splitlines()[-1]
