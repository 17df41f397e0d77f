"""Generated input on every POST endpoint of the project, as its legitimate user.

For each endpoint of ``ENDPOINTS``, hypothesis posts dictionaries of the form's fields
and a few others: each field missing or present, holding a plausible value or an odd
one (unicode, control characters, NUL, strings of up to 20 000 characters, huge or
negative numbers, dates in every format, lists where one value is expected, files of
random bytes). Whatever is posted:

- never a server error (the test client raises it) and never a status other than
  200, 302, 400 (and those the endpoint names: 204 of the preview, 429 of the limits);
- no English message of Django's reaches the page;
- a refusal — no success message, or what the endpoint calls success not met — says
  why (a message, or the form again with its errors) and leaves every row as it was
  (:func:`tests.security.helpers.fingerprint`);
- a page that only computes (simulator, verification, preview, attestation) saves
  nothing, ever.

``test_every_post_endpoint_is_fuzzed`` fails on a URL that is neither here nor in
``READ_ONLY`` (pages that only read: a POST to them changes nothing, tested too).
"""

import datetime
import os
from dataclasses import dataclass
from typing import Callable

import pytest
from django.contrib.messages import constants, get_messages
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from dossiers.models import Piece, PieceStatus
from jury.models import JurySession
from tests.dossiers import files
from tests.dossiers.factories import DossierFactory
from tests.factories import PASSWORD, DiplomeFactory, UEFactory
from tests.jury.factories import CourrierFactory, TransmittedDossierFactory
from tests.security import test_url_sweep as sweep
from tests.security.helpers import fingerprint, read_to_the_end, url_patterns

# A few examples on each run keep the suite fast; D3_FUZZ_EXAMPLES=200 for a long hunt.
MAX_EXAMPLES = int(os.environ.get("D3_FUZZ_EXAMPLES", "5"))

# Django's own English messages: none may reach a page (LANGUAGE_CODE is "fr").
ENGLISH = ("This field is required", "Enter a valid", "Ensure this value",
           "Select a valid choice", "Null characters are not allowed",
           "Enter a whole number", "Enter a number", "The submitted file is empty",
           "No file was submitted", "ManagementForm data is missing")
# What shows a form again with its errors, on D3's pages and on the admin's.
ERROR_MARKS = ('role="alert"', 'class="errorlist', 'class="errornote"')

# --- Odd values ---------------------------------------------------------------------------

ODD = ["", " ", "\x00", "\x00abc", "\r\n", "null", "None", "true", "on", "0", "-1", "1e309",
       "NaN", "inf", "2015-02-30", "31/12/2015", "12/31/2015", "2015-13-01", "0000-00-00",
       "9999-12-31", "10000-01-01", "+33 6 12", "<script>alert(1)</script>",
       "' OR 1=1 --", "../../etc/passwd", "\u202e\u0635\u0644", "\ufeff", "😀", "a\u0301",
       "x" * 300, "9" * 40]


def _date_texts(day):
    return st.sampled_from([day.isoformat(), day.strftime("%d/%m/%Y"),
                            f"{day.day}.{day.month}.{day.year}", day.strftime("%Y%m%d"),
                            f"{day.isoformat()}T25:61:00"])


scalars = st.one_of(
    st.text(max_size=40),
    st.sampled_from(ODD),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.floats().map(str),
    st.dates(min_value=datetime.date(1, 1, 1)).flatmap(_date_texts),
    st.builds(lambda char, size: char * size,
              st.sampled_from(["a", "é", "\x00", "😀", ";", "\u0301"]),
              st.integers(min_value=1_000, max_value=20_000)),
)
values = st.one_of(scalars, st.lists(scalars, min_size=2, max_size=3))

_names = st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=60)
uploads = st.one_of(
    st.builds(lambda: files.upload(files.pdf_bytes(), "piece.pdf")),
    values,
    st.builds(
        lambda name, content, content_type: SimpleUploadedFile(name or "_", content,
                                                               content_type),
        st.one_of(_names, _names.map(lambda n: n + ".pdf")),
        st.one_of(st.binary(max_size=2_000), st.just(files.pdf_bytes()),
                  st.just(files.png_bytes()), st.just(files.garbage_pdf_bytes()),
                  st.just(files.encrypted_pdf_bytes()), st.just(b"")),
        st.sampled_from(["application/pdf", "image/png", "text/html", "", "x/y"]),
    ),
)


