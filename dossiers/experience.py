"""Pre-assessment of an auditeur's professional experience against a diploma's rules.

Pure functions over plain data (no database), so that the rules are tested on their
own and the same computation serves the public simulator, the auditeur's dossier, the
centre's review and the jury. The result is a *pre-assessment*: the jury decides.

Conventions (each one chosen so that the verdict never depends on a display rounding):

- **Periods are closed intervals** ``[start, end]``: both days are worked days. An
  ongoing period (``end is None``) runs up to ``today``. Days after ``today`` are not
  counted either, even when an end date in the future is declared (a contract that has
  not run yet is not experience yet).
- **Months, full-time equivalent.** Each day weighs ``1 / n`` of a month, ``n`` being the
  number of days of its calendar month. A whole calendar month is therefore exactly one
  month and "1 January 2022 – 31 December 2023" exactly 24 months, whatever leap years do
  (a fixed 30.4375-day month would give 23.98 months there and refuse a two-year
  experience on an artefact of the convention). The weight is additive over days, which
  the per-day cap below needs.
- **Per-day cap.** On each day the covered fraction is the sum of the working times of
  the periods covering it, capped at 100 %: overlapping periods are never counted twice.
  Computed with a sweep over the periods' boundaries, not day by day.
- **Specialty.** Only periods both ``in_specialty`` and ``at_level`` count "in the
  specialty" (for a titre RNCP: "in the domain"); the same cap applies, computed on that
  subset alone.
- **Exact values.** Durations are :class:`fractions.Fraction` and verdicts compare them
  exactly. Display values are rounded *down* to one decimal (never show "36" for 35.99
  months); missing months in messages are rounded *up* to whole months (never say "il
  vous manque 0 mois").
- **Kinds of periods** (employment, self-employed, internship) all count the same here:
  the kind is recorded for the jury, the rules of the seeds do not distinguish them.
"""

import calendar
import math
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

# Rule kinds: the values of dossiers.models.RuleKind, repeated here so that this module
# never imports the models.
LICENCE_L1_L3 = "licence_l1_l3"
LICENCE_L3 = "licence_l3"
TITRE_RNCP = "titre_rncp"
RULE_KINDS = (LICENCE_L1_L3, LICENCE_L3, TITRE_RNCP)

# Kinds of periods.
EMPLOYMENT = "employment"
SELF_EMPLOYED = "self_employed"
INTERNSHIP = "internship"
PERIOD_KINDS = {
    EMPLOYMENT: "Emploi salarié",
    SELF_EMPLOYED: "Activité indépendante",
    INTERNSHIP: "Stage",
}

# Verdicts.
MET = "met"
STAGE_REQUIRED = "stage_required"
NOT_MET = "not_met"

ZERO = Fraction(0)


@dataclass(frozen=True)
class Period:
    start: date
    end: date | None  # None: ongoing, counted up to the day of the assessment
    working_time: int = 100  # percent of a full-time job, 1..100
    in_specialty: bool = False
    at_level: bool = False
    kind: str = EMPLOYMENT

    @property
    def counts_in_specialty(self):
        return self.in_specialty and self.at_level


@dataclass(frozen=True, kw_only=True)
class Rules:
    """The numbers of an experience rule set (see ``ExperienceRuleSet``).

    Keyword-only: six numbers side by side are too easy to pass in the wrong order.
    """

    kind: str
    months_total: int | None = None  # L1-L3 only
    months_specialty: int
    months_outside: int | None = None  # RNCP only
    stage_months_min: int
    stage_months_max: int

    def __post_init__(self):
        if self.kind not in RULE_KINDS:
            raise ValueError(f"Unknown rule kind {self.kind!r}")
        if self.kind == LICENCE_L1_L3 and not self.months_total:
            raise ValueError("An L1-L3 rule set needs months_total")
        if self.kind == TITRE_RNCP and not self.months_outside:
            raise ValueError("An RNCP rule set needs months_outside")

    @classmethod
    def from_rule_set(cls, rule_set):
        """From an ``ExperienceRuleSet`` or anything with the same attributes."""
        return cls(
            kind=str(rule_set.kind),
            months_total=rule_set.months_total,
            months_specialty=rule_set.months_specialty,
            months_outside=rule_set.months_outside,
            stage_months_min=rule_set.stage_months_min,
            stage_months_max=rule_set.stage_months_max,
        )

    @property
    def stage_range(self):
        """(min, max) months of the stage this rule set asks for.

        The licence texts speak of one length ("un stage de 6 mois"): only the minimum is
        used; a titre RNCP asks "un stage de 3 à 6 mois".
        """
        if self.kind == TITRE_RNCP:
            return self.stage_months_min, self.stage_months_max
        return self.stage_months_min, self.stage_months_min

    @property
    def specialty_word(self):
        # The seeds say "dans le domaine" for titres RNCP, "dans la spécialité" otherwise.
        return "dans le domaine" if self.kind == TITRE_RNCP else "dans la spécialité"


