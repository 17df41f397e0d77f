"""The one way domain code sends a courriel.

``queue_courriel`` renders the message and writes it as a :class:`Courriel` row
in the caller's transaction, next to the state change it reports. Delivery is
queued only once that transaction commits, so a rolled-back change never sends
anything, and a committed one is never lost: if the broker is unreachable at
commit time, the periodic sweep (``tasks.resend_pending``) finds the row later.
"""

from functools import partial

from django.conf import settings
from django.db import transaction
from django.template import Context
from django.template.loader import get_template, render_to_string
from django.utils import timezone

from d3.courriels.models import Courriel
from d3.courriels.tasks import deliver_soon

_ATTACHMENT_KEYS = frozenset({"name", "path", "mimetype"})


def queue_courriel(*, to, template, context, recipient_user=None, dossier_reference="",
                   attachments=()):
    """Write a courriel to the outbox and deliver it once the transaction commits.

    ``template`` names ``templates/courriels/<template>.subject.txt``, ``.txt``
    and ``.html``. They receive ``context`` plus ``site_url`` and
    ``dossier_reference``. ``attachments`` are dicts ``{"name", "path",
    "mimetype"}`` where ``path`` is a key in the default storage; the files are
    read at sending time, so they must outlive the courriel.
    """
    full_context = {"dossier_reference": dossier_reference, **context,
                    "site_url": settings.D3_SITE_URL}
    courriel = Courriel.objects.create(
        to=to,
        subject=_render_subject(template, full_context),
        body_text=_render_text(f"courriels/{template}.txt", full_context),
        body_html=render_to_string(f"courriels/{template}.html", full_context),
        attachments=_checked_attachments(attachments),
        template=template,
        recipient_user=recipient_user,
        dossier_reference=dossier_reference,
        next_attempt_at=timezone.now(),
    )
    transaction.on_commit(partial(deliver_soon, courriel.pk))
    return courriel


def _render_subject(template, context):
    subject = _render_text(f"courriels/{template}.subject.txt", context)
    # A header is one line: a stray newline in the template would make the mail
    # library refuse the message at sending time, long after the transaction.
    return " ".join(subject.split())


def _render_text(name, context):
    # Plain text is not HTML: "Dupont & fils" must not become "Dupont &amp; fils".
    return get_template(name).template.render(Context(context, autoescape=False))


def _checked_attachments(attachments):
    checked = []
    for attachment in attachments:
        if set(attachment) != _ATTACHMENT_KEYS:
            raise ValueError(
                f"A courriel attachment needs exactly {sorted(_ATTACHMENT_KEYS)}, "
                f"got {sorted(attachment)}."
            )
        checked.append(dict(attachment))
    return checked