def _csv(header):
    """CSV files: the right header over rows of odd cells, or any bytes at all."""
    row = st.lists(scalars.filter(lambda v: len(v) < 200), min_size=0, max_size=8).map(
        ";".join)
    text = st.lists(row, max_size=4).map(lambda rows: "\n".join([header, *rows]))
    return st.builds(
        lambda content, name: SimpleUploadedFile(name, content, "text/csv"),
        st.one_of(
            text.map(lambda t: t.encode("utf-8", "surrogatepass")),
            text.map(lambda t: t.encode("latin-1", "replace")),
            st.binary(max_size=500),
        ),
        st.sampled_from(["import.csv", "import.txt", "import"]),
    )


def _plausible(plausible):
    if isinstance(plausible, st.SearchStrategy):
        return plausible
    return st.one_of(st.sampled_from(plausible), values)


@st.composite
def _one_or_two_odd(draw, fields):
    """The first plausible value of every field (a valid form), then one or two fields
    replaced by an odd value or left out: odd input that gets past the other checks."""
    data = {}
    for name, plausible in fields.items():
        data[name] = (draw(plausible) if isinstance(plausible, st.SearchStrategy)
                      else plausible[0])
    if not fields:
        return data
    for name in draw(st.lists(st.sampled_from(sorted(fields)), min_size=1, max_size=2)):
        if draw(st.booleans()):
            data[name] = draw(values)
        else:
            data.pop(name, None)
    return data


def payloads(fields):
    """Dictionaries of the form's fields and of a few others: either each field maybe
    missing, plausible or odd; or a valid form with one or two fields made odd.

    ``fields``: name → plausible values, the first making a valid form (or a strategy
    of its own: a file).
    """
    optional = {name: _plausible(plausible) for name, plausible in fields.items()}
    for name in ("state", "owner", "id", "csrfmiddlewaretoken"):
        optional.setdefault(name, values)
    return st.one_of(st.fixed_dictionaries({}, optional=optional), _one_or_two_odd(fields))


# --- Endpoints ----------------------------------------------------------------------------


def no_kwargs(cast):
    return {}


def success_message(response, messages):
    return any(m.level == constants.SUCCESS for m in messages)


@dataclass(frozen=True)
class Endpoint:
    member: str  # who posts (a name of the cast)
    fields: Callable  # (cast, kwargs) → {name: plausible values or a strategy}
    build: Callable = no_kwargs  # (cast) → the URL's arguments
    # Whether the response means the POST was taken (else it is a refusal).
    accepted: Callable = success_message
    # The object is built again for each example: a success uses it up.
    fresh: bool = False
    # Only computes: saves nothing, whatever is posted.
    computes: bool = False
    statuses: tuple = (200, 302, 400)
    # A redirect without a message that changes nothing is a normal answer.
    silent: Callable = None
    # Fewer for a page whose success is slow (a PDF); never more than asked for.
    max_examples: int = MAX_EXAMPLES


def redirected(response, messages):
    return response.status_code == 302


def period_fields(cast, kwargs):
    return {
        "periode-employer": ["Atos", "Indépendant"],
        "periode-position": ["Développeur"],
        "periode-start": ["2015-01-01", "2030-01-01"],
        "periode-end": ["2015-12-31", ""],
        "periode-ongoing": ["", "on"],
        "periode-working_time": ["100", "50", "0", "101"],
        "periode-kind": ["employment", "internship", "volunteering"],
        "periode-in_specialty": ["on"],
        "periode-at_level": ["on"],
        "periode-tasks": ["Développement."],
        "periode-dossier": [cast["other_auditeur"].pk],
        "continuer": ["1"],
    }


def profile_fields(cast, kwargs):
    return {
        "email": ["jeanne.martin@example.org", "pas-une-adresse"],
        "civilite": ["mme", "m", "x"],
        "birth_name": ["Martin"], "usage_name": [""], "first_names": ["Jeanne"],
        "birth_date": ["1990-05-17", "2090-01-01"], "birth_place": ["Lyon"],
        "nationality": ["Française"], "address_line1": ["12 rue de la République"],
        "address_line2": [""], "postal_code": ["69002"], "city": ["Lyon"],
        "country": ["France"], "phone": ["0612345678", "+33 6 12 34 56 78"],
    }


