"""An auditeur's personal data, as one ZIP archive (RGPD, right of access and to
portability): everything D3 holds about him/her that he/she can otherwise see in D3.

What the archive holds (``LISEZMOI.txt`` says it in French, for the auditeur):

- ``compte/profil.json``: the account and the profile (identifier, names, contact,
  birth data, postal address, centre), ``compte/ue_validees.csv`` and ``.json``: the
  validated UEs;
- per dossier, ``dossiers/<reference>/dossier.json``: the request in words, the
  prerequisite, the experience periods and their pre-assessment, the pièces with each
  file's details, the events of the auditeur's timeline, the signatures with their
  digests, the courrier and the jury's decision once the courrier is sent;
- the files themselves: every version of every pièce, the signed récapitulatifs and
  the courrier, copied byte for byte from the storage.

Left out, as on the pages: internal notes of the centre and events the auditeur does
not see, who among the staff did what, the jury's decision before its courrier is
sent, a file the antivirus still checks or refused. Nothing of anybody else: every
row is reached from the user's own dossiers (``Dossier.objects.visible_to``).

The archive is written to a temporary file, never held in memory: files are copied
into it in chunks. The number of queries does not depend on the number of dossiers,
pièces or files (everything is prefetched).
"""

import csv
import io
import json
import re
import shutil
import tempfile
import unicodedata
import zipfile

from django.core.files.storage import default_storage
from django.db.models import Prefetch
from django.utils import timezone

from auditeurs.models import AuditeurProfile
from auditeurs.selectors import validated_ues_of
from dossiers import workflow
from dossiers.downloads import EXTENSIONS
from dossiers.experience import PERIOD_KINDS, format_months, full_time_months
from dossiers.forms import as_period
from dossiers.models import Dossier, Event, Piece, PieceFile, ScanStatus, Signature
from dossiers.staff_view import pre_assessment
from jury.models import CourrierStatus

README_NAME = "LISEZMOI.txt"
CHUNK_SIZE = 64 * 1024
# PDF, JPEG, PNG are compressed already: stored in the ZIP as they are.
_COMPRESSED_TYPES = frozenset(EXTENSIONS)


def archive_file_name(user, today=None):
    """The name the browser saves the archive under, made by the server."""
    today = today or timezone.localdate()
    return f"d3-donnees-personnelles-{today:%Y-%m-%d}.zip"


def build_archive(user):
    """The user's archive, as an open temporary file positioned at its start.

    The caller streams it and closes it (which deletes it).
    """
    archive = tempfile.TemporaryFile(suffix=".zip")
    try:
        with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            _write(zf, user)
    except BaseException:
        archive.close()
        raise
    archive.seek(0)
    return archive


# --- Reading ----------------------------------------------------------------------


def _dossiers(user):
    """The user's dossiers with everything the archive shows, in a fixed number of
    queries."""
    return (
        Dossier.objects.visible_to(user)
        .filter(auditeur=user)
        .select_related("diplome__rule_set", "centre", "jury_session", "courrier",
                        "decision")
        .prefetch_related(
            "periods",
            Prefetch("pieces", queryset=Piece.objects.select_related("piece_type")),
            Prefetch("pieces__files", queryset=PieceFile.objects.order_by("pk")),
            Prefetch("signatures", queryset=Signature.objects.order_by("signed_at", "pk")),
            Prefetch(
                "events",
                queryset=Event.objects.filter(visible_to_auditeur=True)
                .order_by("created_at", "pk"),
                to_attr="visible_events",
            ),
        )
        .order_by("created_at", "pk")
    )


# --- Writing ----------------------------------------------------------------------


def _write(zf, user):
    profile = AuditeurProfile.objects.select_related("centre").filter(user=user).first()
    ues = list(validated_ues_of(user))
    dossiers = list(_dossiers(user))
    _write_text(zf, README_NAME, _readme(user, dossiers))
    _write_json(zf, "compte/profil.json", _account(user, profile))
    _write_json(zf, "compte/ue_validees.json", [_ue(v) for v in ues])
    _write_text(zf, "compte/ue_validees.csv", _ues_csv(ues))
    for dossier in dossiers:
        _write_dossier(zf, dossier)


