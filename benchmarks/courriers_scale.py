"""Benchmark: the courriers of closed jury sessions sent by a real Celery worker, and
that worker's memory over a thousand letters.

    .venv/bin/python benchmarks/courriers_scale.py [--letters 1000] [--session 500] [--check]

On this run's PostgreSQL database and Redis (``benchmarks/processes.py``), builds closed
sessions of ``--session`` decided dossiers each (``benchmarks/courriers.py``'s session:
every kind of request, every kind of decision) until ``--letters`` letters, and starts
one Celery worker (production settings, the production prefork pool, one process) whose
courriels go to a mail server of the benchmark that counts them. Then, one session at a
time (the others' courriers are not due yet), it queues the real periodic task
``jury.tasks.send_due_courriers``; the worker runs it, then each ``send_courrier``
(render the PDF, store it, decision_rendue → courrier_envoye, the courriel with the PDF)
and each courriel's delivery. A session is done when all its courriers are sent and the
mail server has every courriel: letters per second, in real time and per CPU second of
the worker's pool process.

Memory: the pool process's resident memory (``VmRSS``) is read every ``--every`` letters
sent (100); the growth after the first hundred letters must stay under 30 MB
(``--check`` exits with status 1 otherwise, or if a letter or a courriel is missing or
sent twice). Prints its figures as one JSON line (``D3BENCH {...}``).
"""

import argparse
import datetime
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import processes  # noqa: E402
from benchmarks.courriers import build_session  # noqa: E402
from benchmarks.load import _number  # noqa: E402

BUDGET_MIB = 30


def run(*, letters=1000, session_size=500, every=100, log=print):
    with processes.mail_run("d3-bench-courriers-") as (env, sink, running, var_dir):
        from django.utils import timezone

        from d3.courriels.models import Courriel, Status
        from jury.models import Courrier, CourrierStatus
        from jury.tasks import send_due_courriers

        started = time.monotonic()
        sessions = [build_session(min(session_size, letters - first), first=first)
                    for first in range(0, letters, session_size)]
        log(f"  {len(sessions)} session(s), {letters} courriers préparés en "
            f"{time.monotonic() - started:.0f} s")
        due_on = Courrier.objects.filter(session=sessions[0]).values_list(
            "due_on", flat=True).first()
        # One session at a time: the others' courriers are due tomorrow until their turn.
        Courrier.objects.exclude(session=sessions[0]).update(
            due_on=timezone.localdate() + datetime.timedelta(days=1))

        worker = processes.celery_worker(env, var_dir / "worker.log", "courriers")
        running.append(worker)
        worker.wait_ready()
        pool = processes.only_child(worker.pid)
        rss_start = processes.memory_mib(pool)["VmRSS"]
        samples, phases, next_mark = [], [], every
        for session in sessions:
            size = Courrier.objects.filter(session=session).update(due_on=due_on)
            expected = sum(phase["letters"] for phase in phases) + size
            cpu_before, started = processes.cpu_seconds(pool), time.monotonic()
            send_due_courriers.delay()
            deadline = started + 120 + 3 * size
            while True:
                sent = Courrier.objects.filter(status=CourrierStatus.ENVOYE).count()
                while sent >= next_mark:
                    samples.append((next_mark, processes.memory_mib(pool)["VmRSS"]))
                    next_mark += every
                delivered = Courriel.objects.filter(status=Status.SENT).count()
                if sent == expected and delivered == expected and sink.distinct == expected:
                    break
                failed = Courrier.objects.exclude(last_error="").values_list(
                    "last_error", flat=True).first()
                if failed or time.monotonic() > deadline:
                    raise RuntimeError(
                        f"courriers : {sent}/{expected} envoyés, {delivered} courriels "
                        f"envoyés ; erreur : {failed}\n{worker.log()[-3000:]}")
                time.sleep(0.2)
            seconds = time.monotonic() - started
            cpu = processes.cpu_seconds(pool) - cpu_before
            phases.append({"letters": size, "seconds": round(seconds, 2),
                           "per_second": round(size / seconds, 2),
                           "per_cpu_second": round(size / cpu, 2) if cpu else None})
            log(f"  session de {size} : {seconds:.1f} s, {size / seconds:.1f} courriers/s")
        messages, duplicates = sink.messages, sink.duplicates
        rss_end = processes.memory_mib(pool)["VmRSS"]
    after_first = [rss for count, rss in samples if count > every]
    growth = max(after_first) - samples[0][1] if after_first else 0.0
    lost = letters - (messages - duplicates)
    return {
        "letters": letters, "session_size": session_size, "sessions": phases,
        "per_second": round(letters / sum(phase["seconds"] for phase in phases), 2),
        "courriels_received": messages, "duplicates": duplicates, "lost": lost,
        "rss_before_mib": round(rss_start, 1), "rss_end_mib": round(rss_end, 1),
        "every": every, "rss_samples_mib": [[count, round(rss, 1)] for count, rss in samples],
        "growth_after_first_mib": round(growth, 1), "budget_mib": BUDGET_MIB,
        "machine_load": processes.machine_load(),
        "met": growth < BUDGET_MIB and duplicates == 0 and lost == 0,
    }