def account_fields(cast, kwargs):
    return {
        "civilite": ["mme", "m"], "first_name": ["Léa"], "last_name": ["Dupont"],
        "email": ["lea.dupont@example.org"],
        "auditeur_number": ["PAR123456", "LYO200001", "PAR100001"],
        "centre": [cast["gestionnaire"].centres.get().pk, cast["other_gestionnaire"]
                   .centres.get().pk],
    }


def attestation_fields(cast, kwargs):
    return {
        "civilite": ["mme", "m"], "usage_name": [""], "first_names": ["Jeanne"],
        "birth_date": ["1990-05-17"], "birth_place": ["Lyon"],
        "address_line1": ["12 rue de la République"], "address_line2": [""],
        "postal_code": ["69002"], "city": ["Lyon"], "country": ["France"],
        "email": ["jeanne.martin@example.org"], "phone": ["0612345678"],
        "master": ["Master informatique"], "academic_year": ["2025-2026", "2025"],
        "motif": ["emploi", "autre"], "details": ["Pour un employeur."],
    }


def session_fields(cast, kwargs):
    diplome = DiplomeFactory()
    return {
        "date": [(datetime.date.today() + datetime.timedelta(days=30)).isoformat(),
                 "2001-01-01", "9999-12-20"],
        "place": ["Cnam Paris, salle 1"],
        "president": [cast["membre_jury"].pk, cast["auditeur"].pk],
        "members": [cast["membre_jury"].pk, cast["outsider_jury"].pk],
        "diplomes": [diplome.pk],
    }


def session_add_fields(cast, kwargs):
    session = JurySession.objects.get(pk=kwargs["pk"])
    transmitted = TransmittedDossierFactory(diplome=session.diplomes.first())
    return {
        "dossiers": [transmitted.pk, DossierFactory().pk],
        "inscrire-q": ["Martin"], "inscrire-diplome": [""], "inscrire-centre": [""],
    }


def decision_fields(cast, kwargs):
    return {
        "version": ["", "1", "2"],
        "cursus_valide": ["oui", "non"],
        "aep_outcome": ["validee", "validee_sous_reserve", "non_validee"],
        "stage_months": ["6", "2", "25"],
        "dd_outcome": ["delivre", "ajourne", "refuse"],
        "motive": ["", "L'expérience est trop courte."],
        "decision": ["delivre"], "aep_outcome_dossier": ["validee"],
    }


def verdict_fields(cast, kwargs):
    prefix = f"piece-{kwargs['piece_id']}"
    return {f"{prefix}-status": ["conforme", *(s.value for s in PieceStatus)],
            f"{prefix}-comment": ["Illisible.", ""]}


def simulator_fields(cast, kwargs):
    rule_set = DiplomeFactory().rule_set
    fields = {
        "rule_set": [rule_set.pk],
        "periode-TOTAL_FORMS": ["1", "3", "21", "-1", "1000000"],
        "periode-INITIAL_FORMS": ["0"],
        "periode-MIN_NUM_FORMS": ["0"],
        "periode-MAX_NUM_FORMS": ["20"],
        "ajouter_periode": ["1"],
    }
    for index in range(2):
        fields |= {
            f"periode-{index}-start": ["2015-01-01"],
            f"periode-{index}-end": ["2018-12-31", ""],
            f"periode-{index}-working_time": ["100", "50"],
            f"periode-{index}-kind": ["employment", "internship"],
            f"periode-{index}-in_specialty": ["on"],
            f"periode-{index}-at_level": ["on"],
        }
    return fields


def import_fields(header):
    def fields(cast, kwargs):
        UEFactory(code="NFA001")
        return {"file": _csv(header), "dry_run": ["on", ""]}
    return fields


def courrier_resend_kwargs(cast):
    courrier = CourrierFactory(echec=True, dossier__auditeur=cast["auditeur"])
    return {"pk": courrier.pk}


def take_kwargs(cast):
    return sweep.centre_deposited_kwargs(cast)


def flagged_kwargs(cast):
    """In control by ``gestionnaire``, a pièce found erroneous: corrections may be asked."""
    kwargs = sweep.centre_piece_kwargs(cast)
    Piece.objects.filter(pk=kwargs.pop("piece_id")).update(
        status=PieceStatus.ERRONEE, comment="Illisible.")
    return kwargs


