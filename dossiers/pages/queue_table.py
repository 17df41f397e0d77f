"""The rows of the centre's queue table, as HTML made in Python.

The page shows 50 rows of a dozen texts each; Django's template engine resolved those
600 variables and 250 ``{% if %}`` tags at ~0.1 ms a row, the largest single part of
the page's CPU at the Cnam's scale (docs/benchmarks.md). The texts are the ones
:func:`dossiers.queue.rows` makes; here they are only escaped and put in place, in the
same HTML as the template wrote (``tests/dossiers/test_queue_table.py`` renders both).
"""

from django.utils.html import escape
from django.utils.safestring import mark_safe


def _row(row):
    number = f" — n° {escape(row.auditeur_number)}" if row.auditeur_number else ""
    badge = f" badge--{escape(row.badge)}" if row.badge else ""
    redeposited = (
        '<br><span class="badge badge--warning">Redéposé</span>'
        f'<span class="hint"> {escape(row.redeposit_hint)}</span>'
        if row.redeposited else ""
    )
    owner = "<strong>vous</strong>" if row.owned_by_user else escape(row.owner_label)
    waiting = ""
    if row.waiting_label:
        waiting = f"<br>{escape(row.waiting_label)}"
        if row.corrections_due_on:
            waiting += (f'<br><span class="hint">attendues avant le '
                        f"{escape(row.corrections_due_on)}</span>")
            if row.overdue:
                waiting += ' <span class="badge badge--error">En retard</span>'
    return (
        "\n        <tr>\n"
        f'          <th scope="row"><a href="{escape(row.url)}">{escape(row.reference)}</a></th>\n'
        f"          <td>{escape(row.display_name)}<br><span class=\"hint\">"
        f"{escape(row.username)}{number}</span></td>\n"
        f"          <td>{escape(row.diplome_code)}<br><span class=\"hint\">"
        f"{escape(row.diplome_title)}</span></td>\n"
        f"          <td>{escape(row.kind_label)}</td>\n"
        "          <td>\n"
        f'            <span class="badge{badge}">{escape(row.state_label)}</span>\n'
        f"            {redeposited}\n"
        "          </td>\n"
        f"          <td>{owner}</td>\n"
        "          <td>\n"
        f'            <time datetime="{escape(row.changed_iso)}">{escape(row.changed_on)}</time>\n'
        f"            {waiting}\n"
        "          </td>\n"
        "        </tr>\n"
        "        "
    )


def rows_html(rows):
    """The ``<tr>`` of each row of :func:`dossiers.queue.rows`, escaped."""
    return mark_safe("".join(_row(row) for row in rows))