# --- Duration arithmetic ----------------------------------------------------------


def _month_position(day):
    """Months elapsed from year 0 to the start of ``day``, each day weighing 1/n month."""
    return Fraction(12 * day.year + day.month - 1) + Fraction(
        day.day - 1, calendar.monthrange(day.year, day.month)[1]
    )


def _after(day):
    # The day after ``day``; date.max has no successor, but no experience reaches it.
    return day + timedelta(days=1)


def months_in(start, end):
    """Months covered by the closed interval ``[start, end]`` at full time (0 if empty)."""
    if end < start:
        return ZERO
    return _month_position(_after(end)) - _month_position(start)


def _clipped(period, today):
    """The period's closed interval, cut at ``today``; None when nothing is left."""
    end = today if period.end is None else min(period.end, today)
    if end < period.start:
        return None
    return period.start, end


def full_time_months(periods, today):
    """Months full-time equivalent covered by ``periods``, each day capped at 100 %.

    A sweep over the boundary dates: between two consecutive boundaries the sum of the
    working times is constant, so each segment costs O(1) whatever its length.
    """
    changes = {}
    for period in periods:
        interval = _clipped(period, today)
        if interval is None or period.working_time <= 0:
            continue
        start, end = interval
        after = _after(end)
        changes[start] = changes.get(start, 0) + period.working_time
        changes[after] = changes.get(after, 0) - period.working_time
    percent_months = ZERO
    level = 0
    previous = None
    for boundary in sorted(changes):
        if previous is not None and level > 0:
            percent_months += min(level, 100) * (
                _month_position(boundary) - _month_position(previous)
            )
        level += changes[boundary]
        previous = boundary
    return percent_months / 100


def specialty_months(periods, today):
    """Months full-time equivalent in the specialty (and at the level), capped per day."""
    return full_time_months([p for p in periods if p.counts_in_specialty], today)


def round_down(months):
    """A duration for display: rounded down to one decimal."""
    # Integer floor on the exact value: a Decimal division would round first.
    return Decimal(math.floor(Fraction(months) * 10)) / 10


def format_months(months):
    """French display of a duration: "35,9 mois", "36 mois" (rounded down)."""
    value = round_down(Fraction(months))
    if value == value.to_integral_value():
        text = str(int(value))
    else:
        text = str(value).replace(".", ",")
    return f"{text} mois"


def _missing(required, obtained):
    """Whole months still missing, rounded up (0 when the condition is met)."""
    if required is None or obtained >= required:
        return 0
    return math.ceil(required - obtained)


# --- Verdict ---------------------------------------------------------------------


@dataclass(frozen=True)
class Assessment:
    rules: Rules
    total_months: Fraction  # exact, all periods
    specialty_months: Fraction  # exact, periods in the specialty and at the level
    verdict: str  # MET, STAGE_REQUIRED or NOT_MET
    stage_months_min: int | None  # set when a stage is required
    stage_months_max: int | None
    missing_total_months: int  # whole months, rounded up; 0 when not relevant
    missing_specialty_months: int
    missing: tuple  # French sentences: what is missing
    explanation: str  # French sentence: why this verdict

    @property
    def met(self):
        return self.verdict == MET

    @property
    def stage_required(self):
        return self.verdict == STAGE_REQUIRED

    @property
    def stage_months(self):
        """The stage length as shown: "6" or "3 à 6"; empty when no stage is required."""
        if self.stage_months_min is None:
            return ""
        if self.stage_months_min == self.stage_months_max:
            return str(self.stage_months_min)
        return f"{self.stage_months_min} à {self.stage_months_max}"

    @property
    def label(self):
        if self.verdict == MET:
            return "Conditions remplies"
        if self.verdict == STAGE_REQUIRED:
            return f"Stage de {self.stage_months} mois requis"
        return "Conditions non remplies"

    @property
    def total_display(self):
        return format_months(self.total_months)

    @property
    def specialty_display(self):
        return format_months(self.specialty_months)


def _missing_sentence(months, where):
    if where:
        return f"Il vous manque {months} mois d'expérience {where}."
    return f"Il vous manque {months} mois d'expérience professionnelle au total."


