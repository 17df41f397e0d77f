"""Import of auditeurs from the Cnam information system (CSV), and its command."""

import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from auditeurs.imports import import_auditeurs
from auditeurs.models import AuditeurProfile, Role, User
from tests.factories import AuditeurFactory, CentreFactory

FIXTURES = Path(__file__).parent / "fixtures_csv"
HEADER = "numero_auditeur;nom;prenom;civilite;email;centre;identifiant\n"


def run(text, encoding="utf-8", **kwargs):
    return import_auditeurs(io.BytesIO(text.encode(encoding)), **kwargs)


def snapshot():
    """Every field the import may write, to prove that a refused file wrote nothing."""
    return sorted(
        AuditeurProfile.objects.values_list(
            "auditeur_number", "user__username", "user__first_name", "user__last_name",
            "user__email", "centre__code", "civilite", "birth_name", "first_names",
        )
    )


@pytest.fixture
def centres(centre, other_centre):
    return centre, other_centre


def test_it_creates_auditeurs_from_the_information_system_file(centres):
    with (FIXTURES / "auditeurs.csv").open("rb") as handle:
        report = import_auditeurs(handle)

    assert report.ok, report.errors
    assert report.applied
    assert (report.created, report.updated, report.unchanged) == (4, 0, 0)
    assert report.summary == "Import des auditeurs : 4 créés, 0 mis à jour, 0 inchangé."

    profile = AuditeurProfile.objects.select_related("user", "centre").get(
        auditeur_number="LYO300003"
    )
    user = profile.user
    # The first given name only, accents and spaces flattened.
    assert user.username == "marie.le-goff-herve.auditeur"
    assert user.role == Role.AUDITEUR
    assert not user.has_usable_password()
    assert (user.first_name, user.last_name, user.email) == (
        "Marie Hélène", "Le Goff-Hervé", "mh.legoff@example.org"
    )
    assert profile.centre.code == "LYO"
    assert (profile.civilite, profile.birth_name, profile.first_names) == (
        "mme", "Le Goff-Hervé", "Marie Hélène"
    )
    # A new auditeur completes the profile at first log-in.
    assert profile.completed_at is None
    assert not profile.is_complete


def test_the_identifier_column_is_used_when_given(centres):
    with (FIXTURES / "auditeurs.csv").open("rb") as handle:
        import_auditeurs(handle)

    profile = AuditeurProfile.objects.get(auditeur_number="LYO300004")
    assert profile.user.username == "sophie.martin7.auditeur"
    assert profile.civilite == "mme"
    assert profile.user.email == ""


def test_homonyms_get_a_digit_suffix(centres):
    AuditeurFactory(username="jean.dupont.auditeur", first_name="Jean", last_name="Dupont",
                    profile__auditeur_number="PAR999999")

    report = run(
        HEADER
        + "PAR300001;Dupont;Jean;M;;PAR;\n"
        + "PAR300002;DUPONT;Jean;M;;PAR;\n"
        + "PAR300003;Dupont;Jean-Paul;M;;PAR;\n"
    )

    assert report.ok, report.errors
    usernames = dict(AuditeurProfile.objects.values_list("auditeur_number", "user__username"))
    assert usernames["PAR300001"] == "jean.dupont2.auditeur"
    assert usernames["PAR300002"] == "jean.dupont3.auditeur"
    assert usernames["PAR300003"] == "jean-paul.dupont.auditeur"


def test_a_free_base_identifier_does_not_hide_a_taken_suffixed_one(centre):
    # The first Jean Dupont's account was deleted; the second one's remains.
    AuditeurFactory(username="jean.dupont2.auditeur", first_name="Jean", last_name="Dupont",
                    profile__auditeur_number="PAR999999")

    report = run(HEADER + "PAR300001;Dupont;Jean;M;;PAR;\n" + "PAR300002;Dupont;Jean;M;;PAR;\n")

    assert report.ok, report.errors
    usernames = dict(AuditeurProfile.objects.values_list("auditeur_number", "user__username"))
    assert usernames["PAR300001"] == "jean.dupont.auditeur"
    assert usernames["PAR300002"] == "jean.dupont3.auditeur"


