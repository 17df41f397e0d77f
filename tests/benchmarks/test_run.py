"""benchmarks/run.py replaces the sections of the parts it ran, and only those."""

import pytest

from benchmarks import run

DOC = """# Mesures de performance

Texte écrit à la main.

<!-- bench:load -->
anciens chiffres de charge
<!-- /bench:load -->

<!-- bench:upload -->
chiffres d'une autre partie
<!-- /bench:upload -->
"""


def test_a_part_replaces_its_own_section_and_keeps_the_others():
    text = run.replace_section(DOC, "load", "nouveaux chiffres\n")
    assert "nouveaux chiffres" in text
    assert "anciens chiffres" not in text
    assert "Texte écrit à la main." in text
    assert "chiffres d'une autre partie" in text
    assert run.replace_section(text, "load", "nouveaux chiffres") == text  # idempotent


def test_a_new_part_is_added_at_the_end():
    text = run.replace_section(DOC, "courriels", "débit des courriels")
    assert text.startswith(DOC.rstrip())
    assert text.endswith("<!-- bench:courriels -->\ndébit des courriels\n<!-- /bench:courriels -->\n")


def test_an_unknown_part_is_refused(capsys):
    with pytest.raises(SystemExit):
        run.main(["inconnue"])
    assert "partie inconnue : inconnue" in capsys.readouterr().err