def fields_of(mapping):
    return lambda cast, kwargs: mapping


def nothing_but_extras(cast, kwargs):
    return {}


def continued_without_period(response, messages):
    return response.status_code == 302


AUDITEUR_COLUMNS = "numero_auditeur;nom;prenom;civilite;email;centre;identifiant"
UE_COLUMNS = "numero_auditeur;code_ue;date_validation;centre;note"

ENDPOINTS = {
    # Accounts.
    "account_login": Endpoint(
        "anonymous",
        lambda cast, kwargs: {"login": [cast["auditeur"].username, "inconnu"],
                              "password": [PASSWORD, "faux"], "remember": ["on"]},
        accepted=redirected, statuses=(200, 302, 429)),
    "auditeurs:profile": Endpoint("auditeur", profile_fields),
    "auditeurs:create_account": Endpoint("gestionnaire", account_fields,
                                         accepted=redirected),
    "auditeurs:attestation_m1_pdf": Endpoint("auditeur", attestation_fields, computes=True),
    # Starting a request and the draft.
    "dossiers:start_kind": Endpoint(
        "auditeur",
        fields_of({"kind": ["aep_anticipee", "dd", "dd_aep", "autre"],
                   "formation_continue": ["non", "oui"]}),
        sweep.start_kind_kwargs, fresh=True),
    "dossiers:edit_prerequisite": Endpoint(
        "auditeur",
        fields_of({"prerequisite_title": ["DUT informatique"],
                   "prerequisite_year": ["2012", "1949", "3000"],
                   "prerequisite_institution": ["IUT Lyon 1"]}),
        sweep.draft_kwargs),
    "dossiers:edit_periods": Endpoint("auditeur", period_fields, sweep.draft_kwargs,
                                      silent=continued_without_period),
    "dossiers:assessment_preview": Endpoint("auditeur", period_fields, sweep.draft_kwargs,
                                            computes=True, statuses=(200, 204)),
    "dossiers:period_edit": Endpoint("auditeur", period_fields, sweep.draft_period_kwargs),
    "dossiers:period_delete": Endpoint("auditeur", nothing_but_extras,
                                       sweep.draft_period_kwargs, fresh=True),
    "dossiers:piece_upload": Endpoint("auditeur", fields_of({"fichier": uploads}),
                                      sweep.draft_piece_kwargs),
    "dossiers:piece_file_remove": Endpoint("auditeur", nothing_but_extras,
                                           sweep.draft_file_kwargs, fresh=True),
    # Signing, withdrawing, corrections.
    "dossiers:sign": Endpoint(
        "auditeur", fields_of({"sworn": ["on", "off"], "password": [PASSWORD, "faux"]}),
        sweep.signable_draft_kwargs, fresh=True, max_examples=min(5, MAX_EXAMPLES)),
    "dossiers:withdraw": Endpoint("auditeur", fields_of({"comment": ["Je renonce."]}),
                                  sweep.draft_kwargs, fresh=True),
    "dossiers:correction_upload": Endpoint("auditeur", fields_of({"fichier": uploads}),
                                           sweep.correction_piece_kwargs),
    "dossiers:correction_file_remove": Endpoint("auditeur", nothing_but_extras,
                                                sweep.correction_file_kwargs, fresh=True),
    # The centre's review.
    "dossiers:centre_take": Endpoint("gestionnaire", nothing_but_extras, take_kwargs,
                                     fresh=True),
    "dossiers:centre_take_over": Endpoint("gestionnaire", nothing_but_extras,
                                          sweep.centre_colleague_kwargs, fresh=True),
    "dossiers:centre_piece_verdict": Endpoint("gestionnaire", verdict_fields,
                                              sweep.centre_piece_kwargs),
    "dossiers:centre_ask_corrections": Endpoint(
        "gestionnaire",
        fields_of({"deadline": [(datetime.date.today() + datetime.timedelta(days=20))
                                .isoformat(), datetime.date.today().isoformat()]}),
        flagged_kwargs, fresh=True),
    "dossiers:centre_declare_complete": Endpoint(
        "gestionnaire", fields_of({"confirm": ["on", ""]}), sweep.centre_conforming_kwargs,
        fresh=True),
    "dossiers:centre_declare_inadmissible": Endpoint(
        "gestionnaire", fields_of({"motive": ["Hors sujet.", "   "]}), sweep.centre_kwargs,
        fresh=True),
    "dossiers:centre_add_note": Endpoint("gestionnaire",
                                         fields_of({"text": ["À revoir.", "  "]}),
                                         sweep.centre_kwargs),
    # The DNF.
    "jury:dnf_session_create": Endpoint("agent_dnf", session_fields),
    "jury:dnf_session_edit": Endpoint("agent_dnf", session_fields, sweep.session_kwargs),
    "jury:dnf_session_add": Endpoint("agent_dnf", session_add_fields, sweep.session_kwargs),
    "jury:dnf_session_remove": Endpoint("agent_dnf", nothing_but_extras,
                                        sweep.session_with_dossier_kwargs, fresh=True),
    "jury:dnf_session_close": Endpoint("agent_dnf", nothing_but_extras,
                                       sweep.closeable_session_kwargs, fresh=True),
    "jury:dnf_courrier_resend": Endpoint("agent_dnf", nothing_but_extras,
                                         courrier_resend_kwargs, fresh=True),
    # The jury.
    "jury:member_decision": Endpoint("membre_jury", decision_fields,
                                     sweep.member_dossier_kwargs),
    # Public pages that compute.
    "jury:verification": Endpoint("anonymous",
                                  fields_of({"code": ["ABCD-EFGH-JKMN-PQRS", "abcd efgh"]}),
                                  computes=True, statuses=(200, 429)),
    "dossiers:simulateur": Endpoint("anonymous", simulator_fields, computes=True),
    # The administrateur's CSV imports.
    "admin:auditeurs_user_import": Endpoint("administrateur",
                                            import_fields(AUDITEUR_COLUMNS)),
    "admin:auditeurs_auditeurprofile_import": Endpoint("administrateur",
                                                       import_fields(AUDITEUR_COLUMNS)),
    "admin:auditeurs_validatedue_import": Endpoint("administrateur",
                                                   import_fields(UE_COLUMNS)),
}


