"""jury.letters: one courrier per dossier with a template per kind of decision, the
address in the envelope's window; the PV and the printing PDF of a session."""

import datetime
import io
import re
from html import unescape

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from pypdf import PdfReader

from auditeurs.models import AuditeurProfile
from dossiers.models import Kind
from jury import letters
from jury.letters import LetterKind, courrier_html, format_code, render_courrier_pdf
from jury.models import Courrier
from tests.factories import AuditeurFactory
from tests.jury.factories import (
    CourrierFactory,
    JurySessionFactory,
    SessionDossierFactory,
)

MM = 72 / 25.4  # PDF points per millimetre
JURY_DATE = datetime.date(2027, 1, 31)
MOTIVES = {
    "ajourne": "Le rapport d'expérience ne montre pas la maîtrise des compétences du diplôme.",
    "refuse": "L'UE NFA008 validée ne correspond pas au parcours du diplôme.",
    "sous_reserve": "L'expérience dans la spécialité est inférieure à douze mois.",
    "non_validee": "Aucune des périodes déclarées ne relève de la spécialité.",
}
# (dossier kind, decision trait) → (template, phrases the letter must say)
CASES = {
    "diplome_delivre": (Kind.DD_AEP, None, [
        "Objet : délivrance du diplôme Licence informatique",
        "a décidé de vous délivrer le diplôme LG02501A — Licence informatique",
        "Cursus : validé", "Expérience professionnelle : Expérience validée",
        "Diplôme : Diplôme délivré",
    ]),
    "diplome_ajourne": (Kind.DD, "ajourne", [
        "Objet : ajournement de votre demande de diplôme Licence informatique",
        "a décidé d'ajourner la délivrance du diplôme", "Diplôme : Ajourné",
        "tribunal administratif",
    ]),
    "diplome_refuse": (Kind.DD, "refuse", [
        "Objet : refus de délivrance du diplôme Licence informatique",
        "a décidé de ne pas vous délivrer ce diplôme", "Cursus : non validé",
        "Diplôme : Refusé",
    ]),
    "experience_validee": (Kind.AEP_ANTICIPEE, None, [
        "Objet : analyse de votre expérience professionnelle — Licence informatique",
        "a validé votre expérience professionnelle au titre du diplôme LG02501A",
        "Expérience professionnelle : Expérience validée",
    ]),
    "experience_sous_reserve": (Kind.AEP_ANTICIPEE, "sous_reserve", [
        "validée sous réserve d'un stage de 6 mois",
        "Le stage exigé est de 6 mois",
        "Expérience professionnelle : Expérience validée sous réserve d'un stage de 6 mois",
    ]),
    "experience_non_validee": (Kind.AEP_ANTICIPEE, "non_validee", [
        "ne l'a pas validée", "Expérience professionnelle : Expérience non validée",
    ]),
}


@pytest.fixture
def closed_session(president, diplome):
    return JurySessionFactory(closed=True, date=JURY_DATE, president=president,
                              diplomes=[diplome])


def make_courrier(session, auditeur, kind, trait):
    decision = {trait: True} if trait else {}
    return CourrierFactory(
        dossier__session=session, dossier__auditeur=auditeur, dossier__kind=kind,
        **{f"dossier__decision__{key}": value for key, value in decision.items()},
    )


def auditeur_2():
    return AuditeurFactory(first_name="Karim", last_name="Benali")


def pdf_text(data):
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def flat(text):
    return " ".join(text.split())


def html_text(html):
    """The words of the HTML, as a reader sees them: inline emphasis is no break."""
    html = re.sub(r"<style.*?</style>|<title>.*?</title>", " ", html, flags=re.DOTALL)
    html = re.sub(r"</?(strong|span|em)\b[^>]*>", "", html)
    return flat(unescape(re.sub(r"<[^>]+>", " ", html)))


@pytest.mark.parametrize("letter_kind", list(CASES))
def test_the_html_of_each_kind_of_decision(letter_kind, closed_session, auditeur):
    kind, trait, phrases = CASES[letter_kind]
    courrier = make_courrier(closed_session, auditeur, kind, trait)

    assert letters.letter_kind(courrier.dossier.decision) == letter_kind
    text = html_text(courrier_html(courrier))
    for phrase in phrases:
        assert phrase in text, phrase
    assert f"Paris, le {courrier.due_on.day} février 2027" in text
    assert "Jury du 31 janvier 2027" in text
    assert f"Référence du dossier : {courrier.dossier.reference}" in text
    assert f"Code de vérification : {format_code(courrier.verification_code)}" in text
    assert "Pour le jury, le président du jury, Hélène Marchand" in text
    assert "Madame Jeanne Martin 12 rue de la République 69002 Lyon" in text
    motive = MOTIVES.get(trait)
    if motive:
        assert f"Motif : {motive}" in text
    else:
        assert "Motif" not in text
        assert "tribunal administratif" not in text
    assert ("stage de" in text) is (trait == "sous_reserve")


@pytest.mark.parametrize("letter_kind", list(CASES))
def test_the_pdf_says_the_decision_the_motive_the_address_and_the_code(
    letter_kind, closed_session, auditeur
):
    kind, trait, phrases = CASES[letter_kind]
    courrier = make_courrier(closed_session, auditeur, kind, trait)

    data = render_courrier_pdf(courrier)

    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) == 1
    text = flat(pdf_text(data))
    assert format_code(courrier.verification_code) in text
    assert courrier.dossier.reference in text
    for line in ("Madame Jeanne Martin", "12 rue de la République", "69002 Lyon"):
        assert line in text
    assert flat(phrases[-1]) in text
    if trait:
        assert flat(MOTIVES[trait]) in text