def _write_dossier(zf, dossier):
    folder = f"dossiers/{dossier.reference}"
    today = timezone.localdate()
    periods = sorted(dossier.periods.all(), key=lambda p: (p.start, p.pk))
    pieces = sorted(
        dossier.pieces.all(),
        key=lambda p: (p.piece_type.position, p.piece_type.label, p.pk),
    )
    piece_entries = []
    for piece in pieces:
        files = []
        for version, piece_file in enumerate(piece.files.all(), start=1):
            files.append(_write_piece_file(zf, folder, piece, piece_file, version))
        piece_entries.append({
            "type": piece.piece_type.label,
            "statut": piece.get_status_display(),
            # The comment the dossier page shows: on a pièce flagged by the centre.
            "commentaire_du_centre": (
                piece.comment if piece.status in workflow.FLAGGED_STATUSES else ""
            ),
            "fichiers": files,
        })

    signatures = []
    for number, signature in enumerate(dossier.signatures.all(), start=1):
        name = None
        if signature.recapitulatif_key:
            name = _copy(
                zf, signature.recapitulatif_key,
                f"{folder}/recapitulatifs/recapitulatif-signe-{number}-"
                f"{timezone.localtime(signature.signed_at):%Y-%m-%d}.pdf",
                "application/pdf",
            )
        signatures.append({
            "signe_le": _datetime(signature.signed_at),
            "adresse_ip": signature.ip_address or "",
            "navigateur": signature.user_agent,
            "empreinte_sha256_du_contenu": signature.digest,
            "recapitulatif_signe": name,
        })

    courrier = _sent_courrier(dossier)
    courrier_entry = decision_entry = None
    if courrier is not None:
        from jury.letters import format_code

        courrier_entry = {
            "envoye_le": _datetime(courrier.sent_at),
            "code_de_verification": format_code(courrier.verification_code),
            "fichier": _copy(zf, courrier.storage_key,
                             f"{folder}/courrier-{dossier.reference}.pdf", "application/pdf"),
        }
        decision_entry = _decision(dossier)

    data = {
        "reference": dossier.reference,
        "nature_de_la_demande": dossier.get_kind_display(),
        "diplome": {"code": dossier.diplome.code, "intitule": dossier.diplome.title},
        "centre": dossier.centre.name,
        "etat": dossier.get_state_display(),
        "cree_le": _datetime(dossier.created_at),
        "modifie_le": _datetime(dossier.updated_at),
        "transmis_a_la_dnf_le": _datetime(dossier.transmitted_at),
        "corrections_attendues_avant_le": _date(dossier.corrections_due),
        "diplome_prerequis": {
            "intitule": dossier.prerequisite_title,
            "annee": dossier.prerequisite_year,
            "etablissement": dossier.prerequisite_institution,
        },
        "experience_professionnelle": [_period(p, today) for p in periods],
        "pre_evaluation_de_l_experience": _assessment(dossier, periods, today),
        "pieces": piece_entries,
        "historique": [
            {
                "date": _datetime(event.created_at),
                "evenement": workflow.event_label(event),
                "commentaire": event.comment,
            }
            for event in dossier.visible_events
        ],
        "signatures": signatures,
        "session_de_jury": _date(dossier.jury_session.date) if dossier.jury_session else None,
        "courrier": courrier_entry,
        "decision_du_jury": decision_entry,
    }
    _write_json(zf, f"{folder}/dossier.json", data)


def _write_piece_file(zf, folder, piece, piece_file, version):
    entry = {
        "version": version,
        "nom_d_origine": piece_file.original_name,
        "type": piece_file.content_type,
        "taille_octets": piece_file.size,
        "empreinte_sha256": piece_file.sha256,
        "depose_le": _datetime(piece_file.uploaded_at),
        "remplace_le": _datetime(piece_file.replaced_at),
        "fichier": None,
    }
    if piece_file.scan_status == ScanStatus.EN_ATTENTE:
        entry["remarque"] = "Analyse antivirus en cours : le fichier n'est pas joint."
    elif not piece_file.usable:
        entry["remarque"] = "Fichier refusé par l'antivirus : il a été supprimé."
    else:
        # The extension of the checked type, whatever the uploaded name said.
        extension = EXTENSIONS.get(piece_file.content_type, "bin")
        name = (f"{folder}/pieces/{_safe(piece.piece_type.code, 'piece')}-v{version}-"
                f"{_safe(_stem(piece_file.original_name), 'fichier')}.{extension}")
        entry["fichier"] = _copy(zf, piece_file.storage_key, name, piece_file.content_type)
        if entry["fichier"] is None:
            entry["remarque"] = "Fichier introuvable dans le stockage."
    return entry