def test_a_generated_identifier_never_takes_one_a_later_line_gives(centres):
    report = run(
        HEADER
        + "PAR300001;Dupont;Jean;M;;PAR;\n"
        + "PAR300002;Dupont;Jean;M;;PAR;jean.dupont.auditeur\n"
    )

    assert report.ok, report.errors
    usernames = dict(AuditeurProfile.objects.values_list("auditeur_number", "user__username"))
    assert usernames == {"PAR300001": "jean.dupont2.auditeur",
                         "PAR300002": "jean.dupont.auditeur"}


def test_importing_the_same_file_twice_changes_nothing(centres):
    with (FIXTURES / "auditeurs.csv").open("rb") as handle:
        import_auditeurs(handle)
    before = snapshot()

    with (FIXTURES / "auditeurs.csv").open("rb") as handle:
        report = import_auditeurs(handle)

    assert report.ok
    assert (report.created, report.updated, report.unchanged) == (0, 0, 4)
    assert report.summary == "Import des auditeurs : 0 créé, 0 mis à jour, 4 inchangés."
    assert snapshot() == before
    assert User.objects.count() == 4


def test_it_updates_an_auditeur_known_by_number(auditeur, other_centre):
    completed_at = auditeur.profile.completed_at
    auditeur.profile.usage_name = "Martin-Leroy"
    auditeur.profile.save()

    report = run(HEADER + "PAR100001;Martin;Jeanne Louise;;jeanne.new@example.org;LYO;\n")

    assert (report.created, report.updated, report.unchanged) == (0, 1, 0)
    auditeur.refresh_from_db()
    profile = auditeur.profile
    profile.refresh_from_db()
    assert auditeur.username == "jeanne.martin.auditeur"  # not regenerated
    assert auditeur.first_name == "Jeanne Louise"
    assert auditeur.email == "jeanne.new@example.org"
    assert profile.centre == other_centre
    assert profile.first_names == "Jeanne Louise"
    # An empty cell keeps what is known; what the auditeur completed is left alone.
    assert profile.civilite == "mme"
    assert profile.usage_name == "Martin-Leroy"
    assert profile.completed_at == completed_at


def test_an_empty_email_keeps_the_known_one(auditeur):
    email = auditeur.email

    report = run(HEADER + "PAR100001;Martin;Jeanne;Mme;;PAR;\n")

    assert (report.created, report.updated, report.unchanged) == (0, 0, 1)
    auditeur.refresh_from_db()
    assert auditeur.email == email


def test_malformed_lines_are_all_reported_and_nothing_is_applied(auditeur, other_centre):
    before = snapshot()

    report = run(
        HEADER
        + "PAR300001;Dupont;Jean;M;jean@example.org;PAR;\n"  # line 2: fine
        + "PAR300002;Durand;Paul;M;;PAR\n"  # line 3: a cell is missing
        + ";Petit;Claire;Mme;;PAR;\n"  # line 4: no number
        + "PAR300004;Roux;;Docteur;pas-un-courriel;PAR;\n"  # line 5: three errors
        + "\n"  # line 6: blank lines are skipped
        + "PAR300005;Leroy;Sophie;Mme;;XYZ;\n"  # line 7: unknown centre
        + "PAR300001;Dupont;Jean;M;;PAR;\n"  # line 8: number already on line 2
        + "PAR300006;Moreau;Henri;M;;PAR;Henri Moreau\n"  # line 9: bad identifier
        + "PAR100001;Martin;Jeanne;Mme;;PAR;\n"  # line 10: an update, fine
    )

    assert not report.ok
    assert not report.applied
    assert report.errors == [
        "ligne 3 : 6 colonnes au lieu de 7 (séparateur « ; »)",
        "ligne 4 : numéro d'auditeur manquant",
        "ligne 5 : prénom manquant ; civilité inconnue « Docteur » (attendu : M ou Mme) ; "
        "courriel invalide « pas-un-courriel »",
        "ligne 7 : centre inconnu « XYZ »",
        "ligne 8 : numéro d'auditeur « PAR300001 » déjà présent ligne 2",
        "ligne 9 : identifiant invalide « henri moreau » (attendu : prenom.nom.auditeur)",
    ]
    assert report.summary == (
        "Import des auditeurs : aucune modification enregistrée, le fichier est refusé "
        "(6 lignes en erreur)."
    )
    assert snapshot() == before