def test_the_address_falls_in_the_window_of_the_envelope(closed_session, auditeur):
    AuditeurProfile.objects.filter(user=auditeur).update(
        address_line2="Résidence Les Tilleuls, bâtiment B", country="Belgique",
        postal_code="1000", city="Bruxelles",
    )
    courrier = make_courrier(closed_session, auditeur, Kind.DD_AEP, None)
    courrier = Courrier.objects.get(pk=courrier.pk)  # the profile as saved
    page = PdfReader(io.BytesIO(render_courrier_pdf(courrier))).pages[0]
    page_height = float(page.mediabox.height)
    found = {}

    def visit(text, cm, tm, font, size):
        text = text.strip()
        if text:
            x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
            y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
            found.setdefault(text, (x / MM, (page_height - y) / MM))

    page.extract_text(visitor_text=visit)

    lines = ["Madame Jeanne Martin", "12 rue de la République",
             "Résidence Les Tilleuls, bâtiment B", "1000 Bruxelles", "BELGIQUE"]
    for line in lines:
        x, y = found[line]
        # Window: 100 to 190 mm from the left edge, 45 to 80 mm from the top (baselines).
        assert 100 <= x <= 110, (line, x)
        assert 45 < y < 80, (line, y)
    # Nothing else is printed in the window.
    others = [text for text, (x, y) in found.items()
              if text not in lines and 100 <= x <= 190 and 45 <= y <= 80]
    assert others == []


def test_a_long_motive_still_makes_a_letter(closed_session, auditeur):
    courrier = make_courrier(closed_session, auditeur, Kind.DD, "refuse")
    courrier.dossier.decision.motive = "Motif détaillé. " * 300
    courrier.dossier.decision.save()

    text = flat(pdf_text(render_courrier_pdf(Courrier.objects.get(pk=courrier.pk))))
    assert format_code(courrier.verification_code) in text
    assert text.count("Motif détaillé.") == 300


def test_a_motive_is_text_not_html(closed_session, auditeur):
    courrier = make_courrier(closed_session, auditeur, Kind.DD, "refuse")
    courrier.dossier.decision.motive = '<img src="http://example.org/x.png"> & <b>gras</b>'
    courrier.dossier.decision.save()

    html = courrier_html(Courrier.objects.get(pk=courrier.pk))
    assert "&lt;img src=" in html
    assert "<b>" not in html


def test_the_letter_kinds_are_those_of_the_templates():
    from django.template.loader import get_template

    for kind in LetterKind:
        assert get_template(letters.courrier_template(kind))


# --- Documents of a session -----------------------------------------------------------


def test_the_printing_pdf_holds_every_letter_of_the_session(closed_session, auditeur):
    first = make_courrier(closed_session, auditeur, Kind.DD_AEP, None)
    second = make_courrier(closed_session, auditeur_2(), Kind.AEP_ANTICIPEE, "non_validee")
    # The first one was sent: its stored letter is printed as it is.
    stored = render_courrier_pdf(first)
    first.storage_key = default_storage.save("courriers/envoye.pdf", ContentFile(stored))
    first.save()

    data = letters.render_session_courriers_pdf(closed_session)

    reader = PdfReader(io.BytesIO(data))
    # Each letter starts on a recto: one page each, a blank verso after each.
    assert len(reader.pages) == 4
    assert format_code(first.verification_code) in reader.pages[0].extract_text()
    assert reader.pages[1].extract_text().strip() == ""
    assert format_code(second.verification_code) in flat(reader.pages[2].extract_text())


def test_an_open_session_has_no_letters_to_print(session):
    with pytest.raises(ValueError, match="pas close"):
        letters.render_session_courriers_pdf(session)


def test_the_pv_lists_each_dossier_and_its_decision(closed_session, auditeur, membre_jury):
    closed_session.members.set([membre_jury])
    make_courrier(closed_session, auditeur, Kind.DD_AEP, None)
    refused = make_courrier(closed_session, auditeur_2(), Kind.DD, "refuse")

    text = flat(pdf_text(letters.render_pv_pdf(closed_session)))

    assert "Procès-verbal de la session de jury du 31 janvier 2027" in text
    assert "Hélène Marchand" in text
    assert "Henri Moreau" in text
    assert "LG02501A — Licence informatique" in text
    assert "Décisions (2 dossiers)" in text
    assert "Demande de diplôme : diplôme délivré : 1" in text
    assert "Demande de diplôme : refus de délivrance : 1" in text
    assert "Karim Benali" in text
    assert refused.dossier.reference in text
    assert flat(MOTIVES["refuse"]) in text
    assert "PROJET" not in text


def test_the_pv_of_an_open_session_is_a_draft(session):
    SessionDossierFactory(session=session)
    SessionDossierFactory(session=session, decided=True)

    text = flat(pdf_text(letters.render_pv_pdf(session)))

    assert "PROJET — la session n'est pas close" in text
    assert "1 dossier sans décision" in text
    assert "Pas encore de décision" in text
