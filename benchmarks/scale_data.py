"""Cnam-scale data for the load benchmark, written straight into PostgreSQL.

At ``scale=1``: 30 centres, 100,000 auditeurs (account, completed profile, validated
UEs for half of them), 150,000 dossiers over every state, 600,000 pièces each with one
file (600,000 ``PieceFile`` rows), 1,000,000 events, 200 jury sessions with the
decisions and courriers of their decided dossiers; a gestionnaire per centre, agents
DNF and jury members. Session 1 (upcoming) holds exactly 100 dossiers for the jury
member's page; session 2 (past, closed) exactly 500 decided dossiers whose courriers
are programmed, for the courriers' benchmark. Other scales multiply every count.

Why it is built this way:

- rows go in through PostgreSQL's ``COPY`` (psycopg 3) with ids computed here, a
  hundred times faster than ``save()`` and several times faster than ``bulk_create``;
  the identity sequences are moved past them at the end;
- a seeded :class:`random.Random` and a fixed reference day (:data:`TODAY`) make
  everything — names, states, dates, codes — the same for the same seed;
- every account shares ONE password hash, computed once with a fixed salt
  (hashing 100,000 passwords would take hours, and a random salt would break the
  determinism);
- ``PieceFile.storage_key`` is unique, yet every file is the same small real PDF:
  each key is ``bench/<n>/../piece.pdf``, which the file system storage
  resolves (lexically) to the one ``bench/piece.pdf`` written in storage.
"""

import datetime
import hashlib
import json
import random
from dataclasses import dataclass
from enum import Enum

from django.contrib.auth.hashers import make_password
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, transaction

from auditeurs import demo
from auditeurs.models import AuditeurProfile, Centre, Role, User, ValidatedUE
from dossiers.models import (
    UE,
    Diplome,
    Dossier,
    Event,
    Kind,
    Piece,
    PieceFile,
    PieceStatus,
    PieceType,
    Signature,
    State,
)
from jury.models import Courrier, Decision, JurySession

S = State

# The password of every generated account (the log-in scenario posts it).
PASSWORD = "bench-d3-2026"
# The TOTP secret of every generated staff account (base32).
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
# A fixed salt keeps the hash — hence the data — the same from one run to the next.
_SALT = "d3benchsalt2026"
# The day the data describes: dates are spread over the three years before it.
TODAY = datetime.date(2026, 11, 2)
_NOON = datetime.time(12, tzinfo=datetime.UTC)

SIZES = {
    "centres": 30,
    "auditeurs": 100_000,
    "dossiers": 150_000,
    "pieces_per_dossier": 4,
    "events": 1_000_000,
    "sessions": 200,
    "upcoming_sessions": 50,
    "jury_members": 40,
    "agents_dnf": 5,
    # The two sessions the scenarios open.
    "jury_page_session": 100,
    "courriers_session": 500,
}

# Share of the dossiers in each state (sums to 100).
STATE_WEIGHTS = {
    S.BROUILLON: 10,
    S.DEPOSE: 8,
    S.EN_CONTROLE: 6,
    S.A_COMPLETER: 6,
    S.IRRECEVABLE: 4,
    S.TRANSMIS_DNF: 10,
    S.INSCRIT_JURY: 6,
    S.DECISION_RENDUE: 5,
    S.COURRIER_ENVOYE: 40,
    S.RETIRE: 5,
}

# The transitions that lead to each state, in order (after "created").
_PATHS = {
    S.BROUILLON: [],
    S.DEPOSE: [("sign", S.BROUILLON, S.DEPOSE)],
    S.EN_CONTROLE: [("sign", S.BROUILLON, S.DEPOSE), ("take", S.DEPOSE, S.EN_CONTROLE)],
}
_PATHS[S.A_COMPLETER] = _PATHS[S.EN_CONTROLE] + [
    ("ask_corrections", S.EN_CONTROLE, S.A_COMPLETER)]
