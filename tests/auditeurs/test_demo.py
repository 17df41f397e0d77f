"""Demo data: idempotent, with the accounts the README lists."""

import io

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command

from auditeurs.demo import DEMO_PASSWORD, load_demo
from auditeurs.models import AuditeurProfile, Centre, Role, User, ValidatedUE
from dossiers.eligibility import count_validated_in, evaluate_cursus
from dossiers.models import UE, Diplome, ExperienceRuleSet, Family, PieceType, UEGroup

DEMO_ACCOUNTS = {
    "demo.auditeur.auditeur": Role.AUDITEUR,
    "marie.curie.auditeur": Role.AUDITEUR,
    "gaston.lagaffe.auditeur": Role.AUDITEUR,
    "demo.gestionnaire": Role.GESTIONNAIRE,
    "demo.dnf": Role.AGENT_DNF,
    "demo.jury": Role.MEMBRE_JURY,
    "demo.admin": Role.ADMINISTRATEUR,
}
MODELS = [Centre, ExperienceRuleSet, Diplome, UE, UEGroup, UEGroup.ues.through, PieceType,
          User, AuditeurProfile, ValidatedUE]


def counts():
    return {model.__name__: model.objects.count() for model in MODELS}


@pytest.fixture
def demo(db):
    return load_demo()


def cursus(username, diplome_code):
    user = User.objects.get(username=username)
    codes = set(user.validated_ues.values_list("ue__code", flat=True))
    rules = Diplome.objects.get(code=diplome_code).group_rules()
    return codes, rules


def test_loading_twice_creates_nothing_more(demo):
    first = counts()

    load_demo()

    assert counts() == first
    assert first["Centre"] >= 3
    assert first["ValidatedUE"] > 0


def test_loading_again_keeps_what_was_changed_meanwhile(demo):
    marie = User.objects.get(username="marie.curie.auditeur")
    marie.set_password("un-autre-mot-de-passe")
    marie.save()
    Diplome.objects.filter(code="LG02501A").update(title="Licence modifiée")

    load_demo()

    marie.refresh_from_db()
    assert marie.check_password("un-autre-mot-de-passe")
    assert Diplome.objects.get(code="LG02501A").title == "Licence modifiée"


def test_the_demo_accounts_log_in_with_the_demo_password(demo):
    assert DEMO_PASSWORD == "d3-demo-2026"
    for username, role in DEMO_ACCOUNTS.items():
        user = authenticate(username=username, password=DEMO_PASSWORD)
        assert user is not None, username
        assert user.role == role
    assert [username for username, _ in demo.accounts] == list(DEMO_ACCOUNTS)


def test_the_staff_accounts_have_their_role(demo):
    admin = User.objects.get(username="demo.admin")
    assert admin.is_staff and admin.is_superuser
    gestionnaire = User.objects.get(username="demo.gestionnaire")
    assert [centre.name for centre in gestionnaire.centres.all()] == ["Cnam Paris"]
    assert not gestionnaire.is_staff
    for username in ("demo.dnf", "demo.jury", "demo.gestionnaire"):
        assert not User.objects.get(username=username).is_superuser


def test_other_auditeurs_have_no_known_password(demo):
    for user in User.objects.filter(role=Role.AUDITEUR).exclude(username__in=DEMO_ACCOUNTS):
        assert not user.has_usable_password()


def test_the_first_login_auditeur_has_an_incomplete_profile(demo):
    assert not AuditeurProfile.objects.get(user__username="demo.auditeur.auditeur").is_complete
    for username in ("marie.curie.auditeur", "gaston.lagaffe.auditeur"):
        profile = AuditeurProfile.objects.get(user__username=username)
        assert profile.is_complete
        assert profile.postal_address_lines
        assert profile.centre.code == "PAR"


def test_marie_satisfies_every_group_of_her_licence(demo):
    codes, rules = cursus("marie.curie.auditeur", "LG02501A")

    result = evaluate_cursus(codes, rules)

    assert len(result.groups) >= 2
    assert result.satisfied


def test_gaston_does_not_but_may_ask_an_early_aep(demo):
    codes, rules = cursus("gaston.lagaffe.auditeur", "LG02501A")

    assert not evaluate_cursus(codes, rules).satisfied
    diplome = Diplome.objects.get(code="LG02501A")
    assert count_validated_in(codes, rules) >= diplome.min_ues_for_early_aep


def test_the_catalogue_has_every_family_and_both_kinds_of_groups(demo):
    families = set(Diplome.objects.values_list("family", flat=True))
    assert {Family.LICENCE, Family.MASTER, Family.TITRE_RNCP, Family.INGENIEUR,
            Family.CERTIFICAT} <= families
    assert set(UEGroup.objects.values_list("kind", flat=True)) == {"count", "ects"}
    assert UEGroup.objects.filter(label="2 UE au choix parmi 5", required=2).exists()
    # Some auditeur other than Marie completes a whole diploma, some do not.
    complete = [
        user.username
        for user in User.objects.filter(role=Role.AUDITEUR)
        for diplome in Diplome.objects.all()
        if evaluate_cursus(
            set(user.validated_ues.values_list("ue__code", flat=True)), diplome.group_rules()
        ).satisfied
    ]
    assert "marie.curie.auditeur" in complete
    assert set(complete) - {"marie.curie.auditeur"}
    assert "gaston.lagaffe.auditeur" not in complete


def test_the_three_rule_sets_of_the_procedure(demo):
    rules = {rule.name: rule for rule in ExperienceRuleSet.objects.all()}

    l1_l3 = rules["Licence, parcours L1-L2-L3"]
    assert (l1_l3.months_total, l1_l3.months_specialty, l1_l3.stage_months_min) == (36, 12, 6)
    l3 = rules["Licence, admission directe en L3"]
    assert (l3.months_specialty, l3.stage_months_min) == (12, 6)
    rncp = rules["Titre RNCP"]
    assert (rncp.months_specialty, rncp.months_outside, rncp.stage_months_min,
            rncp.stage_months_max) == (24, 36, 3, 6)
    for rule in rules.values():
        rule.full_clean()


def test_every_demo_group_can_be_satisfied(demo):
    for diplome in Diplome.objects.all():
        rules = diplome.group_rules()
        assert rules, diplome.code
        assert evaluate_cursus({code for rule in rules for code in rule.ues}, rules).satisfied


def test_the_piece_types(demo):
    types = {piece.code: piece for piece in PieceType.objects.all()}

    assert types["identite"].required_for_dd and types["identite"].required_for_aep
    assert types["rapport-experience"].required_for_aep
    assert not types["rapport-experience"].required_for_dd
    assert types["diplome-prerequis"].required_for_dd
    for piece in types.values():
        piece.full_clean()


def test_the_command_prints_the_accounts_and_the_password(db):
    out = io.StringIO()

    call_command("load_demo", stdout=out)

    output = out.getvalue()
    assert "mot de passe : d3-demo-2026" in output
    for username in DEMO_ACCOUNTS:
        assert username in output