def _messages(response):
    return list(get_messages(response.wsgi_request))


def _page_text(response):
    if response.streaming or not response.get("Content-Type", "").startswith("text/html"):
        return ""
    return response.content.decode()


def check_post(client, endpoint, url, data):
    """Post ``data``; check the answer and that a refusal changed nothing. Returns
    what happened, in words (``--hypothesis-show-statistics`` counts them)."""
    cache.clear()  # the rate limits start afresh: each example is a first try
    before = fingerprint()
    response = read_to_the_end(client.post(url, data))
    assert response.status_code in endpoint.statuses, (url, response.status_code)
    messages = _messages(response)
    said = " ".join(str(m) for m in messages) + _page_text(response)
    for english in ENGLISH:
        assert english not in said, (url, english)
    if endpoint.computes:
        assert fingerprint() == before, f"{url} only computes, yet saved something"
        return f"{response.status_code} computed"
    if endpoint.accepted(response, messages):
        return f"{response.status_code} accepted"
    assert fingerprint() == before, f"{url} refused the POST but changed rows"
    if endpoint.silent and endpoint.silent(response, messages):
        return f"{response.status_code} nothing to do"
    if response.status_code == 302:
        assert messages, f"{url} refused the POST without saying why"
    elif response.status_code in (200, 400):
        assert messages or any(mark in said for mark in ERROR_MARKS), (
            f"{url} refused the POST without showing an error")
    return f"{response.status_code} refused"


