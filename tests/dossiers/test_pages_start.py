"""Starting a request in the browser: choosing the diploma, then the kind of request."""

from html import unescape

import pytest
from django.urls import reverse

from dossiers.models import Dossier, Event, Kind, Piece, PieceStatus, State
from dossiers.requests import FORMATION_CONTINUE_MESSAGE
from tests.dossiers.factories import DossierFactory
from tests.factories import (
    DiplomeFactory,
    PieceTypeFactory,
    UEFactory,
    UEGroupFactory,
    ValidatedUEFactory,
)

START_URL = reverse("dossiers:start")


@pytest.fixture
def diplome(db):
    """Two mandatory UEs, one UE to choose among three; an AEP anticipée needs 3 UEs."""
    diplome = DiplomeFactory(code="LG02501A", title="Licence informatique générale",
                             min_ues_for_early_aep=3)
    UEGroupFactory(diplome=diplome, label="UE obligatoires", required=2, position=1,
                   ues=[UEFactory(code="NFA001"), UEFactory(code="NFA002")])
    UEGroupFactory(diplome=diplome, label="UE au choix", required=1, position=2,
                   ues=[UEFactory(code=code) for code in ("NFA003", "NFA004", "NFA005")])
    return diplome


@pytest.fixture
def piece_types(db):
    return [
        PieceTypeFactory(code="identite", label="Pièce d'identité",
                         required_for_dd=True, required_for_aep=True),
        PieceTypeFactory(code="prerequis", label="Copie du diplôme prérequis",
                         required_for_dd=True, required_for_aep=False),
        PieceTypeFactory(code="rapport", label="Rapport d'expérience",
                         required_for_dd=False, required_for_aep=True),
    ]


def validate(auditeur, *codes):
    for code in codes:
        ValidatedUEFactory(auditeur=auditeur, ue=UEFactory(code=code))


def kind_url(diplome):
    return reverse("dossiers:start_kind", args=[diplome.pk])


def text(response):
    """The page as read: entities (&#x27; for an apostrophe…) decoded."""
    return unescape(response.content.decode())


def counts():
    return Dossier.objects.count(), Piece.objects.count(), Event.objects.count()


def post_kind(client, diplome, kind, formation_continue="non"):
    data = {"kind": kind, "formation_continue": formation_continue}
    return client.post(kind_url(diplome), {k: v for k, v in data.items() if v is not None})


# --- Choosing the diploma ---------------------------------------------------------


def test_it_lists_active_diplomas_with_a_link_to_choose_them(client, auditeur, diplome):
    DiplomeFactory(code="US33001A", title="Master management de projet")
    DiplomeFactory(code="CPN9901A", title="Certificat fermé", active=False)
    client.force_login(auditeur)

    response = client.get(START_URL)

    html = text(response)
    assert response.status_code == 200
    assert "LG02501A" in html and "Licence informatique générale" in html
    assert "US33001A" in html
    assert "CPN9901A" not in html and "Certificat fermé" not in html
    assert f'href="{kind_url(diplome)}"' in html
    assert "Choisir" in html


@pytest.mark.parametrize("query", ["lg025", "INFORMATIQUE", "  Licence  "])
def test_it_searches_by_code_or_title(client, auditeur, diplome, query):
    DiplomeFactory(code="US33001A", title="Master management de projet")
    client.force_login(auditeur)

    html = text(client.get(START_URL, {"q": query}))

    assert "LG02501A" in html
    assert "US33001A" not in html


def test_an_inactive_diploma_is_not_found_by_a_search_nor_reachable(client, auditeur):
    closed = DiplomeFactory(code="CPN9901A", title="Certificat fermé", active=False)
    client.force_login(auditeur)

    html = text(client.get(START_URL, {"q": "CPN9901A"}))

    assert "Aucun diplôme ouvert aux demandes ne correspond à « CPN9901A »" in html
    assert client.get(kind_url(closed)).status_code == 404
    assert post_kind(client, closed, Kind.DD_AEP).status_code == 404
    assert counts() == (0, 0, 0)


def test_the_empty_state_without_any_diploma(client, auditeur):
    client.force_login(auditeur)

    html = text(client.get(START_URL))

    assert "Aucun diplôme n'est encore ouvert aux demandes dans D3." in html


def test_the_list_is_paginated_by_twenty(client, auditeur):
    for n in range(25):
        DiplomeFactory(code=f"LG{n:05d}X", title=f"Licence {n}")
    client.force_login(auditeur)

    first = text(client.get(START_URL))
    second = text(client.get(START_URL, {"page": 2}))

    assert "LG00019X" in first and "LG00020X" not in first
    assert "Page 1 sur 2" in first and "?page=2" in first
    assert "LG00020X" in second and "LG00024X" in second and "LG00019X" not in second


def test_suivi_links_to_the_start_page(client, auditeur):
    client.force_login(auditeur)

    html = text(client.get(reverse("auditeurs:suivi")))

    assert f'href="{START_URL}"' in html
    assert "Faire une nouvelle demande" in html


# --- Choosing the kind ------------------------------------------------------------


def test_the_kind_page_shows_the_diploma_the_groups_and_each_kinds_refusals(
    client, auditeur, diplome
):
    validate(auditeur, "NFA001", "NFA003")
    client.force_login(auditeur)

    response = client.get(kind_url(diplome))

    html = text(response)
    assert response.status_code == 200
    assert "LG02501A — Licence informatique générale" in html
    assert "Vous avez validé 2 UE de ce diplôme." in html
    assert "UE obligatoires : il manque 1 UE (1 sur 2 exigés)." in html
    assert "UE au choix : condition remplie (1 UE sur 1 exigés)." in html
    # The three kinds as radio buttons, each with what refuses it, before posting.
    for kind in Kind:
        assert f'value="{kind.value}"' in html
        assert kind.label in html
    assert "UE non validées : NFA002." in html
    assert "il vous manque 1 UE" in html
    assert "Avez-vous suivi votre cursus en formation continue (stages en journée) ?" in html
    assert 'role="alert"' not in html