_PATHS[S.IRRECEVABLE] = _PATHS[S.EN_CONTROLE] + [
    ("declare_inadmissible", S.EN_CONTROLE, S.IRRECEVABLE)]
_PATHS[S.TRANSMIS_DNF] = _PATHS[S.EN_CONTROLE] + [
    ("declare_complete", S.EN_CONTROLE, S.TRANSMIS_DNF)]
_PATHS[S.INSCRIT_JURY] = _PATHS[S.TRANSMIS_DNF] + [
    ("add_to_session", S.TRANSMIS_DNF, S.INSCRIT_JURY)]
_PATHS[S.DECISION_RENDUE] = _PATHS[S.INSCRIT_JURY] + [
    ("record_decision", S.INSCRIT_JURY, S.DECISION_RENDUE)]
_PATHS[S.COURRIER_ENVOYE] = _PATHS[S.DECISION_RENDUE] + [
    ("send_letter", S.DECISION_RENDUE, S.COURRIER_ENVOYE)]
_PATHS[S.RETIRE] = [("sign", S.BROUILLON, S.DEPOSE), ("withdraw", S.DEPOSE, S.RETIRE)]

FIRST_NAMES = [
    "Camille", "Jeanne", "Louis", "Léa", "Hugo", "Chloé", "Lucas", "Manon", "Nathan",
    "Inès", "Thomas", "Sarah", "Julien", "Emma", "Karim", "Amina", "Pierre", "Sophie",
    "Mamadou", "Claire", "Antoine", "Julie", "Mehdi", "Laura", "Nicolas", "Fatou",
    "Olivier", "Marie", "Yann", "Céline",
]
LAST_NAMES = [
    "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand",
    "Leroy", "Moreau", "Simon", "Laurent", "Lefèvre", "Michel", "Garcia", "David",
    "Bertrand", "Roux", "Vincent", "Fournier", "Morel", "Girard", "André", "Mercier",
    "Dupont", "Lambert", "Bonnet", "François", "Martinez", "Nguyen", "Diallo", "Benali",
    "Rousseau", "Blanc", "Guérin", "Muller", "Henry", "Roussel", "Nicolas", "Perrin",
]
CITIES = [("75011", "Paris"), ("69003", "Lyon"), ("44000", "Nantes"), ("59000", "Lille"),
          ("33000", "Bordeaux"), ("13001", "Marseille"), ("31000", "Toulouse"),
          ("67000", "Strasbourg"), ("35000", "Rennes"), ("34000", "Montpellier")]

# A one-page PDF, small and real: every pièce file of the generated data is this one.
SHARED_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)
SHARED_KEY = "bench/piece.pdf"


class ScaleDataError(Exception):
    """The data cannot be generated here (SQLite, or a database already in use)."""


def _ascii(text):
    import unicodedata

    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


def sizes(scale):
    """Every count at ``scale``; at least one of each so that a tiny run covers all."""
    result = {}
    for name, full in SIZES.items():
        if name == "pieces_per_dossier":
            result[name] = full
        else:
            result[name] = max(1, round(full * scale))
    result["centres"] = min(max(result["centres"], 3), 30)
    result["sessions"] = max(result["sessions"], 4)
    result["upcoming_sessions"] = min(max(result["upcoming_sessions"], 2),
                                      result["sessions"] - 2)
    return result


@dataclass
class Summary:
    counts: dict
    seconds: float


def _check_database(reset):
    if connection.vendor != "postgresql":
        raise ScaleDataError(
            "Les données de charge s'écrivent par COPY dans PostgreSQL : "
            "DATABASE_URL doit désigner une base PostgreSQL (SQLite refusé)."
        )
    if not reset and (User.objects.exists() or Dossier.objects.exists()):
        raise ScaleDataError(
            "La base contient déjà des comptes ou des dossiers : relancez avec --reset "
            "pour tout effacer et régénérer."
        )