def _copy(zf, key, name, content_type):
    """Copy the stored file ``key`` into the archive as ``name``, in chunks; return
    ``name``, or None when the storage no longer has it."""
    try:
        source = default_storage.open(key, "rb")
    except FileNotFoundError:
        return None
    compress = zipfile.ZIP_STORED if content_type in _COMPRESSED_TYPES else zipfile.ZIP_DEFLATED
    info = zipfile.ZipInfo(name, date_time=timezone.localtime().timetuple()[:6])
    info.compress_type = compress
    with source, zf.open(info, "w", force_zip64=True) as target:
        shutil.copyfileobj(source, target, CHUNK_SIZE)
    return name


def _write_json(zf, name, data):
    zf.writestr(name, json.dumps(data, ensure_ascii=False, indent=2) + "\n")


def _write_text(zf, name, text):
    # CRLF and a BOM: the notepad of any system opens it right.
    zf.writestr(name, "\ufeff" + text.replace("\n", "\r\n"))


# --- Pieces of data ---------------------------------------------------------------


def _account(user, profile):
    data = {
        "identifiant_enf": user.username,
        "prenom": user.first_name,
        "nom": user.last_name,
        "courriel": user.email,
        "compte_cree_le": _datetime(user.date_joined),
        "derniere_connexion": _datetime(user.last_login),
        "profil": None,
    }
    if profile is not None:
        data["profil"] = {
            "numero_d_auditeur": profile.auditeur_number,
            "centre_d_inscription": profile.centre.name,
            "civilite": profile.get_civilite_display(),
            "nom_de_naissance": profile.birth_name,
            "nom_d_usage": profile.usage_name,
            "prenoms": profile.first_names,
            "date_de_naissance": _date(profile.birth_date),
            "lieu_de_naissance": profile.birth_place,
            "nationalite": profile.nationality,
            "adresse": profile.address_line1,
            "complement_d_adresse": profile.address_line2,
            "code_postal": profile.postal_code,
            "commune": profile.city,
            "pays": profile.country,
            "telephone": profile.phone,
            "profil_complete_le": _datetime(profile.completed_at),
        }
    return data


_UE_COLUMNS = ["code_ue", "intitule", "ects", "validee_le", "centre", "note"]


def _ue(validation):
    return {
        "code_ue": validation.ue.code,
        "intitule": validation.ue.title,
        "ects": validation.ue.ects,
        "validee_le": _date(validation.validated_on),
        "centre": validation.centre.name if validation.centre else "",
        "note": str(validation.grade) if validation.grade is not None else "",
    }


def _ues_csv(ues):
    out = io.StringIO()
    # Semicolons: what a spreadsheet set up in French expects.
    writer = csv.DictWriter(out, fieldnames=_UE_COLUMNS, delimiter=";", lineterminator="\n")
    writer.writeheader()
    for validation in ues:
        writer.writerow(_ue(validation))
    return out.getvalue()


def _period(period, today):
    return {
        "employeur": period.employer,
        "poste": period.position,
        "nature": PERIOD_KINDS.get(period.kind, period.get_kind_display()),
        "debut": _date(period.start),
        "fin": _date(period.end),
        "temps_de_travail_pourcentage": period.working_time,
        "dans_la_specialite": period.in_specialty,
        "au_niveau_du_diplome": period.at_level,
        "missions": period.tasks,
        "duree_equivalent_temps_plein": format_months(
            full_time_months([as_period(period)], today)
        ),
    }


def _assessment(dossier, periods, today):
    try:
        assessment = pre_assessment(dossier, periods, today)
    except ValueError:  # a rule set edited into an incomplete one
        return None
    if assessment is None:
        return None
    return {
        "calculee_le": _date(today),
        "resultat": assessment.label,
        "explication": assessment.explanation,
        "manques": list(assessment.missing),
        "experience_totale": assessment.total_display,
        "experience_dans_la_specialite": assessment.specialty_display,
        "avertissement": "Pré-évaluation indicative : le jury décide.",
    }


def _sent_courrier(dossier):
    courrier = getattr(dossier, "courrier", None)
    if courrier is None or courrier.status != CourrierStatus.ENVOYE or not courrier.storage_key:
        return None
    return courrier


