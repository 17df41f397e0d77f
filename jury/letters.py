"""The documents of a jury session, made with WeasyPrint: each dossier's courrier, one
PDF of all the courriers of a session for printing, and the procès-verbal.

A courrier has a template per kind of decision (``templates/pdf/courriers/<kind>.html``,
all extending ``courriers/base.html``): the letterhead, the auditeur's postal address
placed for a window envelope, the date, the reference, the decision and its motive, the
jury date, the stage required if any, the signature and the verification code.

The letter is dated the day it is due (``Courrier.due_on``), not the day it happens to
be rendered: the copy printed by the DNF and the one sent by courriel are the same
letter, with the same date and code.
"""

import io

from django.conf import settings
from django.db import models
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from d3 import pdf
from d3.pdf import render_pdf
from dossiers.models import AepOutcome
from jury.decisions import decision_summary, is_favourable
from jury.models import Courrier, DdOutcome

__all__ = [
    "LetterKind",
    "courrier_context",
    "courrier_html",
    "courrier_template",
    "format_code",
    "letter_kind",
    "render_courrier_pdf",
    "render_pv_pdf",
    "render_session_courriers_pdf",
]


class LetterKind(models.TextChoices):
    """What a courrier announces; it names the template and is what the public
    verification page shows, next to the reference and the date."""

    DIPLOME_DELIVRE = "diplome_delivre", "Demande de diplôme : diplôme délivré"
    DIPLOME_AJOURNE = "diplome_ajourne", "Demande de diplôme : décision d'ajournement"
    DIPLOME_REFUSE = "diplome_refuse", "Demande de diplôme : refus de délivrance"
    EXPERIENCE_VALIDEE = (
        "experience_validee", "Analyse de l'expérience professionnelle : expérience validée"
    )
    EXPERIENCE_SOUS_RESERVE = (
        "experience_sous_reserve",
        "Analyse de l'expérience professionnelle : expérience validée sous réserve d'un stage",
    )
    EXPERIENCE_NON_VALIDEE = (
        "experience_non_validee",
        "Analyse de l'expérience professionnelle : expérience non validée",
    )


_DD_KINDS = {
    DdOutcome.DELIVRE: LetterKind.DIPLOME_DELIVRE,
    DdOutcome.AJOURNE: LetterKind.DIPLOME_AJOURNE,
    DdOutcome.REFUSE: LetterKind.DIPLOME_REFUSE,
}
_AEP_KINDS = {
    AepOutcome.VALIDEE: LetterKind.EXPERIENCE_VALIDEE,
    AepOutcome.VALIDEE_SOUS_RESERVE: LetterKind.EXPERIENCE_SOUS_RESERVE,
    AepOutcome.NON_VALIDEE: LetterKind.EXPERIENCE_NON_VALIDEE,
}


def letter_kind(decision, dossier=None):
    """The kind of courrier a decision calls for: the DD's outcome when the dossier asks
    for the diploma (with or without an AEP), the AEP's outcome for an AEP anticipée."""
    dossier = dossier or decision.dossier
    if dossier.includes_dd:
        return _DD_KINDS[decision.dd_outcome]
    return _AEP_KINDS[decision.aep_outcome]


def courrier_template(kind):
    return f"pdf/courriers/{LetterKind(kind).value}.html"


def format_code(code):
    """``ABCDEFGHJKMNPQRS`` → ``ABCD-EFGH-JKMN-PQRS``: easier to read and to type."""
    return "-".join(code[i:i + 4] for i in range(0, len(code), 4))


def _verification_url():
    return settings.D3_SITE_URL.rstrip("/") + reverse("jury:verification")


def courrier_context(courrier):
    """What a courrier's template receives (no query if the relations are loaded:
    see :func:`_courriers_for_rendering`)."""
    dossier = courrier.dossier
    session = courrier.session
    decision = dossier.decision
    auditeur = dossier.auditeur
    profile = getattr(auditeur, "profile", None)
    civilite = profile.get_civilite_display() if profile and profile.civilite else ""
    display_name = profile.display_name if profile else auditeur.get_full_name()
    kind = letter_kind(decision, dossier)
    president = session.president
    return {
        "letter_kind": kind,
        "letter_kind_label": LetterKind(kind).label,
        "reference": dossier.reference,
        "letter_date": courrier.due_on,
        "verification_code": format_code(courrier.verification_code),
        "verification_url": _verification_url(),
        "civilite": civilite,
        "courtesy": civilite or "Madame, Monsieur",
        "display_name": display_name,
        "address_lines": profile.postal_address_lines if profile else [],
        "auditeur_number": profile.auditeur_number if profile else "",
        "kind_label": dossier.get_kind_display(),
        "includes_aep": dossier.includes_aep,
        "includes_dd": dossier.includes_dd,
        "diplome": dossier.diplome,
        "jury_date": session.date,
        "jury_place": session.place,
        "decision": decision,
        "decision_lines": decision_summary(decision, dossier),
        "favourable": is_favourable(cursus_valide=decision.cursus_valide,
                                    aep_outcome=decision.aep_outcome,
                                    dd_outcome=decision.dd_outcome),
        "motive": decision.motive,
        "stage_months": (decision.stage_months
                         if decision.aep_outcome == AepOutcome.VALIDEE_SOUS_RESERVE else None),
        "president_name": president.get_full_name() or president.username,
    }


