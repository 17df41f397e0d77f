"""Which UE groups of a diploma an auditeur's validated UEs satisfy.

Pure functions over plain data (no database), so that the rule is tested on its
own and reused by the auditeur's pages, the centre's review and the jury.
"""

from dataclasses import dataclass, field

COUNT = "count"
ECTS = "ects"


@dataclass(frozen=True)
class GroupRule:
    label: str
    kind: str  # COUNT or ECTS
    required: int
    ues: dict  # UE code -> ECTS credits

    @property
    def unit(self):
        return "crédits ECTS" if self.kind == ECTS else "UE"


@dataclass(frozen=True)
class GroupResult:
    rule: GroupRule
    validated: tuple  # codes of the group's UEs the auditeur has validated
    remaining: tuple  # codes of the group's UEs still open to the auditeur
    obtained: int  # UEs or ECTS counted towards the group
    missing: int  # UEs or ECTS still needed (0 when satisfied)

    @property
    def satisfied(self):
        return self.missing == 0

    @property
    def summary(self):
        rule = self.rule
        if self.satisfied:
            return f"{rule.label} : condition remplie ({self.obtained} {rule.unit} sur {rule.required} exigés)."
        return (
            f"{rule.label} : il manque {self.missing} {rule.unit} "
            f"({self.obtained} sur {rule.required} exigés)."
        )


@dataclass(frozen=True)
class CursusResult:
    groups: tuple = field(default_factory=tuple)

    @property
    def satisfied(self):
        return bool(self.groups) and all(group.satisfied for group in self.groups)

    @property
    def unsatisfied(self):
        return tuple(group for group in self.groups if not group.satisfied)


def evaluate_group(validated_codes, rule):
    validated = tuple(sorted(code for code in rule.ues if code in validated_codes))
    remaining = tuple(sorted(code for code in rule.ues if code not in validated_codes))
    if rule.kind == ECTS:
        obtained = sum(rule.ues[code] for code in validated)
    else:
        obtained = len(validated)
    return GroupResult(
        rule=rule,
        validated=validated,
        remaining=remaining,
        obtained=obtained,
        missing=max(rule.required - obtained, 0),
    )


def evaluate_cursus(validated_codes, rules):
    """Each group of the diploma, satisfied or not, with what is missing.

    A diploma without groups is never satisfied: a DD for it cannot be checked.
    """
    validated_codes = frozenset(validated_codes)
    return CursusResult(groups=tuple(evaluate_group(validated_codes, rule) for rule in rules))


def count_validated_in(validated_codes, rules):
    """How many distinct UEs of the diploma the auditeur has validated (AEP anticipée)."""
    diploma_codes = set()
    for rule in rules:
        diploma_codes.update(rule.ues)
    return len(diploma_codes & frozenset(validated_codes))
