import pytest
from django.core.exceptions import ValidationError

from auditeurs import identifiers


@pytest.mark.parametrize(
    "value",
    [
        "jean.dupont.auditeur",
        "jean.dupont2.auditeur",
        "marie-helene.dorleans.auditeur",
        "claire.petit",  # staff
        "jean-pierre.le-goff",
    ],
)
def test_it_accepts_well_formed_identifiers(value):
    identifiers.validate_enf_identifier(value)


@pytest.mark.parametrize(
    "value",
    [
        "",
        "jean",
        "Jean.Dupont.auditeur",
        "jean.dupont.auditeur.x",
        "jean dupont.auditeur",
        "jéan.dupont.auditeur",
        "jean..auditeur",
        "2jean.dupont.auditeur",
        "jean-.dupont.auditeur",
        "jean.dupont@cnam.fr",
        "a." + "b" * 150,
    ],
)
def test_it_refuses_malformed_identifiers(value):
    with pytest.raises(ValidationError) as excinfo:
        identifiers.validate_enf_identifier(value)
    assert excinfo.value.code == "invalid_identifier"
    assert "prenom.nom.auditeur" in excinfo.value.messages[0]


def test_it_tells_auditeur_identifiers_from_staff_ones():
    assert identifiers.is_auditeur_identifier("jean.dupont.auditeur")
    assert not identifiers.is_auditeur_identifier("claire.petit")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Marie-Hélène", "marie-helene"),
        ("d'Orléans", "dorleans"),
        ("D’Artagnan", "dartagnan"),
        ("Le Goff", "le-goff"),
        ("  Zoé  ", "zoe"),
        ("Çağlar", "caglar"),
        ("3 Jean", "jean"),
        ("***", ""),
    ],
)
def test_slug_part(text, expected):
    assert identifiers.slug_part(text) == expected


# No ASCII decomposition for these: they are spelled out, never dropped.
@pytest.mark.parametrize(
    ("text", "expected"), [("Lætitia", "laetitia"), ("Œuvrard", "oeuvrard"), ("Strauß", "strauss")]
)
def test_slug_part_spells_out_ligatures(text, expected):
    assert identifiers.slug_part(text) == expected


def test_base_identifier_needs_letters():
    assert identifiers.base_identifier("Marie-Hélène", "d'Orléans") == (
        "marie-helene.dorleans.auditeur"
    )
    assert identifiers.base_identifier("Claire", "Petit", auditeur=False) == "claire.petit"
    with pytest.raises(ValidationError):
        identifiers.base_identifier("***", "Dupont")


def test_available_identifier_adds_the_first_free_digit_suffix():
    taken = {"jean.dupont.auditeur", "jean.dupont2.auditeur"}
    assert (
        identifiers.available_identifier("Jean", "Dupont", taken.__contains__)
        == "jean.dupont3.auditeur"
    )
    assert (
        identifiers.available_identifier("Jeanne", "Dupont", taken.__contains__)
        == "jeanne.dupont.auditeur"
    )


def test_available_identifier_for_staff():
    assert (
        identifiers.available_identifier("Claire", "Petit", {"claire.petit"}.__contains__,
                                         auditeur=False)
        == "claire.petit2"
    )


def test_suffixed_identifiers_stay_valid():
    identifiers.validate_enf_identifier(identifiers.with_suffix("jean.dupont.auditeur", 12))