def markdown(results):
    first = results["sessions"][0]
    samples = results["rss_samples_mib"]
    lines = [
        "## Courriers d'une session envoyés par un worker Celery",
        "",
        "Commande : `.venv/bin/python benchmarks/run.py courriers_worker` (ou "
        "`benchmarks/courriers_scale.py --check`).",
        "",
        f"Méthode : {processes.ON_ITS_OWN}, "
        f"{len(results['sessions'])} session(s) close(s) de {results['session_size']} "
        "dossiers décidés (toutes les natures de demande et tous les types de décision, "
        "comme `benchmarks/courriers.py`), soit "
        f"{_number(results['letters'], 0)} courriers. Un worker Celery (réglages de "
        "production, pool prefork d'un processus) reçoit la vraie tâche périodique "
        "`send_due_courriers`, une session à la fois, puis chaque `send_courrier` (rendu "
        "WeasyPrint, stockage, passage à « courrier envoyé », courriel avec le PDF) et "
        "l'envoi de chaque courriel par SMTP à un serveur du banc qui les compte. Une "
        "session est finie quand tous ses courriers sont envoyés et que le serveur a reçu "
        f"tous les courriels. La mémoire résidente (`VmRSS`) du processus du pool est lue "
        f"tous les {results['every']} courriers.",
        "",
        "| mesure | valeur |",
        "|---|---|",
    ]
    for number, phase in enumerate(results["sessions"], start=1):
        lines.append(
            f"| session {number} ({phase['letters']} courriers) | "
            f"{_number(phase['seconds'])} s, **{_number(phase['per_second'])} courriers/s** "
            f"({_number(phase['per_cpu_second'] or 0)} par seconde de CPU du worker) |")
    lines += [
        f"| courriels reçus par le serveur SMTP | {_number(results['courriels_received'], 0)}"
        f" ({results['duplicates']} en double, {results['lost']} perdu(s)) |",
        f"| mémoire du worker avant le premier courrier | "
        f"{_number(results['rss_before_mib'])} Mio |",
        "| mémoire après n courriers | "
        + " ; ".join(f"{count} : {_number(rss)}" for count, rss in samples) + " (Mio) |",
        "",
        f"Débit : {_number(first['per_second'])} courriers/s pour une session de "
        f"{first['letters']} dossiers, en temps réel sur une machine partagée ; "
        f"{_number(1000 / first['per_cpu_second'], 0)} ms de CPU du worker par courrier, soit "
        f"{_number(first['letters'] / first['per_cpu_second'], 0)} s de calcul pour la "
        "session (un worker de production a deux processus). Mémoire : "
        f"hausse de **{_number(results['growth_after_first_mib'])} Mio** après les "
        f"{results['every']} premiers courriers (objectif : moins de {results['budget_mib']} "
        f"Mio) : objectif {'atteint' if results['met'] else '**manqué**'}. "
        + processes.load_sentence(results),
        "",
        "Le débit en temps réel dépend de ce que fait la machine par ailleurs ; le débit par "
        "seconde de CPU du processus du worker est la mesure stable. Il comprend, pour chaque "
        "courrier, le rendu (mesuré seul par `benchmarks/courriers.py`, plus haut), le "
        "stockage du PDF, le passage "
        "d'état avec son événement, le courriel et son envoi SMTP avec le PDF joint ; un "
        "profil de `deliver_courrier` en attribue environ 80 % au rendu par WeasyPrint.",
        "",
        "Pas de fuite : la configuration de polices de WeasyPrint et la feuille de style du "
        "courrier sont créées une fois par processus et réutilisées (`d3/pdf.py`) ; en "
        "production `DEBUG` est désactivé, Django ne garde donc pas la liste des requêtes "
        "exécutées ; chaque tâche relit ses lignes, aucun cache ne grossit d'un courrier à "
        "l'autre. Les premiers courriers chargent WeasyPrint, les polices et les gabarits "
        "(d'où l'écart entre la mémoire avant le premier courrier et après 100).",
        "",
    ]
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--letters", type=int, default=1000)
    parser.add_argument("--session", type=int, default=500, help="dossiers par session")
    parser.add_argument("--every", type=int, default=100,
                        help="lire la mémoire du worker tous les N courriers")
    parser.add_argument("--check", action="store_true",
                        help=f"code de sortie 1 si la mémoire croît de {BUDGET_MIB} Mio ou "
                             "plus, ou si un courriel manque ou arrive deux fois")
    args = parser.parse_args(argv)
    results = run(letters=args.letters, session_size=args.session, every=args.every)
    processes.report(results, args.check)


if __name__ == "__main__":
    main()
