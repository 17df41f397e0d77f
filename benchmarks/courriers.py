"""Benchmark: rendering the courriers of a jury session, against a bare WeasyPrint page.

    .venv/bin/python benchmarks/courriers.py --dossiers 500 [--rounds 3] [--check]

Builds, in a throwaway SQLite database (a temporary ``D3_VAR_DIR``; ``DATABASE_URL`` is
ignored so that no real database is ever written to), one closed session of
``--dossiers`` dossiers of every kind, with decisions of every kind (a quarter of them
favourable) and their courriers. Then, in this one process (one worker), it renders
every courrier as :func:`jury.tasks.send_courrier` does: the rows read with their
relations, the template of the decision's kind, WeasyPrint with the shared font
configuration and the letter's style sheet. In the same run it renders, the same
number of times and with the same font configuration:

- the bare page: a one-page document of plain paragraphs with as much text as a
  letter (some 1,400 characters without spaces; both counts are printed), straight to
  WeasyPrint: no template, no database, no style sheet. The courrier should cost no
  more than twice this page (``--check`` exits with status 1 otherwise);
- for information, a near-empty page (a title and one sentence): WeasyPrint's fixed
  cost per document. Layout grows with the text, so a letter cannot come close to it.

Times are the CPU time of the process (what one worker costs, even on a machine busy
with something else); the wall-clock rate of the letters is printed too. Rounds
alternate the three measures (``--rounds``, median kept). Not a test: ``docs/benchmarks.md`` keeps
the figures measured.
"""

import argparse
import datetime
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_PARAGRAPHS = [
    ("Le jury réuni le 14 octobre a examiné votre demande de délivrance du diplôme et "
     "l'analyse de votre expérience professionnelle au titre de la licence d'informatique."),
    ("Il a considéré votre cursus, les unités d'enseignement que vous avez validées et le "
     "rapport d'expérience que vous avez déposé avec les attestations de vos employeurs."),
    ("Après en avoir délibéré, il a pris la décision qui vous est notifiée par le présent "
     "document, ainsi que le motif qui la fonde et les suites que vous pouvez lui donner."),
    ("Vous pourrez présenter une nouvelle demande lorsque les conditions indiquées seront "
     "remplies ; votre centre d'inscription peut vous conseiller sur la suite du parcours."),
    ("Cette décision peut faire l'objet d'un recours gracieux auprès du président du jury, "
     "ou d'un recours contentieux devant le tribunal administratif dans un délai de deux "
     "mois à compter de sa notification."),
    "Je vous prie d'agréer l'expression de mes salutations distinguées.",
    ("Référence du dossier D3-2026-000123 — numéro d'auditeur PAR100123 — diplôme "
     "LG02501A — jury du 14 octobre 2026 — code de vérification ABCD-EFGH-JKMN-PQRS."),
    "Madame Camille Lefèvre-Dubois, 12 rue de la Roquette, bâtiment B, 75011 Paris.",
    ("Cursus : validé. Expérience professionnelle : expérience validée sous réserve d'un "
     "stage de six mois. Diplôme : ajourné."),
    ("Motif : l'expérience déclarée dans la spécialité ne couvre pas les douze mois exigés ; "
     "le rapport d'expérience ne décrit pas les missions de conception attendues."),
    ("Toute personne à qui ce document est présenté peut en vérifier l'authenticité en "
     "ligne avec le code qu'il porte."),
]
BARE_PAGE = (
    '<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8"><title>Page</title></head>'
    "<body><h1>Décision du jury</h1>"
    + "".join(f"<p>{paragraph}</p>" for paragraph in _PARAGRAPHS)
    + "</body></html>"
)
NEAR_EMPTY_PAGE = (
    '<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8"><title>Page</title></head>'
    "<body><h1>Une page</h1><p>Une phrase, sans feuille de style.</p></body></html>"
)