def _truncate_all():
    """Empties every table of the project (not migrations, content types, permissions),
    and restarts the ids so that the same seed gives the same rows."""
    keep = {"django_migrations", "django_content_type", "auth_permission"}
    tables = [name for name in connection.introspection.django_table_names(only_existing=True)
              if name not in keep]
    with connection.cursor() as cursor:
        # Foreign keys are checked at commit; rows written earlier in this transaction
        # (a test) must be checked first, or PostgreSQL refuses to truncate.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        quoted = ", ".join(connection.ops.quote_name(name) for name in tables)
        cursor.execute(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def _copy(model, columns, rows):
    """COPY ``rows`` (tuples in the order of ``columns``) into ``model``'s table."""
    table = connection.ops.quote_name(model._meta.db_table)
    # Columns added to the model since this was written get their model default ("" for
    # text), so that a new NOT NULL field does not break the generation.
    defaults = []
    for field in model._meta.concrete_fields:
        if field.column not in columns and (field.has_default() or not field.null):
            value = field.get_default()
            defaults.append((field.column, json.dumps(value)
                             if isinstance(value, (dict, list)) else value))
    columns = [*columns, *(column for column, _ in defaults)]
    extra = [value for _, value in defaults]
    names = ", ".join(connection.ops.quote_name(column) for column in columns)
    count = 0
    with connection.cursor() as cursor, cursor.copy(
        f"COPY {table} ({names}) FROM STDIN"
    ) as copy:
        for row in rows:
            # Choices (enums) go in as their value, whatever psycopg makes of an Enum.
            copy.write_row([value.value if isinstance(value, Enum) else value
                            for value in (*row, *extra)])
            count += 1
    return count


def _move_sequences(models):
    with connection.cursor() as cursor:
        for model in models:
            table = model._meta.db_table
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence(%s, 'id'), "
                f"GREATEST((SELECT MAX(id) FROM {connection.ops.quote_name(table)}), 1))",
                [table],
            )


def _moment(rng, days_back_min, days_back_max):
    """A datetime between ``days_back_max`` and ``days_back_min`` days before TODAY."""
    day = TODAY - datetime.timedelta(days=rng.randint(days_back_min, days_back_max))
    return datetime.datetime.combine(day, _NOON) + datetime.timedelta(
        seconds=rng.randint(-4 * 3600, 5 * 3600))


def _verification_code(rng):
    alphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
    return "".join(rng.choice(alphabet) for _ in range(16))


def generate(*, scale=1.0, seed=2026, reset=False, log=print):
    """Fill the (empty, or ``reset``) PostgreSQL database; returns a :class:`Summary`."""
    import time

    started = time.monotonic()
    _check_database(reset)
    rng = random.Random(seed)
    n = sizes(scale)
    with transaction.atomic():
        _truncate_all()
        demo.load_catalogue()
        demo.load_piece_types()
        counts = _generate(rng, n, log)
        _move_sequences([Centre, User, AuditeurProfile, ValidatedUE, Dossier, Piece,
                         PieceFile, Signature, Event, JurySession, Decision, Courrier])
        with connection.cursor() as cursor:
            # Every foreign key checked now rather than at commit (a test never commits).
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    if not default_storage.exists(SHARED_KEY):
        default_storage.save(SHARED_KEY, ContentFile(SHARED_PDF))
    if not connection.in_atomic_block:  # a test's transaction cannot VACUUM
        with connection.cursor() as cursor:
            # Statistics for the planner, and the visibility map that index-only scans
            # need: what autovacuum gives a database that has lived a while.
            cursor.execute("VACUUM ANALYZE")
    return Summary(counts=counts, seconds=time.monotonic() - started)