@pytest.mark.parametrize(
    ("kind", "validated", "fragments"),
    [
        pytest.param(Kind.DD_AEP, ("NFA001", "NFA003"), [
            "Toutes les UE du diplôme ne sont pas validées.",
            "UE obligatoires : il manque 1 UE (1 sur 2 exigés). UE non validées : NFA002.",
        ], id="dd-group-not-satisfied"),
        pytest.param(Kind.AEP_ANTICIPEE, ("NFA001",), [
            "demande d'avoir validé au moins 3 UE du diplôme ; vous en avez validé 1 : "
            "il vous manque 2 UE.",
        ], id="aep-too-few-ues"),
        pytest.param(Kind.DD, ("NFA001", "NFA002", "NFA004"), [
            "Vous n'avez pas d'analyse de l'expérience professionnelle favorable",
            "pour faire les deux demandes ensemble",
        ], id="dd-without-favourable-aep"),
    ],
)
def test_a_refused_request_is_explained_and_nothing_is_created(
    client, auditeur, diplome, piece_types, kind, validated, fragments
):
    validate(auditeur, *validated)
    client.force_login(auditeur)

    response = post_kind(client, diplome, kind)

    html = text(response)
    assert response.status_code == 200
    assert 'role="alert"' in html
    assert "ne peut pas être faite. Aucun dossier n'a été créé." in html
    for fragment in fragments:
        assert fragment in html, fragment
    assert counts() == (0, 0, 0)


def test_formation_continue_sends_the_auditeur_to_the_equipe_pedagogique(
    client, auditeur, diplome, piece_types
):
    validate(auditeur, "NFA001", "NFA002", "NFA004")
    client.force_login(auditeur)

    response = post_kind(client, diplome, Kind.DD_AEP, formation_continue="oui")

    html = text(response)
    assert 'role="alert"' in html
    assert FORMATION_CONTINUE_MESSAGE in html
    assert "équipe pédagogique" in html
    assert counts() == (0, 0, 0)


def test_a_second_open_dossier_of_the_same_kind_is_refused(
    client, auditeur, diplome, piece_types
):
    validate(auditeur, "NFA001", "NFA002", "NFA004")
    existing = DossierFactory(auditeur=auditeur, diplome=diplome, kind=Kind.DD_AEP)
    client.force_login(auditeur)
    before = counts()

    response = post_kind(client, diplome, Kind.DD_AEP)

    html = text(response)
    assert 'role="alert"' in html
    assert f"Vous avez déjà une demande en cours pour ce diplôme ({existing.reference}" in html
    assert counts() == before


def test_the_form_asks_for_both_answers(client, auditeur, diplome):
    client.force_login(auditeur)

    response = client.post(kind_url(diplome), {})

    html = text(response)
    assert "Choisissez la nature de votre demande." in html
    assert "Indiquez si vous avez suivi votre cursus en formation continue." in html
    assert counts() == (0, 0, 0)


def test_a_made_up_kind_is_an_error_on_the_field(client, auditeur, diplome):
    client.force_login(auditeur)

    html = text(post_kind(client, diplome, "vae"))

    assert "Choisissez la nature de votre demande dans la liste." in html
    assert counts() == (0, 0, 0)


def test_an_accepted_request_creates_one_draft_and_goes_to_the_first_step(
    client, auditeur, diplome, piece_types
):
    validate(auditeur, "NFA001", "NFA002", "NFA004")
    client.force_login(auditeur)

    response = post_kind(client, diplome, Kind.DD_AEP)

    dossier = Dossier.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("dossiers:edit_prerequisite", args=[dossier.pk])
    assert (dossier.auditeur, dossier.diplome, dossier.kind, dossier.state) == (
        auditeur, diplome, Kind.DD_AEP, State.BROUILLON,
    )
    assert sorted(p.piece_type.code for p in dossier.pieces.all()) == [
        "identite", "prerequis", "rapport",
    ]
    assert set(dossier.pieces.values_list("status", flat=True)) == {PieceStatus.ATTENDUE}
    page = text(client.get(response["Location"]))
    assert f"Votre demande {dossier.reference}" in page
    assert "est créée" in page


def test_an_aep_anticipee_with_enough_ues(client, auditeur, diplome, piece_types):
    validate(auditeur, "NFA001", "NFA003", "NFA004")
    client.force_login(auditeur)

    response = post_kind(client, diplome, Kind.AEP_ANTICIPEE)

    dossier = Dossier.objects.get()
    assert response.status_code == 302
    assert dossier.kind == Kind.AEP_ANTICIPEE
    assert sorted(p.piece_type.code for p in dossier.pieces.all()) == ["identite", "rapport"]


def test_start_pages_are_for_auditeurs_only(client, gestionnaire, agent_dnf, membre_jury,
                                            diplome):
    for address in (START_URL, kind_url(diplome)):
        response = client.get(address)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))
        for user in (gestionnaire, agent_dnf, membre_jury):
            client.force_login(user)
            assert client.get(address).status_code == 403
            client.logout()
    client.force_login(gestionnaire)
    assert post_kind(client, diplome, Kind.DD_AEP).status_code == 403
    assert counts() == (0, 0, 0)


def test_the_search_page_refuses_a_post(client, auditeur):
    client.force_login(auditeur)

    assert client.post(START_URL).status_code == 405