def courrier_html(courrier):
    """The HTML of the courrier's letter, as WeasyPrint receives it."""
    context = courrier_context(courrier)
    return render_to_string(courrier_template(context["letter_kind"]), context)


# Parsed once per process and applied to every letter (templates/pdf/courriers/base.html).
LETTER_STYLESHEET = "pdf/courriers/courrier.css"


def render_courrier_pdf(courrier):
    """The courrier's letter as PDF bytes. Renders every time: :mod:`jury.tasks` stores
    it once and reuses the stored file.

    The letter's style sheet is parsed once per process by :mod:`d3.pdf`: a session's
    hundreds of letters then cost little more than WeasyPrint's own layout of their
    text (see ``benchmarks/courriers.py``).
    """
    return pdf.render_html_pdf(courrier_html(courrier), stylesheets=[LETTER_STYLESHEET])


def _courriers_for_rendering(queryset):
    return queryset.select_related(
        "session__president", "dossier__auditeur__profile", "dossier__diplome",
        "dossier__decision",
    ).order_by("dossier_id")


def render_session_courriers_pdf(session):
    """Every courrier of a closed session in one PDF, in dossier order, for printing.

    A courrier already sent (or rendered) is the stored file itself; the others are
    rendered now and not stored, which gives the same letter: same date, same code.
    Each letter starts on a page of its own (odd page, for recto-verso printing: a
    letter of one page is followed by a blank verso).
    """
    from django.core.files.storage import default_storage
    from pypdf import PdfWriter

    courriers = list(_courriers_for_rendering(Courrier.objects.filter(session=session)))
    if not courriers:
        raise ValueError("Cette session n'a pas de courriers : elle n'est pas close.")
    writer = PdfWriter()
    for courrier in courriers:
        if courrier.storage_key and default_storage.exists(courrier.storage_key):
            with default_storage.open(courrier.storage_key, "rb") as file:
                data = file.read()
        else:
            data = render_courrier_pdf(courrier)
        writer.append(io.BytesIO(data))
        if len(writer.pages) % 2:
            writer.add_blank_page()
    writer.add_metadata({"/Title": f"Courriers — {session}"})
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def pv_rows(session):
    """One row per dossier of the session, for the procès-verbal."""
    dossiers = session.dossiers.select_related(
        "auditeur__profile", "diplome", "decision"
    ).order_by("diplome__code", "auditeur__last_name", "pk")
    rows = []
    for dossier in dossiers:
        decision = getattr(dossier, "decision", None)
        profile = getattr(dossier.auditeur, "profile", None)
        rows.append({
            "dossier": dossier,
            "reference": dossier.reference,
            "name": profile.display_name if profile else dossier.auditeur.get_full_name(),
            "auditeur_number": profile.auditeur_number if profile else "",
            "decision": decision,
            "lines": decision_summary(decision, dossier) if decision else [],
            "kind_label": (LetterKind(letter_kind(decision, dossier)).label
                           if decision else ""),
        })
    return rows


def render_pv_pdf(session):
    """The procès-verbal of the session: its jury, each dossier and its decision.

    Before closing it is marked as a draft ("projet"): decisions may still change.
    """
    rows = pv_rows(session)
    counts = {}
    for row in rows:
        if row["kind_label"]:
            counts[row["kind_label"]] = counts.get(row["kind_label"], 0) + 1
    return render_pdf("pdf/pv.html", {
        "session": session,
        "president_name": session.president.get_full_name() or session.president.username,
        "members": [member.get_full_name() or member.username
                    for member in session.members.order_by("last_name", "first_name")],
        "diplomes": list(session.diplomes.order_by("code")),
        "rows": rows,
        "counts": sorted(counts.items()),
        "undecided": sum(1 for row in rows if row["decision"] is None),
        "closed_at": timezone.localtime(session.closed_at) if session.closed_at else None,
        "printed_at": timezone.localtime(),
    })