def test_an_identifier_held_by_another_account_is_refused(auditeur, gestionnaire):
    report = run(
        HEADER
        + "PAR300001;Martin;Jeanne;Mme;;PAR;jeanne.martin.auditeur\n"
        + "PAR300002;Petit;Claire;Mme;;PAR;CLAIRE.PETIT.auditeur\n"
        + "PAR300003;Petit;Claire;Mme;;PAR;claire.petit\n"
    )

    assert report.errors == [
        "ligne 2 : identifiant « jeanne.martin.auditeur » déjà attribué à un autre compte",
        "ligne 4 : identifiant invalide « claire.petit » (attendu : prenom.nom.auditeur)",
    ]
    assert not AuditeurProfile.objects.filter(auditeur_number__startswith="PAR3").exists()


def test_an_auditeur_may_be_renamed_by_the_identifier_column(auditeur):
    report = run(HEADER + "PAR100001;Martin;Jeanne;Mme;;PAR;jeanne.martin-leroy.auditeur\n")

    assert (report.created, report.updated) == (0, 1)
    auditeur.refresh_from_db()
    assert auditeur.username == "jeanne.martin-leroy.auditeur"


def test_the_same_identifier_twice_in_the_file_is_refused(centre):
    report = run(
        HEADER
        + "PAR300001;Dupont;Jean;M;;PAR;jean.dupont.auditeur\n"
        + "PAR300002;Dupont;Jean;M;;PAR;jean.dupont.auditeur\n"
    )

    assert report.errors == [
        "ligne 3 : identifiant « jean.dupont.auditeur » déjà présent ligne 2"
    ]
    assert not User.objects.exists()


def test_a_name_without_letters_cannot_make_an_identifier(centre):
    report = run(HEADER + "PAR300001;123;Jean;M;;PAR;\n")

    assert report.errors == [
        "ligne 2 : identifiant impossible à construire "
        "(Le prénom et le nom doivent contenir au moins une lettre.)"
    ]


def test_a_missing_column_is_a_clear_error(centre):
    report = run("numero_auditeur;nom;prenom;email\nPAR300001;Dupont;Jean;\n")

    assert report.errors == [
        "Colonne(s) obligatoire(s) absente(s) de l'en-tête : civilite, centre. "
        "En-tête attendu : numero_auditeur;nom;prenom;civilite;email;centre;identifiant"
    ]
    assert report.summary == (
        "Import des auditeurs : aucune modification enregistrée, le fichier est refusé."
    )


def test_columns_may_come_in_any_order_and_any_case(centre):
    report = run("Centre;NOM;prenom;numero_auditeur;email;civilite\nPAR;Dupont;Jean;PAR1;;M\n")

    assert report.ok, report.errors
    assert AuditeurProfile.objects.get().user.username == "jean.dupont.auditeur"


def test_a_file_not_encoded_in_utf8_is_refused(centre):
    report = run(HEADER + "PAR300001;Hervé;Gaëlle;Mme;;PAR;\n", encoding="latin-1")

    assert report.errors == [
        "Le fichier n'est pas encodé en UTF-8 (ligne 2) : il semble enregistré en "
        "Windows-1252 (le « CSV » simple d'Excel). "
        "Enregistrez-le au format « CSV UTF-8 » puis importez-le à nouveau."
    ]
    assert not User.objects.exists()


def test_a_utf16_file_is_refused_as_not_utf8(centre):
    report = run(HEADER + "PAR300001;Dupont;Jean;M;;PAR;\n", encoding="utf-16")

    assert len(report.errors) == 1
    assert report.errors[0].startswith("Le fichier n'est pas encodé en UTF-8")


def test_a_comma_separated_file_gets_a_clear_error(centre):
    report = run(HEADER.replace(";", ",") + "PAR300001,Dupont,Jean,M,,PAR,\n")

    assert report.errors == [
        "Le séparateur de colonnes doit être « ; ». En-tête attendu : "
        "numero_auditeur;nom;prenom;civilite;email;centre;identifiant"
    ]