def _generate(rng, n, log):  # noqa: C901 — one pass per table, in dependency order
    counts = {}
    password = make_password(PASSWORD, salt=_SALT)
    joined = datetime.datetime.combine(TODAY - datetime.timedelta(days=4 * 365), _NOON)

    # --- Centres ------------------------------------------------------------------
    centres = [(1, "PAR", "Cnam Paris", "scolarite.paris@cnam-bench.example")] + [
        (i, f"C{i:02d}", f"Cnam centre régional {i:02d}", f"scolarite.c{i:02d}@cnam-bench.example")
        for i in range(2, n["centres"] + 1)
    ]
    counts["centres"] = _copy(Centre, ["id", "code", "name", "service_email"], centres)
    centre_ids = [row[0] for row in centres]

    # --- Accounts -----------------------------------------------------------------
    user_columns = ["id", "password", "last_login", "is_superuser", "username", "first_name",
                    "last_name", "email", "is_staff", "is_active", "date_joined", "role"]
    users, staff = [], {"gestionnaires": [], "agents_dnf": [], "jury": []}
    next_id = 1

    def account(username, first, last, role):
        nonlocal next_id
        row = (next_id, password, None, False, username, first, last,
               f"{username}@cnam-bench.example", False, True, joined, role)
        users.append(row)
        next_id += 1
        return row[0]

    for index, centre_id in enumerate(centre_ids, start=1):
        staff["gestionnaires"].append(
            (account(f"gestionnaire.centre{index}", "Gestionnaire", f"Centre {index}",
                     Role.GESTIONNAIRE), centre_id))
    for index in range(1, n["agents_dnf"] + 1):
        staff["agents_dnf"].append(account(f"agent.dnf{index}", "Agent", f"DNF {index}",
                                           Role.AGENT_DNF))
    for index in range(1, n["jury_members"] + 1):
        staff["jury"].append(account(f"membre.jury{index}", rng.choice(FIRST_NAMES),
                                     rng.choice(LAST_NAMES), Role.MEMBRE_JURY))
    auditeurs = []  # (user id, centre id, profile completed)
    for index in range(1, n["auditeurs"] + 1):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        username = f"{_ascii(first)}.{_ascii(last).replace(' ', '-')}{index}.auditeur"
        user_id = account(username, first, last, Role.AUDITEUR)
        auditeurs.append((user_id, rng.choice(centre_ids), first, last))
    counts["users"] = _copy(User, user_columns, users)
    # Staff pass the second factor's middleware as in production: each has a TOTP
    # authenticator (the bench's sessions are then marked as having it, at log-in).
    from allauth.mfa.models import Authenticator
    from allauth.mfa.utils import encrypt

    secret = encrypt(TOTP_SECRET)
    staff_ids = [user_id for user_id, _ in staff["gestionnaires"]] + staff["agents_dnf"] \
        + staff["jury"]
    Authenticator.objects.bulk_create(
        Authenticator(user_id=user_id, type=Authenticator.Type.TOTP, data={"secret": secret})
        for user_id in staff_ids)
    _copy(User.centres.through, ["id", "user_id", "centre_id"],
          ((i, user_id, centre_id)
           for i, (user_id, centre_id) in enumerate(staff["gestionnaires"], start=1)))
    log(f"  comptes : {counts['users']}")

    # --- Profiles and validated UEs -------------------------------------------------
    profiles = []
    for index, (user_id, centre_id, first, last) in enumerate(auditeurs, start=1):
        postal_code, city = CITIES[index % len(CITIES)]
        # One auditeur in fifty has not completed the profile yet (first log-in).
        completed = None if index % 50 == 0 else _moment(rng, 30, 1400)
        profiles.append((
            index, user_id, f"A{index:07d}", centre_id, "mme" if index % 2 else "m",
            last, "", first, datetime.date(1970 + index % 35, 1 + index % 12, 1 + index % 28),
            CITIES[(index * 7) % len(CITIES)][1], "française", f"{1 + index % 120} rue de la Paix",
            "", postal_code, city, "France", "", completed,
        ))
    counts["profiles"] = _copy(AuditeurProfile, [
        "id", "user_id", "auditeur_number", "centre_id", "civilite", "birth_name",
        "usage_name", "first_names", "birth_date", "birth_place", "nationality",
        "address_line1", "address_line2", "postal_code", "city", "country", "phone",
        "completed_at",
    ], profiles)
    ue_ids = list(UE.objects.order_by("pk").values_list("pk", flat=True))
    validated = []
    for user_id, centre_id, _, _ in auditeurs[::2]:
        for ue_id in rng.sample(ue_ids, min(3, len(ue_ids))):
            validated.append((len(validated) + 1, user_id, ue_id,
                              TODAY - datetime.timedelta(days=rng.randint(200, 2000)),
                              centre_id, f"{rng.randint(10, 19)}.{rng.randint(0, 99):02d}"))
    counts["validated_ues"] = _copy(
        ValidatedUE, ["id", "auditeur_id", "ue_id", "validated_on", "centre_id", "grade"],
        validated)

    # --- Jury sessions --------------------------------------------------------------
    diplome_ids = list(Diplome.objects.order_by("pk").values_list("pk", flat=True))
    dnf_id = staff["agents_dnf"][0]
    upcoming = n["upcoming_sessions"]
    past = n["sessions"] - upcoming
    sessions = []  # (id, date, closed)
    for index in range(1, n["sessions"] + 1):
        if index == 1 or 2 < index <= upcoming + 1:  # session 1 and the other upcoming ones
            date = TODAY + datetime.timedelta(days=7 * (1 + index % 40))
        else:
            # Session 2 (the courriers' one) and a tenth of the past ones were held within
            # the month: their courriers are still programmed.
            recent = index == 2 or index % 10 == 0
            date = TODAY - datetime.timedelta(
                days=rng.randint(3, 25) if recent else rng.randint(40, 1000))
        sessions.append((index, date, date < TODAY))
    session_rows = []
    for index, date, closed in sessions:
        president = staff["jury"][index % len(staff["jury"])]
        closed_at = datetime.datetime.combine(date, _NOON) if closed else None
        session_rows.append((index, date, f"Cnam Paris, salle {100 + index % 30}", president,
                             closed_at or joined, dnf_id, closed_at,
                             dnf_id if closed else None))
    _copy(JurySession, ["id", "date", "place", "president_id", "created_at", "created_by_id",
                        "closed_at", "closed_by_id"], session_rows)
    members = []
    for index, _, _ in sessions:
        for offset in (1, 2, 3):
            member = staff["jury"][(index + offset) % len(staff["jury"])]
            if member != staff["jury"][index % len(staff["jury"])]:
                members.append((len(members) + 1, index, member))
    _copy(JurySession.members.through, ["id", "jurysession_id", "user_id"], members)
    _copy(JurySession.diplomes.through, ["id", "jurysession_id", "diplome_id"],
          ((i, s, diplome_ids[(s + k) % len(diplome_ids)])
           for i, (s, k) in enumerate(((s, k) for s, _, _ in sessions for k in range(2)),
                                      start=1)))
    counts["sessions"] = len(sessions)
    session_dates = {index: date for index, date, _ in sessions}
    upcoming_ids = [index for index, _, closed in sessions if not closed]
    recent_ids = [index for index, date, closed in sessions
                  if closed and (TODAY - date).days <= 30]
    old_ids = [index for index, date, closed in sessions if closed and (TODAY - date).days > 30]
    if not old_ids:  # tiny scales: a courrier sent needs a session held over a month ago
        old_ids = recent_ids

    # --- Dossiers ---------------------------------------------------------------------
    total = n["dossiers"]
    states = []
    for state, weight in STATE_WEIGHTS.items():
        states += [state] * round(total * weight / 100)
    states = (states + [S.COURRIER_ENVOYE] * total)[:total]
    # Every state present even at tiny scales.
    for position, state in enumerate(STATE_WEIGHTS):
        if state not in states:
            states[position] = state
    rng.shuffle(states)
    # Fill the two scenario sessions exactly; the other dossiers go round the others.
    jury_quota = {1: n["jury_page_session"]}
    courriers_quota = {2: n["courriers_session"]}
    needed = {S.INSCRIT_JURY: jury_quota[1], S.DECISION_RENDUE: courriers_quota[2]}
    for state, count in needed.items():
        missing = count - states.count(state)
        for position in range(len(states)):
            if missing <= 0:
                break
            if states[position] == S.COURRIER_ENVOYE:
                states[position] = state
                missing -= 1
    other_upcoming = [i for i in upcoming_ids if i != 1] or [1]
    other_recent = ([i for i in recent_ids if i != 2]
                    or [i for i in old_ids if i != 2] or [2])
    placed = {1: 0, 2: 0}
    kinds = [Kind.DD_AEP, Kind.DD, Kind.AEP_ANTICIPEE]
    gestionnaire_of = {centre_id: user_id for user_id, centre_id in staff["gestionnaires"]}
    dossier_rows, dossiers = [], []
    for index, state in enumerate(states, start=1):
        # The first auditeurs have two dossiers, the others one.
        user_id, centre_id, _, _ = auditeurs[(index - 1) % len(auditeurs)]
        created = _moment(rng, 20, 1200)
        path = _PATHS[state]
        changed = created + datetime.timedelta(days=len(path) * rng.randint(1, 9))
        session_id = None
        if state == S.INSCRIT_JURY:
            if placed[1] < jury_quota[1]:
                session_id, placed[1] = 1, placed[1] + 1
            else:
                session_id = other_upcoming[index % len(other_upcoming)]
        elif state == S.DECISION_RENDUE:
            if placed[2] < courriers_quota[2]:
                session_id, placed[2] = 2, placed[2] + 1
            else:
                session_id = other_recent[index % len(other_recent)]
        elif state == S.COURRIER_ENVOYE:
            session_id = old_ids[index % len(old_ids)]
        if session_id is not None:
            # Sessions decide the dossiers they hold; dates follow the session.
            changed = datetime.datetime.combine(session_dates[session_id], _NOON)
            created = min(created, changed - datetime.timedelta(days=60))
        transmitted = (created + datetime.timedelta(days=20)
                       if state in S.from_dnf() else None)
        owner = gestionnaire_of[centre_id] if state not in (
            S.BROUILLON, S.DEPOSE, S.RETIRE) else None
        kind = kinds[index % 3]
        aep_outcome = ""
        if state in (S.DECISION_RENDUE, S.COURRIER_ENVOYE) and kind != Kind.DD:
            aep_outcome = ["validee", "validee_sous_reserve", "non_validee"][index % 3]
        correction_round = 1 if state == S.DEPOSE and index % 4 == 0 else (
            1 if state == S.A_COMPLETER else 0)
        corrections_due = (changed.date() + datetime.timedelta(days=30)
                           if state == S.A_COMPLETER else None)
        diplome_id = diplome_ids[index % len(diplome_ids)]
        dossier_rows.append((
            index, user_id, centre_id, diplome_id, kind, state, "Baccalauréat", 2005 + index % 15,
            "Lycée Condorcet", owner, correction_round, corrections_due, session_id,
            transmitted, aep_outcome, created, changed, changed,
        ))
        dossiers.append((index, user_id, state, kind, created, changed, session_id, owner))
    counts["dossiers"] = _copy(Dossier, [
        "id", "auditeur_id", "centre_id", "diplome_id", "kind", "state", "prerequisite_title",
        "prerequisite_year", "prerequisite_institution", "owner_id", "correction_round",
        "corrections_due", "jury_session_id", "transmitted_at", "aep_outcome", "created_at",
        "updated_at", "state_changed_at",
    ], dossier_rows)
    del dossier_rows
    log(f"  dossiers : {counts['dossiers']}")

    # --- Pièces and their files, signatures --------------------------------------------
    piece_types = list(PieceType.objects.order_by("position", "pk").values_list("pk", "code"))
    per_dossier = n["pieces_per_dossier"]

    def piece_rows():
        piece_id = 0
        for dossier_id, _, state, _, _, _, _, _ in dossiers:
            for type_id, _ in piece_types[:per_dossier]:
                piece_id += 1
                if state == S.A_COMPLETER and piece_id % per_dossier == 0:
                    status = PieceStatus.ERRONEE
                elif state in (S.BROUILLON, S.DEPOSE, S.EN_CONTROLE, S.RETIRE):
                    status = PieceStatus.DEPOSEE
                else:
                    status = PieceStatus.CONFORME
                yield (piece_id, dossier_id, type_id, status,
                       "Document illisible, merci de le déposer à nouveau."
                       if status == PieceStatus.ERRONEE else "")

    counts["pieces"] = _copy(Piece, ["id", "dossier_id", "piece_type_id", "status", "comment"],
                             piece_rows())
    sha = hashlib.sha256(SHARED_PDF).hexdigest()

    def file_rows():
        piece_id = 0
        for _, user_id, _, _, created, _, _, _ in dossiers:
            for _ in range(per_dossier):
                piece_id += 1
                yield (piece_id, piece_id, f"bench/{piece_id}/../piece.pdf",
                       f"piece-{piece_id}.pdf", "application/pdf", len(SHARED_PDF), sha,
                       created + datetime.timedelta(hours=1), user_id, None)

    counts["piece_files"] = _copy(PieceFile, [
        "id", "piece_id", "storage_key", "original_name", "content_type", "size", "sha256",
        "uploaded_at", "uploaded_by_id", "replaced_at",
    ], file_rows())
    log(f"  pièces : {counts['pieces']}, fichiers : {counts['piece_files']}")

    def signature_rows():
        signature_id = 0
        for dossier_id, user_id, state, _, created, _, _, _ in dossiers:
            if state == S.BROUILLON:
                continue
            signature_id += 1
            yield (signature_id, dossier_id, user_id, created + datetime.timedelta(days=1),
                   "127.0.0.1", "Mozilla/5.0 (banc d'essai)",
                   hashlib.sha256(str(dossier_id).encode()).hexdigest(), "")

    counts["signatures"] = _copy(Signature, [
        "id", "dossier_id", "signed_by_id", "signed_at", "ip_address", "user_agent", "digest",
        "recapitulatif_key",
    ], signature_rows())

    # --- Events: the path of each dossier, then verdicts and notes up to the total -----
    target = n["events"]
    paths_total = sum(1 + len(_PATHS[state]) for _, _, state, *_ in dossiers)
    extra_per_dossier, extra_rest = divmod(max(target - paths_total, 0), len(dossiers))
    empty = json.dumps({})

    def event_rows():
        event_id = 0
        for position, (dossier_id, user_id, state, _, created, changed, _, owner) in enumerate(
                dossiers):
            steps = _PATHS[state]
            event_id += 1
            yield (event_id, dossier_id, user_id, created, "created", "", S.BROUILLON, "",
                   True, empty)
            span = max((changed - created).total_seconds(), 60)
            for step, (action, from_state, to_state) in enumerate(steps, start=1):
                event_id += 1
                actor = user_id if action in ("sign", "withdraw") else (owner or user_id)
                moment = created + datetime.timedelta(seconds=span * step / len(steps))
                yield (event_id, dossier_id, actor, moment, action, from_state, to_state, "",
                       True, empty)
            # Older dossiers in the centre's hands get verdicts and notes.
            extra = extra_per_dossier + (1 if position < extra_rest else 0)
            for k in range(extra):
                event_id += 1
                moment = created + datetime.timedelta(seconds=span * (k + 1) / (extra + 1))
                if k % 3 == 2:
                    yield (event_id, dossier_id, owner or user_id, moment, "note", "", "",
                           "Appel de l'auditeur : pièce à venir.", False, empty)
                else:
                    yield (event_id, dossier_id, owner or user_id, moment, "piece_verdict",
                           "", "", "", True,
                           json.dumps({"status": "conforme", "piece": "Pièce d'identité"}))

    counts["events"] = _copy(Event, [
        "id", "dossier_id", "actor_id", "created_at", "action", "from_state", "to_state",
        "comment", "visible_to_auditeur", "data",
    ], event_rows())
    log(f"  événements : {counts['events']}")

    # --- Decisions and courriers ---------------------------------------------------------
    decisions, courriers = [], []
    for dossier_id, _, state, kind, _, changed, session_id, _ in dossiers:
        decided = state in (S.DECISION_RENDUE, S.COURRIER_ENVOYE) or (
            state == S.INSCRIT_JURY and dossier_id % 5 == 0)  # being decided on the day
        if not decided:
            continue
        variant = dossier_id % 4
        president = staff["jury"][session_id % len(staff["jury"])]
        decisions.append((
            len(decisions) + 1, dossier_id, session_id, variant != 2,
            ["validee", "validee_sous_reserve", "non_validee", "validee"][variant]
            if kind != Kind.DD else "",
            6 if variant == 1 and kind != Kind.DD else None,
            ["delivre", "ajourne", "refuse", "ajourne"][variant] if kind != Kind.AEP_ANTICIPEE
            else "",
            "" if variant == 0 else "L'expérience déclarée ne couvre pas la durée exigée.",
            president, changed, 1,
        ))
        if state == S.INSCRIT_JURY:
            continue
        due = session_dates[session_id] + datetime.timedelta(days=30)
        sent = state == S.COURRIER_ENVOYE
        sent_at = datetime.datetime.combine(due, _NOON) if sent else None
        courriers.append((
            len(courriers) + 1, dossier_id, session_id, due, "envoye" if sent else "programme",
            _verification_code(rng), f"courriers/bench-{dossier_id}.pdf" if sent else "",
            sent_at, sent_at, "",
        ))
    counts["decisions"] = _copy(Decision, [
        "id", "dossier_id", "session_id", "cursus_valide", "aep_outcome", "stage_months",
        "dd_outcome", "motive", "recorded_by_id", "recorded_at", "version",
    ], decisions)
    counts["courriers"] = _copy(Courrier, [
        "id", "dossier_id", "session_id", "due_on", "status", "verification_code",
        "storage_key", "rendered_at", "sent_at", "last_error",
    ], courriers)
    log(f"  décisions : {counts['decisions']}, courriers : {counts['courriers']}")
    return counts


def fingerprint():
    """A digest of the generated rows (their ids and contents), to compare two runs."""
    digest = hashlib.sha256()
    queries = [
        "SELECT id, username, first_name, last_name, role, password FROM auditeurs_user",
        "SELECT id, user_id, auditeur_number, centre_id, completed_at FROM "
        "auditeurs_auditeurprofile",
        "SELECT id, auditeur_id, centre_id, diplome_id, kind, state, jury_session_id, "
        "created_at, state_changed_at FROM dossiers_dossier",
        "SELECT id, dossier_id, action, created_at FROM dossiers_event",
        "SELECT id, piece_id, storage_key FROM dossiers_piecefile",
        "SELECT id, dossier_id, session_id, dd_outcome, aep_outcome FROM jury_decision",
        "SELECT id, dossier_id, verification_code, status, due_on FROM jury_courrier",
    ]
    with connection.cursor() as cursor:
        for query in queries:
            cursor.execute(query + " ORDER BY id")
            for row in cursor.fetchall():
                digest.update(repr(row).encode())
    return digest.hexdigest()