def assess(periods, rules, today):
    """Pre-assess ``periods`` (validated, see :func:`validate_period`) against ``rules``.

    The rule table of domain.md, with these readings:

    - **No experience at all** (no period, or periods that cover no day up to ``today``):
      a stage is required for every kind of rule set, of the rule set's length
      (domain.md: "no experience at all → a stage is required"). For L1-L3 this means a
      little experience (not met) reads worse than none (stage): that is the rule as
      written; the jury weighs the case.
    - **L1-L3**: ``months_total`` in all and ``months_specialty`` of them in the
      specialty → met; enough in all but not in the specialty → stage of
      ``stage_months_min`` months; not enough in all → not met (both shortfalls listed).
    - **L3**: ``months_specialty`` in the specialty → met; otherwise (experience outside
      the specialty, or not enough in it) → stage of ``stage_months_min`` months. There is
      no "not met" for this kind: the stage is always the way out.
    - **RNCP**: ``months_specialty`` in the domain → met; ``months_outside`` in all
      (experience in the domain counts too: it is experience) → stage of
      ``stage_months_min`` to ``stage_months_max`` months; otherwise not met.
    """
    periods = list(periods)
    total = full_time_months(periods, today)
    specialty = specialty_months(periods, today)
    where = rules.specialty_word
    stage_min, stage_max = rules.stage_range
    stage_text = (
        f"{stage_min} mois" if stage_min == stage_max else f"{stage_min} à {stage_max} mois"
    )
    missing_specialty = _missing(rules.months_specialty, specialty)
    missing_total = 0
    missing = []

    if total == 0:
        verdict = STAGE_REQUIRED
        explanation = (
            "Vous ne déclarez aucune expérience professionnelle : "
            f"un stage de {stage_text} dans la spécialité du diplôme est exigé."
        )
    elif specialty >= rules.months_specialty and (
        rules.kind != LICENCE_L1_L3 or total >= rules.months_total
    ):
        verdict = MET
        missing_specialty = 0
        if rules.kind == LICENCE_L1_L3:
            explanation = (
                f"Vous justifiez d'au moins {rules.months_total} mois d'expérience, "
                f"dont {rules.months_specialty} mois {where} à un niveau correspondant "
                "au diplôme."
            )
        else:
            explanation = (
                f"Vous justifiez d'au moins {rules.months_specialty} mois d'expérience "
                f"{where} à un niveau correspondant au diplôme."
            )
    elif rules.kind == LICENCE_L1_L3 and total < rules.months_total:
        verdict = NOT_MET
        missing_total = _missing(rules.months_total, total)
        missing.append(_missing_sentence(missing_total, ""))
        if missing_specialty:
            missing.append(_missing_sentence(missing_specialty, where))
        explanation = (
            f"Il faut {rules.months_total} mois d'expérience professionnelle, dont "
            f"{rules.months_specialty} mois {where} à un niveau correspondant au diplôme."
        )
    elif rules.kind == TITRE_RNCP and total < rules.months_outside:
        verdict = NOT_MET
        missing_total = _missing(rules.months_outside, total)
        missing.append(_missing_sentence(missing_specialty, where))
        missing.append(
            f"Ou bien il vous manque {missing_total} mois d'expérience au total pour "
            f"pouvoir compléter votre expérience par un stage de {stage_text}."
        )
        explanation = (
            f"Il faut {rules.months_specialty} mois d'expérience {where}, ou "
            f"{rules.months_outside} mois d'expérience hors domaine complétés par un "
            f"stage de {stage_text} dans la spécialité."
        )
    else:
        # L1-L3 with enough in all, L3 whatever the experience, RNCP with enough in all.
        verdict = STAGE_REQUIRED
        missing.append(_missing_sentence(missing_specialty, where))
        explanation = (
            f"Votre expérience {where} est insuffisante : "
            f"un stage de {stage_text} dans la spécialité du diplôme est exigé."
        )

    return Assessment(
        rules=rules,
        total_months=total,
        specialty_months=specialty,
        verdict=verdict,
        stage_months_min=stage_min if verdict == STAGE_REQUIRED else None,
        stage_months_max=stage_max if verdict == STAGE_REQUIRED else None,
        missing_total_months=missing_total,
        missing_specialty_months=missing_specialty,
        missing=tuple(missing),
        explanation=explanation,
    )


# --- Validation ------------------------------------------------------------------


def validate_period(period, today):
    """French error messages keyed by field name; empty when the period is valid."""
    errors = {}
    if period.start is not None and period.start > today:
        errors["start"] = "La date de début ne peut pas être dans le futur."
    if period.start is not None and period.end is not None and period.end < period.start:
        errors["end"] = "La date de fin doit être postérieure ou égale à la date de début."
    if (
        isinstance(period.working_time, bool)
        or not isinstance(period.working_time, int)
        or not 1 <= period.working_time <= 100
    ):
        errors["working_time"] = "Le temps de travail doit être compris entre 1 et 100 %."
    if period.kind not in PERIOD_KINDS:
        errors["kind"] = "Choisissez un type de période dans la liste."
    return errors