def test_an_empty_file_is_refused(db):
    assert run("").errors == ["Le fichier est vide."]


def test_a_header_only_file_imports_nothing(db):
    report = run(HEADER)

    assert report.ok
    assert (report.created, report.updated, report.unchanged) == (0, 0, 0)


def test_a_broken_quote_is_reported_with_its_line(centre):
    report = run(HEADER + 'PAR300001;"Dupont"x;Jean;M;;PAR;\n')

    assert len(report.errors) == 1
    assert report.errors[0].startswith("ligne 2 : ligne CSV illisible")


def test_quoted_cells_are_read(centre):
    report = run(HEADER + 'PAR300001;"Dupont; dit ""Jeannot""";Jean;M;;PAR;\n')

    assert report.ok, report.errors
    assert User.objects.get().last_name == 'Dupont; dit "Jeannot"'


def test_too_many_lines_are_refused(centre, monkeypatch):
    monkeypatch.setattr("auditeurs.imports.MAX_ROWS", 2)

    report = run(HEADER + "".join(f"PAR30000{n};Dupont;Jean;M;;PAR;\n" for n in range(3)))

    assert report.errors == [
        "Le fichier dépasse 2 lignes : découpez-le en plusieurs fichiers."
    ]
    assert not User.objects.exists()


def test_a_dry_run_reports_without_writing(centres):
    with (FIXTURES / "auditeurs.csv").open("rb") as handle:
        report = import_auditeurs(handle, dry_run=True)

    assert report.ok
    assert not report.applied
    assert report.created == 4
    assert report.summary == (
        "Import des auditeurs : fichier valide, rien n'a été enregistré (simulation) : "
        "4 créés, 0 mis à jour, 0 inchangé."
    )
    assert not User.objects.exists()


def test_many_lines_take_a_bounded_number_of_queries(centre, django_assert_max_num_queries):
    lines = "".join(f"PAR{400000 + n};Nom{n};Prénom;M;;PAR;\n" for n in range(300))

    with django_assert_max_num_queries(15):
        report = run(HEADER + lines)

    assert report.created == 300
    assert AuditeurProfile.objects.count() == 300


# --- The command -------------------------------------------------------------------


def test_the_command_prints_the_report(centres):
    out = io.StringIO()

    call_command("import_auditeurs", str(FIXTURES / "auditeurs.csv"), stdout=out)

    assert "Import des auditeurs : 4 créés, 0 mis à jour, 0 inchangé." in out.getvalue()
    assert User.objects.count() == 4


def test_the_command_fails_and_lists_the_bad_lines(centre):
    bad = FIXTURES / "auditeurs.csv"  # LYO is unknown here: lines 4 and 5 are wrong
    err = io.StringIO()

    with pytest.raises(CommandError) as error:
        call_command("import_auditeurs", str(bad), stderr=err)

    assert str(error.value) == (
        "Import des auditeurs : aucune modification enregistrée, le fichier est refusé "
        "(2 lignes en erreur)."
    )
    assert err.getvalue().splitlines() == [
        "ligne 4 : centre inconnu « LYO »",
        "ligne 5 : centre inconnu « LYO »",
    ]
    assert not User.objects.exists()


def test_the_command_dry_run(centres):
    out = io.StringIO()

    call_command("import_auditeurs", str(FIXTURES / "auditeurs.csv"), "--dry-run", stdout=out)

    assert "simulation" in out.getvalue()
    assert not User.objects.exists()


def test_the_command_reports_a_missing_file(db, tmp_path):
    with pytest.raises(CommandError, match="Impossible de lire le fichier"):
        call_command("import_auditeurs", str(tmp_path / "absent.csv"))


def test_other_centres_codes_are_matched_exactly(db):
    CentreFactory(code="NAQ", name="Cnam Nouvelle-Aquitaine")

    report = run(HEADER + "NAQ1;Dupont;Jean;M;;naq;\n")

    assert report.errors == ["ligne 2 : centre inconnu « naq »"]
