"""The policy categories ClassGuard judges, and the severity scale."""

from __future__ import annotations

from enum import IntEnum, StrEnum


class Category(StrEnum):
    """A kind of behaviour the schools' codes of conduct forbid in class groups."""

    ABUSE = "abuse"
    THREAT = "threat"
    DISCRIMINATION = "discrimination"
    CHILD_CONCERN = "child_concern"
    STAFF_GRIEVANCE = "staff_grievance"
    DEFAMATION = "defamation"
    POLITICAL = "political"
    PRIVATE_CHAT = "private_chat"
    SECURITY = "security"
    CONFIDENTIAL = "confidential"
    PUPIL_IMAGE = "pupil_image"


#: Breaches that harm a person, where a miss costs most: thresholds favour recall, the
#: neighbours' vote never overrules the trained head, and OLID's "offensive" means any of them.
HARMFUL = frozenset({Category.ABUSE, Category.THREAT, Category.DISCRIMINATION})


class Severity(IntEnum):
    """How serious a breach is; ordered so that ``max`` picks the worst."""

    NONE = 0
    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4

    @property
    def label(self) -> str:
        """The lower-case name used in JSON output and config files."""
        return self.name.lower()

    @classmethod
    def parse(cls, value: str | int | Severity) -> Severity:
        """Accept ``"high"``, ``3`` or ``Severity.HIGH``."""
        if isinstance(value, Severity):
            return value
        if isinstance(value, int):
            return cls(value)
        return cls[value.strip().upper()]


#: The severity a category carries when the school's config does not say otherwise.
DEFAULT_SEVERITY: dict[Category, Severity] = {
    Category.ABUSE: Severity.MEDIUM,
    Category.THREAT: Severity.CRITICAL,
    Category.DISCRIMINATION: Severity.CRITICAL,
    Category.CHILD_CONCERN: Severity.HIGH,
    Category.STAFF_GRIEVANCE: Severity.MEDIUM,
    Category.DEFAMATION: Severity.HIGH,
    Category.POLITICAL: Severity.LOW,
    Category.PRIVATE_CHAT: Severity.LOW,
    Category.SECURITY: Severity.HIGH,
    Category.CONFIDENTIAL: Severity.MEDIUM,
    Category.PUPIL_IMAGE: Severity.MEDIUM,
}