def _decision(dossier):
    decision = getattr(dossier, "decision", None)
    if decision is None:
        return None
    return {
        "cursus_valide": decision.cursus_valide,
        "analyse_de_l_experience": decision.get_aep_outcome_display(),
        "duree_du_stage_exige_mois": decision.stage_months,
        "delivrance_du_diplome": decision.get_dd_outcome_display(),
        "motif": decision.motive,
    }


def _stem(name):
    return name.rsplit(".", 1)[0] if "." in name else name


def _safe(text, fallback):
    """``text`` reduced to characters safe in a file name on any system."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    cleaned = re.sub(r"[^A-Za-z0-9_-]+", "-", ascii_text).strip("-_")[:60]
    return cleaned or fallback


def _datetime(value):
    return timezone.localtime(value).isoformat(timespec="seconds") if value else None


def _date(value):
    return value.isoformat() if value else None


# --- LISEZMOI ---------------------------------------------------------------------


def _readme(user, dossiers):
    now = timezone.localtime()
    references = "\n".join(f"  - dossiers/{d.reference}/ : {d.get_kind_display()}, "
                           f"{d.diplome.code} ({d.get_state_display().lower()})"
                           for d in dossiers) or "  (aucun dossier)"
    return f"""Vos données personnelles dans D3 (Cnam)
==========================================

Archive préparée le {now:%d/%m/%Y à %H:%M} pour le compte {user.username}.

Cette archive contient les données que D3 conserve à votre sujet et que vous pouvez
consulter dans votre espace : votre compte et votre profil, vos UE validées, et chacun
de vos dossiers avec ses fichiers.

Contenu
-------

compte/profil.json
  Votre compte (identifiant ENF, nom, prénom, adresse électronique, dates de création
  et de dernière connexion) et votre profil (numéro d'auditeur, centre d'inscription,
  état civil, date et lieu de naissance, nationalité, adresse postale, téléphone).

compte/ue_validees.csv et compte/ue_validees.json
  Vos UE validées, telles que transmises par le système d'information du Cnam.
  Le fichier CSV s'ouvre dans un tableur (séparateur : point-virgule).

dossiers/<référence>/dossier.json
  Pour chaque dossier : la demande (nature, diplôme, centre, état), le diplôme
  prérequis, vos périodes d'expérience professionnelle et leur pré-évaluation, les
  pièces justificatives (statut, commentaire du centre, détail de chaque fichier et
  son empreinte SHA-256), l'historique tel que vous le voyez dans votre espace, vos
  signatures électroniques (date, adresse IP, navigateur, empreinte SHA-256 du contenu
  signé) et, une fois le courrier envoyé, la décision du jury et le code de
  vérification du courrier.

dossiers/<référence>/pieces/
  Toutes les versions de chaque pièce que vous avez déposée, identiques aux fichiers
  déposés (nommées : type de pièce, numéro de version, nom d'origine simplifié).

dossiers/<référence>/recapitulatifs/
  Les récapitulatifs que vous avez signés (PDF).

dossiers/<référence>/courrier-<référence>.pdf
  Le courrier de décision du jury, une fois envoyé.

Vos dossiers :
{references}

Ce que l'archive ne contient pas
--------------------------------

- Les notes internes des personnels de votre centre et les étapes de travail qui ne
  vous sont pas montrées dans votre espace ; le nom des personnels qui ont traité
  votre dossier.
- La décision du jury tant que son courrier n'est pas envoyé.
- Un fichier encore en cours d'analyse antivirus, ou refusé par l'antivirus.
- Aucune donnée d'une autre personne.

Formats
-------

Les fichiers JSON sont du texte encodé en UTF-8, lisible dans tout éditeur de texte et
réutilisable par un autre service. Les dates sont écrites au format AAAA-MM-JJ (et
l'heure, de Paris, après « T »).

Pour vérifier qu'une pièce est intacte, comparez son empreinte SHA-256 à celle
indiquée dans dossier.json (par exemple : « sha256sum fichier.pdf » sous Linux,
« certutil -hashfile fichier.pdf SHA256 » sous Windows).

Durée de conservation
---------------------

Un dossier clos (courrier du jury envoyé, dossier retiré ou déclaré irrecevable) est
supprimé de D3 au terme de la durée de conservation ; seule une trace anonyme de la
décision est gardée, à des fins statistiques. Conservez cette archive si vous
souhaitez garder vos documents.

Pour exercer vos droits (rectification, effacement, opposition) ou pour toute
question, adressez-vous à votre centre d'inscription.
"""
