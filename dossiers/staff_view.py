"""What staff (centre and jury) read of a dossier: the cursus against the diploma's
UE groups, and the declared experience with its pre-assessment.

Shared by the centre's review page and the jury's dossier page so that both show
the same figures.
"""

from auditeurs.selectors import validated_ues_of
from dossiers.eligibility import count_validated_in, evaluate_cursus
from dossiers.experience import PERIOD_KINDS, Rules, assess, format_months, full_time_months
from dossiers.forms import as_period


def cursus_against_groups(dossier):
    """Each UE group of the diploma against the auditeur's validated UEs."""
    validations = {v.ue.code: v for v in validated_ues_of(dossier.auditeur)}
    groups = list(dossier.diplome.groups.prefetch_related("ues"))
    rules = [group.as_rule() for group in groups]
    result = evaluate_cursus(validations, rules)
    in_diploma = set()
    group_rows = []
    for group, group_result in zip(groups, result.groups, strict=True):
        ues = list(group.ues.all())
        in_diploma.update(ue.code for ue in ues)
        group_rows.append({
            "group": group,
            "result": group_result,
            "ues": [{"ue": ue, "validation": validations.get(ue.code)} for ue in ues],
        })
    return {
        "result": result,
        "groups": group_rows,
        "others": [v for code, v in validations.items() if code not in in_diploma],
        "validated_in_diploma": count_validated_in(validations, rules),
    }


def pre_assessment(dossier, periods, today):
    """The pre-assessment of an AEP, or None (no AEP, or no experience asked).

    Raises ValueError for a rule set edited into an incomplete one.
    """
    rule_set = dossier.diplome.rule_set
    if not dossier.includes_aep or rule_set is None:
        return None
    return assess([as_period(period) for period in periods], Rules.from_rule_set(rule_set),
                  today)


def experience(dossier, today):
    """``(period rows, pre-assessment or None, rules incomplete?)`` for the page."""
    periods = list(dossier.periods.order_by("start", "pk"))
    rows = [
        {
            "period": period,
            "kind_label": PERIOD_KINDS.get(period.kind, period.get_kind_display()),
            "months": format_months(full_time_months([as_period(period)], today)),
        }
        for period in periods
    ]
    try:
        return rows, pre_assessment(dossier, periods, today), False
    except ValueError:
        return rows, None, True
