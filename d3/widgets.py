"""Form widgets of the long list pages, rendered in Python.

A ``<select>`` of Django renders each ``<option>`` through two template includes
(``select_option.html``, ``attrs.html``): the filters of the centre's queue, with a
choice per diploma of the centre, took 7 ms of the page's ~50 ms of CPU at the Cnam's
scale (benchmarks/profile_lists.py). :class:`Select` writes the very same HTML
(tests/test_widgets.py compares both) in a tenth of the time.
"""

from django import forms
from django.utils.html import conditional_escape, escape, format_html
from django.utils.safestring import SafeData, mark_safe


def _formatted(value):
    """As ``{{ value|stringformat:'s' }}``: escaped unless already safe."""
    text = "%s" % value
    return text if isinstance(value, SafeData) else escape(text)


def _attrs(attrs):
    """As ``django/forms/widgets/attrs.html``: `` name="value"``, `` name`` when True."""
    return "".join(
        f" {conditional_escape(name)}" if value is True
        else f' {conditional_escape(name)}="{_formatted(value)}"'
        for name, value in attrs.items()
        if value is not False
    )


class Select(forms.Select):
    """``forms.Select`` with the HTML of ``django/forms/widgets/select.html`` made in
    Python (no option groups: a choice that has some falls back to the template)."""

    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        groups = widget["optgroups"]
        if any(group_name for group_name, _, _ in groups):
            return super().render(name, value, attrs, renderer)
        parts = [format_html('<select name="{}"', widget["name"]), _attrs(widget["attrs"]), ">"]
        for _, options, _ in groups:
            for option in options:
                parts.append(f'\n  <option value="{_formatted(option["value"])}"')
                parts.append(_attrs(option["attrs"]))
                # The "\n" that ends the file select_option.html, kept.
                parts.append(format_html(">{}</option>\n", option["label"]))
        parts.append("\n</select>")
        return mark_safe("".join(parts))