def setup_django(var_dir):
    os.environ.pop("DATABASE_URL", None)
    os.environ["D3_VAR_DIR"] = str(var_dir)
    os.environ["DJANGO_SETTINGS_MODULE"] = "d3.settings"
    os.environ.setdefault("DJANGO_SECRET_KEY", "benchmark-only-not-secret")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def build_session(count, first=0):
    """A closed session of ``count`` decided dossiers, each with its courrier.

    Auditeurs are numbered from ``first``: another call with the next numbers adds a
    second session (same centre, diploma and staff) to the same database."""
    from django.utils import timezone

    from auditeurs.models import AuditeurProfile, Centre, Role, User
    from dossiers.models import AepOutcome, Diplome, Dossier, Family, Kind, State
    from jury.courriers import one_month_after
    from jury.models import Courrier, DdOutcome, Decision, JurySession

    now = timezone.now()
    centre, _ = Centre.objects.get_or_create(code="PAR", defaults={
        "name": "Cnam Paris", "service_email": "scolarite@cnam.fr"})
    diplome, _ = Diplome.objects.get_or_create(code="LG02501A", defaults={
        "title": "Licence sciences, technologies, santé mention informatique",
        "family": Family.LICENCE, "specialty": "Informatique générale",
    })
    dnf, _ = User.objects.get_or_create(username="agent.dnf",
                                        defaults={"role": Role.AGENT_DNF})
    president, _ = User.objects.get_or_create(username="president.jury", defaults={
        "first_name": "Hélène", "last_name": "Marchand", "role": Role.MEMBRE_JURY})
    jury_date = timezone.localdate() - datetime.timedelta(days=40)
    session = JurySession.objects.create(date=jury_date, place="Cnam Paris", president=president,
                                         created_by=dnf, closed_at=now, closed_by=dnf)
    session.diplomes.set([diplome])
    auditeurs = User.objects.bulk_create(
        User(username=f"auditeur{n}.nom{n}.auditeur", first_name=f"Camille{n}",
             last_name=f"Lefèvre-Dubois{n}", email=f"auditeur{n}@example.org",
             role=Role.AUDITEUR)
        for n in range(first, first + count)
    )
    AuditeurProfile.objects.bulk_create(
        AuditeurProfile(user=user, auditeur_number=f"PAR{100000 + n}", centre=centre,
                        civilite="mme" if n % 2 else "m", first_names=user.first_name,
                        birth_name=user.last_name, address_line1=f"{n + 1} rue de la Roquette",
                        address_line2="Bâtiment B, escalier 3" if n % 3 == 0 else "",
                        postal_code="75011", city="Paris", country="France",
                        completed_at=now)
        for n, user in enumerate(auditeurs, start=first)
    )
    kinds = [Kind.DD_AEP, Kind.DD, Kind.AEP_ANTICIPEE]
    dossiers = Dossier.objects.bulk_create(
        Dossier(auditeur=user, centre=centre, diplome=diplome, kind=kinds[n % 3],
                state=State.DECISION_RENDUE, jury_session=session, transmitted_at=now)
        for n, user in enumerate(auditeurs)
    )
    motive = ("L'expérience déclarée dans la spécialité ne couvre pas les douze mois exigés ; "
              "le rapport d'expérience ne décrit pas les missions de conception attendues.")
    decisions = []
    for n, dossier in enumerate(dossiers):
        variant = n % 4  # favourable, and three unfavourable decisions with a motive
        aep = ["validee", "validee_sous_reserve", "non_validee", "validee"][variant]
        dd = ["delivre", "ajourne", "refuse", "ajourne"][variant]
        decisions.append(Decision(
            dossier=dossier, session=session, cursus_valide=variant != 2,
            aep_outcome=aep if dossier.includes_aep else "",
            stage_months=6 if aep == AepOutcome.VALIDEE_SOUS_RESERVE and dossier.includes_aep
            else None,
            dd_outcome=DdOutcome(dd) if dossier.includes_dd else "",
            motive="" if variant == 0 else motive,
            recorded_by=president, recorded_at=now,
        ))
    Decision.objects.bulk_create(decisions)
    Courrier.objects.bulk_create(
        Courrier(dossier=dossier, session=session, due_on=one_month_after(jury_date))
        for dossier in dossiers
    )
    return session


