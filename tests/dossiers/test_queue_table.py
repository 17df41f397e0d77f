"""The queue table's rows made in Python (dossiers.pages.queue_table) are the HTML the
page's template wrote with a loop, escaping included."""

import dataclasses

from django.template import Context, Template

from dossiers import queue
from dossiers.pages.queue_table import rows_html

# The loop templates/dossiers/centre/queue.html had, as it was.
TEMPLATE_LOOP = """{% for row in rows %}{# Every text made by dossiers.queue.rows: one lookup each. #}
        <tr>
          <th scope="row"><a href="{{ row.url }}">{{ row.reference }}</a></th>
          <td>{{ row.display_name }}<br><span class="hint">{{ row.username }}{% if row.auditeur_number %} — n° {{ row.auditeur_number }}{% endif %}</span></td>
          <td>{{ row.diplome_code }}<br><span class="hint">{{ row.diplome_title }}</span></td>
          <td>{{ row.kind_label }}</td>
          <td>
            <span class="badge{% if row.badge %} badge--{{ row.badge }}{% endif %}">{{ row.state_label }}</span>
            {% if row.redeposited %}<br><span class="badge badge--warning">Redéposé</span><span class="hint"> {{ row.redeposit_hint }}</span>{% endif %}
          </td>
          <td>{% if row.owned_by_user %}<strong>vous</strong>{% else %}{{ row.owner_label }}{% endif %}</td>
          <td>
            <time datetime="{{ row.changed_iso }}">{{ row.changed_on }}</time>
            {% if row.waiting_label %}<br>{{ row.waiting_label }}{% if row.corrections_due_on %}<br><span class="hint">attendues avant le {{ row.corrections_due_on }}</span>{% if row.overdue %} <span class="badge badge--error">En retard</span>{% endif %}{% endif %}{% endif %}
          </td>
        </tr>
        {% endfor %}
"""

BASE = queue.Row(
    dossier=None, url="/centre/dossiers/42/", reference="D3-2026-000042",
    display_name="Jeanne Martin", username="jeanne.martin.auditeur",
    auditeur_number="PAR100001", diplome_code="LG02501A",
    diplome_title="Licence générale Droit, économie, gestion", kind_label="Demande de diplôme",
    state_label="À compléter", badge="warning", owner_label="Claire Petit",
    owned_by_user=False, redeposited=False, redeposit_hint="après 1 demande de corrections",
    changed_iso="2026-11-20T10:15:00+01:00", changed_on="20/11/2026", waiting_days=3,
    waiting_label="depuis 3 jours", corrections_due_on="01/12/2026", overdue=True,
)

VARIANTS = [
    BASE,
    dataclasses.replace(BASE, overdue=False),
    dataclasses.replace(BASE, corrections_due_on=""),
    dataclasses.replace(BASE, waiting_days=None, waiting_label="", corrections_due_on=""),
    dataclasses.replace(BASE, state_label="Déposé", badge="new", redeposited=True,
                        owned_by_user=True, owner_label="vous"),
    dataclasses.replace(BASE, auditeur_number="", badge="", owner_label="—"),
    # Whatever an auditeur typed in a name is escaped, as the template escaped it.
    dataclasses.replace(BASE, display_name='<script>alert("x")</script> & Cie',
                        username="o'brien", diplome_title="A > B", auditeur_number="<b>1</b>"),
]


def test_the_rows_are_the_html_the_template_wrote():
    expected = Template("{% autoescape on %}        " + TEMPLATE_LOOP + "{% endautoescape %}"
                        ).render(Context({"rows": VARIANTS}))
    assert "        " + rows_html(VARIANTS) + "\n" == expected
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Cie" in expected


def test_no_row_no_html():
    assert rows_html([]) == ""
