"""Runs D3's benchmarks by name and writes their figures into docs/benchmarks.md.

    .venv/bin/python benchmarks/run.py                 every part, in order
    .venv/bin/python benchmarks/run.py load courriers  the parts named

Each part is a function returning the Markdown of its section. In
``docs/benchmarks.md`` a section lies between ``<!-- bench:NAME -->`` and
``<!-- /bench:NAME -->``: a run replaces the sections of the parts it ran and keeps
every other one (figures measured another day, text written by hand), so that parts
can be run one at a time. A section not in the file yet is added at its end.

To add a part: write a function ``part(args) -> str`` and put it in :data:`PARTS`.
The memory and job parts (``upload``, ``courriers_worker``, ``courriels``) run their
script in a process of its own, on the database ``BENCH_JOBS_DATABASE_URL``
(``benchmarks/processes.py``), which they empty first.
"""

import argparse
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DOC = ROOT / "docs" / "benchmarks.md"


def load_part(args):
    from benchmarks import load

    results = load.run(duration=args.duration, workers=args.workers)
    return load.markdown(results)


def courriers_part(args):
    """The courriers' benchmark (benchmarks/courriers.py), its output kept as printed."""
    started = time.monotonic()
    completed = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "courriers.py"), "--dossiers", "500"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    )
    return (
        "### Courriers : dernière exécution par `make bench`\n\n"
        f"`benchmarks/courriers.py --dossiers 500` ({time.monotonic() - started:.0f} s) :\n\n"
        "```\n" + completed.stdout.strip() + "\n```\n"
    )


def _script_part(module_name, script):
    """A part run as its own process (it sets Django up on its own database), its
    figures read from the JSON line it prints, its section made by its ``markdown``."""

    def part(args):
        import importlib

        from benchmarks import processes

        return importlib.import_module(f"benchmarks.{module_name}").markdown(
            processes.run_script(script))

    return part


# name -> (function, what it measures). Order: the order of a full run.
PARTS = {
    "load": (load_part, "pages sous 8 sessions simultanées, contre une page de référence"),
    "courriers": (courriers_part, "rendu des courriers d'une session de 500 dossiers"),
    "upload": (_script_part("upload_memory", "upload_memory.py"),
               "mémoire du serveur web pendant des dépôts de 10 Mo"),
    "courriers_worker": (_script_part("courriers_scale", "courriers_scale.py"),
                         "courriers de sessions de 500 dossiers par un worker Celery, "
                         "sa mémoire sur 1 000 courriers"),
    "courriels": (_script_part("courriels_throughput", "courriels_throughput.py"),
                  "1 000 courriels envoyés par deux workers"),
}


def replace_section(text, name, body):
    """``text`` with the section ``name`` holding ``body`` (added at the end if absent)."""
    start, end = f"<!-- bench:{name} -->", f"<!-- /bench:{name} -->"
    block = f"{start}\n{body.rstrip()}\n{end}"
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), re.DOTALL)
    if pattern.search(text):
        return pattern.sub(lambda _: block, text, count=1)
    return text.rstrip() + "\n\n" + block + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("parts", nargs="*", help=f"parmi : {', '.join(PARTS)} (toutes par "
                        "défaut)")
    parser.add_argument("--duration", type=int, default=20,
                        help="secondes de mesure par scénario de charge (défaut 20)")
    parser.add_argument("--workers", type=int, default=5,
                        help="processus gunicorn (défaut 5, soit 2 × cœurs + 1)")
    args = parser.parse_args(argv)
    unknown = [name for name in args.parts if name not in PARTS]
    if unknown:
        parser.error(f"partie inconnue : {', '.join(unknown)} (connues : {', '.join(PARTS)})")
    for name in args.parts or list(PARTS):
        function, label = PARTS[name]
        print(f"[{name}] {label}…", flush=True)
        started = time.monotonic()
        body = function(args)
        text = DOC.read_text() if DOC.exists() else "# Mesures de performance\n"
        DOC.write_text(replace_section(text, name, body))
        print(f"[{name}] terminé en {time.monotonic() - started:.0f} s ; "
              f"{DOC.relative_to(ROOT)} mis à jour", flush=True)


if __name__ == "__main__":
    main()
