"""/aide/ (public) and /aide/personnels/ (staff only)."""

from html.parser import HTMLParser

import pytest
from django.urls import reverse

from auditeurs.models import Role


class _Outline(HTMLParser):
    """Headings (level, text), element ids and in-page links of a page."""

    def __init__(self):
        super().__init__()
        self.headings, self.ids, self.anchors = [], set(), []
        self._heading = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id"):
            self.ids.add(attrs["id"])
        if tag == "a" and (attrs.get("href") or "").startswith("#"):
            self.anchors.append(attrs["href"][1:])
        if tag in {"h1", "h2", "h3", "h4", "h5", "h6"}:
            self._heading = [int(tag[1]), ""]

    def handle_data(self, data):
        if self._heading is not None:
            self._heading[1] += data

    def handle_endtag(self, tag):
        if self._heading is not None and tag == f"h{self._heading[0]}":
            self.headings.append((self._heading[0], " ".join(self._heading[1].split())))
            self._heading = None


def outline(response):
    parser = _Outline()
    parser.feed(response.content.decode())
    return parser


def assert_well_formed_outline(page):
    levels = [level for level, _ in page.headings]
    assert levels.count(1) == 1 and levels[0] == 1
    # No skipped level on the way down (h2 → h4).
    for previous, current in zip(levels, levels[1:]):
        assert current <= previous + 1
    # Every entry of the table of contents, and every in-page link, has a target.
    assert page.anchors
    assert set(page.anchors) <= page.ids


AUDITEUR_SECTIONS = [
    "À quoi sert D3 ?",
    "Quand faire vos demandes ?",
    "La demande de délivrance de diplôme",
    "La demande d'analyse de l'expérience professionnelle",
    "Se connecter",
    "Mot de passe oublié",
    "Vous n'avez pas de compte ENF",
    "Votre première connexion",
    "Le suivi de dossiers",
    "Après la signature : les étapes de traitement",
    "Les conditions d'expérience professionnelle",
    "Pour les licences",
    "Pour les titres inscrits au RNCP",
    "Cursus suivi en formation continue",
    "Qui contacter ?",
]


def test_it_is_public(client, db):
    response = client.get(reverse("aide"))

    assert response.status_code == 200
    assert "pages/aide.html" in [t.name for t in response.templates]


def test_it_has_the_key_sections_with_a_table_of_contents(client, db):
    page = outline(client.get(reverse("aide")))

    headings = [text for _, text in page.headings]
    for section in AUDITEUR_SECTIONS:
        assert section in headings
    assert_well_formed_outline(page)


def test_it_says_what_the_seeds_say(client, db):
    content = client.get(reverse("aide")).content.decode()
    text = " ".join(content.replace("&#x27;", "'").replace("&nbsp;", " ").split()).lower()

    for fact in [
        "prenom.nom.auditeur",
        "Mot de passe oublié",
        "au plus tôt un mois après la date du jury",
        "Direction nationale des formations",
        "stage de 6 mois",
        "3 à 6 mois",
        "équipe pédagogique",
        "vous arrivez directement sur la page",
    ]:
        assert fact.lower() in text


def test_a_logged_in_auditeur_sees_it_in_the_layout(client, auditeur):
    client.force_login(auditeur)

    response = client.get(reverse("aide"))

    assert response.status_code == 200
    assert "Suivi de dossiers" in response.content.decode()


def test_an_auditeur_at_first_log_in_can_read_it(client, new_auditeur):
    # The first-log-in gate sends every other page to the profile; help stays open.
    client.force_login(new_auditeur)

    assert client.get(reverse("aide")).status_code == 200


STAFF_SECTIONS = ["Gestionnaire de centre", "Agent de la DNF", "Membre de jury", "Administrateur"]


@pytest.mark.parametrize(
    "role", [Role.GESTIONNAIRE, Role.AGENT_DNF, Role.MEMBRE_JURY, Role.ADMINISTRATEUR]
)
def test_staff_help_is_for_every_staff_role(client, every_role, role):
    client.force_login(every_role[role])

    response = client.get(reverse("aide_staff"))

    assert response.status_code == 200
    page = outline(response)
    headings = [text for _, text in page.headings]
    for section in STAFF_SECTIONS:
        assert section in headings
    assert_well_formed_outline(page)


def test_staff_help_is_refused_to_an_auditeur(client, auditeur):
    client.force_login(auditeur)

    assert client.get(reverse("aide_staff")).status_code == 403


def test_staff_help_sends_anonymous_visitors_to_log_in(client, db):
    response = client.get(reverse("aide_staff"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