@pytest.mark.parametrize("url_name", sorted(ENDPOINTS))
def test_generated_posts_are_answered_in_french_and_refusals_change_nothing(
    client, cast, url_name
):
    endpoint = ENDPOINTS[url_name]
    user = cast[endpoint.member]
    kwargs = endpoint.build(cast)

    @settings(max_examples=endpoint.max_examples, deadline=None, database=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture,
                                     HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(st.data())
    def post_generated(data):
        example_kwargs = endpoint.build(cast) if endpoint.fresh else kwargs
        url = reverse(url_name, kwargs=example_kwargs)
        payload = data.draw(payloads(endpoint.fields(cast, example_kwargs)))
        client.logout()
        if user is not None:
            client.force_login(user)
        event(check_post(client, endpoint, url, payload))

    post_generated()


@pytest.mark.parametrize("url_name", sorted(ENDPOINTS))
def test_an_empty_post_is_answered_like_any_other(client, cast, url_name):
    """The smallest input of all, every time (hypothesis may not draw it): an empty
    form was once taken for no form at all, and shown again without a word."""
    endpoint = ENDPOINTS[url_name]
    url = reverse(url_name, kwargs=endpoint.build(cast))
    if cast[endpoint.member] is not None:
        client.force_login(cast[endpoint.member])
    check_post(client, endpoint, url, {})


@pytest.mark.parametrize("url_name", ["jury:dnf_session_create", "jury:dnf_session_edit"])
def test_a_session_dated_in_year_9999_is_refused(client, cast, url_name):
    """Found by the generated posts: a session of December 9999 was saved, and its
    closing page failed (no month after it to send the courriers in)."""
    kwargs = {} if url_name.endswith("create") else sweep.session_kwargs(cast)
    fields = {name: plausible[0] for name, plausible in session_fields(cast, kwargs).items()}
    client.force_login(cast["agent_dnf"])
    before = fingerprint()

    response = client.post(reverse(url_name, kwargs=kwargs), {**fields, "date": "9999-12-20"})

    assert response.status_code == 200
    assert "La date du jury ne peut pas être plus de 5 ans après aujourd&#x27;hui" in (
        response.content.decode())
    assert fingerprint() == before


# --- Every POST endpoint is here ----------------------------------------------------------

# Pages that only read: a POST to them changes nothing (they answer 405, or show
# the page again). URL name → who reads it (for pages about an object: the sweep's).
READ_ONLY = {
    "home": "auditeur",
    "aide": "anonymous",
    "aide_staff": "gestionnaire",
    "health": "anonymous",
    "auditeurs:suivi": "auditeur",
    "auditeurs:attestation_m1": "auditeur",
    "auditeurs:personal_data": "auditeur",
    "auditeurs:personal_data_archive": "auditeur",
    "auditeurs:centre_home": "gestionnaire",
    "dossiers:start": "auditeur",
    "dossiers:centre_queue": "gestionnaire",
    "dossiers:centre_export": "gestionnaire",
    "jury:dnf_home": "agent_dnf",
    "jury:dnf_dossiers": "agent_dnf",
    "jury:dnf_sessions": "agent_dnf",
    "jury:jury_home": "membre_jury",
    "courriels:local_list": "anonymous",
    "courriels:local_detail": "anonymous",  # takes a POST, shows the courriel: DEBUG only
    # Pages about an object: built and read as in the sweep.
    **{name: target.legit for name, target in sweep.TARGETS.items()
       if "post" not in target.methods},
}
# allauth's account and second-factor pages (their own tests: tests/auditeurs/test_login*,
# tests/security/test_mfa.py) and Django's admin; the log-in and the imports are above.
SKIPPED_PREFIXES = ("compte/", "admin/")


def post_urls():
    return {
        name or route
        for route, name, entry in url_patterns()
        if not route.startswith(SKIPPED_PREFIXES) or name in ENDPOINTS
    }


def test_every_post_endpoint_is_fuzzed():
    missing = sorted(post_urls() - set(ENDPOINTS) - set(READ_ONLY))
    assert not missing, f"Add these URLs to ENDPOINTS (or READ_ONLY): {missing}"
    assert set(ENDPOINTS) <= post_urls()


def test_sweep_and_fuzz_agree_on_who_takes_a_post():
    for name, target in sweep.TARGETS.items():
        if "post" in target.methods:
            assert name in ENDPOINTS or name in READ_ONLY, name
        else:
            assert name not in ENDPOINTS, name


@pytest.mark.parametrize("url_name", sorted(READ_ONLY))
def test_a_post_to_a_read_only_page_changes_nothing(client, cast, settings, url_name):
    target = sweep.TARGETS.get(url_name)
    kwargs = target.build(cast) if target else {}
    if target and target.debug:
        settings.DEBUG = True
    user = cast[READ_ONLY[url_name]]
    if user is not None:
        client.force_login(user)
    before = fingerprint()
    response = read_to_the_end(
        client.post(reverse(url_name, kwargs=kwargs), {"state": "retire", "owner": "1"}))
    assert response.status_code in (200, 302, 404, 405), (url_name, response.status_code)
    assert fingerprint() == before, url_name
