"""d3.widgets.Select writes exactly the HTML of Django's Select (its templates)."""

import pytest
from django import forms
from django.utils.safestring import mark_safe

from d3.widgets import Select

CHOICES = [("", "Tous les diplômes"), ("12", "LG025 — Licence <info> & « réseaux »"),
           ("a\"b", "Guillemet"), (3, "Nombre")]


@pytest.mark.parametrize("value", [None, "", "12", "a\"b", 3, "absent", mark_safe("12")])
@pytest.mark.parametrize("attrs", [
    None,
    {"id": "id_diplome"},
    {"id": "id_x", "aria-describedby": "id_x_helptext", "required": True,
     "disabled": False, "data-note": "<b>&\"</b>", "data-safe": mark_safe("<i>")},
])
def test_the_same_html_as_django_s_select(value, attrs):
    ours = Select(choices=CHOICES).render("diplome", value, attrs)
    django_s = forms.Select(choices=CHOICES).render("diplome", value, attrs)
    assert ours == django_s


def test_option_groups_are_left_to_django_s_templates():
    grouped = [("Licences", [("1", "L1"), ("2", "L2")]), ("3", "Autre")]
    assert Select(choices=grouped).render("x", "2") == \
        forms.Select(choices=grouped).render("x", "2")
    assert "<optgroup" in Select(choices=grouped).render("x", "2")


def test_a_form_renders_it_as_its_field(db):
    class Form(forms.Form):
        choice = forms.ChoiceField(choices=CHOICES, widget=Select, help_text="Aide")

    class Plain(forms.Form):
        choice = forms.ChoiceField(choices=CHOICES, help_text="Aide")

    assert str(Form({"choice": "12"})["choice"]) == str(Plain({"choice": "12"})["choice"])