def text_length(pdf_bytes):
    import io

    from pypdf import PdfReader

    return sum(len("".join(page.extract_text().split()))
               for page in PdfReader(io.BytesIO(pdf_bytes)).pages)


def time_courriers(session):
    from jury.letters import _courriers_for_rendering, render_courrier_pdf
    from jury.models import Courrier

    started, cpu_started = time.perf_counter(), time.process_time()
    pdfs = []
    for courrier in _courriers_for_rendering(Courrier.objects.filter(session=session)):
        pdfs.append(render_courrier_pdf(courrier))
    return (time.perf_counter() - started, time.process_time() - cpu_started), pdfs


def time_pages(html, count):
    from weasyprint import HTML

    from d3.pdf import _get_font_config

    font_config = _get_font_config()
    started, cpu_started = time.perf_counter(), time.process_time()
    for _ in range(count):
        HTML(string=html).write_pdf(font_config=font_config)
    return time.perf_counter() - started, time.process_time() - cpu_started


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dossiers", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=1,
                        help="repeat the measures and keep the median (default 1)")
    parser.add_argument("--check", action="store_true",
                        help="exit with status 1 if a courrier costs more than twice the "
                             "bare page")
    args = parser.parse_args()
    count = args.dossiers

    with tempfile.TemporaryDirectory(prefix="d3-bench-") as var_dir:
        setup_django(var_dir)
        session = build_session(count)

        # Warm-up, not timed: imports, the font configuration, templates, style sheet.
        from weasyprint import HTML

        from jury.letters import render_courrier_pdf
        from jury.models import Courrier

        render_courrier_pdf(Courrier.objects.filter(session=session).first())
        time_pages(BARE_PAGE, 3)
        time_pages(NEAR_EMPTY_PAGE, 3)
        assert len(HTML(string=BARE_PAGE).render().pages) == 1

        measures = {"letters": [], "bare": [], "empty": []}
        for _ in range(args.rounds):
            elapsed, pdfs = time_courriers(session)
            measures["letters"].append(elapsed)
            measures["bare"].append(time_pages(BARE_PAGE, count))
            measures["empty"].append(time_pages(NEAR_EMPTY_PAGE, count))
    # CPU time of this process: what one worker costs, even on a machine busy with
    # other work; the wall-clock rate is printed next to it.
    letters, bare, empty = (statistics.median(cpu for _, cpu in measures[key])
                            for key in ("letters", "bare", "empty"))
    letters_wall = statistics.median(wall for wall, _ in measures["letters"])
    # Characters of text (spaces left out), to show the bare page is a fair match.
    letter_chars = statistics.mean(text_length(pdf) for pdf in pdfs[:50])
    bare_chars = text_length(HTML(string=BARE_PAGE).write_pdf())
    size = statistics.mean(len(pdf) for pdf in pdfs) / 1024

    ratio = letters / bare
    print(f"{count} dossiers, {args.rounds} tour(s), un processus ; temps CPU du processus")
    print(f"Courriers       : {count / letters:6.1f} /s par processus "
          f"({1000 * letters / count:5.1f} ms chacun ; {letter_chars:.0f} caractères, "
          f"{size:.0f} Ko en moyenne ; {count / letters_wall:.1f} /s en temps réel)")
    print(f"Page nue        : {count / bare:6.1f} /s "
          f"({1000 * bare / count:5.1f} ms ; {bare_chars} caractères, sans gabarit ni style)")
    print(f"Page quasi vide : {count / empty:6.1f} /s "
          f"({1000 * empty / count:5.1f} ms ; pour information)")
    print(f"Rapport courrier / page nue : {ratio:.2f} (objectif : 2 au plus) ; "
          f"courrier / page quasi vide : {letters / empty:.2f}")
    if args.check and ratio > 2:
        sys.exit(1)


if __name__ == "__main__":
    main()
