"""The school's configuration, validated with pydantic.

Secrets never live here: tokens and passwords come from environment variables
(see :mod:`config.secrets`). Everything a moderator may want to read or change,
clauses, the ladder, thresholds, rosters, is data in this file.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from classifiers.categories import Category, Severity
from classifiers.precision import Precision
from config.phones import PhoneError, normalise_phone


class Strict(BaseModel):
    """Base model that rejects unknown keys, so a typo in the YAML is reported."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Mode(StrEnum):
    """What ClassGuard may do in a group."""

    OBSERVE = "observe"
    WARN = "warn"
    ENFORCE = "enforce"


class StaffMember(Strict):
    """A member of staff named in a class roster."""

    name: str = Field(min_length=1)
    role: str = "staff"


class Roster(Strict):
    """A class's pupils (first names) and staff; also accepted alone by ``--roster``."""

    pupils: list[str] = Field(default_factory=list)
    staff: list[StaffMember] = Field(default_factory=list)

    @field_validator("pupils")
    @classmethod
    def _strip_pupils(cls, names: list[str]) -> list[str]:
        cleaned = [n.strip() for n in names]
        if any(not n for n in cleaned):
            raise ValueError("pupil names must not be empty")
        return cleaned


class Clause(Strict):
    """One clause of the school's code of conduct, in the school's own words."""

    id: str = Field(min_length=1)
    title: str = Field(min_length=1)
    wording: str = Field(min_length=1)
    category: Category
    severity: Severity | None = None

    @field_validator("severity", mode="before")
    @classmethod
    def _parse_severity(cls, value: object) -> object:
        if isinstance(value, str):
            try:
                return Severity.parse(value)
            except KeyError as exc:
                raise ValueError(
                    "severity must be one of none, low, medium, high, critical"
                ) from exc
        return value


class Moderator(Strict):
    """Someone who receives alerts for a group and may act on its cases."""

    name: str = Field(min_length=1)
    telegram_user_id: int | None = None
    whatsapp: str | None = None
    email: str | None = None


class Group(Strict):
    """A class group ClassGuard watches."""

    platform: str = Field(pattern="^(telegram|whatsapp|export)$")
    chat_id: str = Field(min_length=1)
    name: str = Field(min_length=1)
    mode: Mode = Mode.WARN
    moderators: list[Moderator] = Field(default_factory=list)
    moderators_chat_id: str | None = None
    roster: Roster = Field(default_factory=Roster)
    #: WhatsApp groups: the number this class's Conversation uses (default whatsapp.group_sender).
    whatsapp_sender: str | None = None

    @field_validator("chat_id", mode="before")
    @classmethod
    def _chat_id_as_text(cls, value: object) -> object:
        return str(value) if isinstance(value, int) else value


class SltMember(Strict):
    """A member of the senior leadership team."""

    name: str = Field(min_length=1)
    role: str = Field(min_length=1)
    email: str | None = None
    telegram_user_id: int | None = None


class WhatsApp(Strict):
    """The school's WhatsApp numbers and Twilio resources; credentials come from the environment.

    Class groups and one-to-one messages need different numbers: WhatsApp routes a
    parent's message to the school's number into the class group that parent is in.
    """

    #: The school's number for one-to-one messages: warnings, alerts, appeals, commands.
    sender: str | None = None
    #: Send one-to-one messages through this Messaging Service instead of from ``sender``.
    messaging_service_sid: str | None = Field(default=None, pattern="^MG[0-9a-fA-F]{32}$")
    #: The Conversations service that holds the class groups.
    conversations_service_sid: str | None = Field(default=None, pattern="^IS[0-9a-fA-F]{32}$")
    #: The number class groups use, unless a group names its own ``whatsapp_sender``.
    group_sender: str | None = None
    #: An approved template for messages outside WhatsApp's 24-hour window.
    template_content_sid: str | None = Field(default=None, pattern="^HX[0-9a-fA-F]{32}$")
    #: Where a number written without its country code is read.
    phone_region: str = Field(default="GB", pattern="^[A-Z]{2}$")


class LadderStep(Strict):
    """One rung of the escalation ladder: from the ``strikes``-th breach on."""

    strikes: int = Field(ge=1)
    action: str = Field(pattern="^(warn|alert_moderators|meeting_letter|stop_letter|removal)$")


def _default_ladder() -> list[LadderStep]:
    return [
        LadderStep(strikes=1, action="warn"),
        LadderStep(strikes=2, action="alert_moderators"),
        LadderStep(strikes=3, action="meeting_letter"),
        LadderStep(strikes=4, action="stop_letter"),
        LadderStep(strikes=5, action="removal"),
    ]


class Escalation(Strict):
    """How breaches add up for one parent."""

    window_days: int = Field(default=90, ge=1)
    ladder: list[LadderStep] = Field(default_factory=_default_ladder)
    low_alert_batch_minutes: int = Field(default=60, ge=0)

    @model_validator(mode="after")
    def _ladder_ordered(self) -> Escalation:
        counts = [s.strikes for s in self.ladder]
        if counts != sorted(set(counts)):
            raise ValueError("ladder steps must have distinct, increasing strike counts")
        return self


class Digest(Strict):
    """When and where the weekly SLT digest goes."""

    day_of_week: str = Field(default="fri", pattern="^(mon|tue|wed|thu|fri|sat|sun)$")
    hour: int = Field(default=16, ge=0, le=23)
    minute: int = Field(default=0, ge=0, le=59)
    timezone: str = "Europe/London"
    email_to: list[str] = Field(default_factory=list)
    telegram_chat_id: str | None = None


class Telegram(Strict):
    """How the Telegram bot runs; its token and webhook secret come from the environment."""

    #: The public HTTPS address Telegram posts updates to; long polling when unset.
    webhook_url: str | None = Field(default=None, pattern="^https?://")
    #: Where the webhook server listens (behind the reverse proxy that serves webhook_url).
    webhook_listen: str = "0.0.0.0"
    webhook_port: int = Field(default=8443, ge=1, le=65535)
    #: How long the neutral "ClassGuard has a message for you" notice stays in a group.
    notice_minutes: int = Field(default=5, ge=1, le=1440)
    #: How long a warning waits for a parent who has never started a chat with the bot.
    pending_warning_days: int = Field(default=30, ge=1)
    #: How many messages one member may /report in an hour.
    reports_per_hour: int = Field(default=5, ge=1)
    #: A Telegram chat for senior leadership: SLT escalations (with draft letters) go there.
    slt_chat_id: str | None = None

    @field_validator("slt_chat_id", mode="before")
    @classmethod
    def _chat_id_as_text(cls, value: object) -> object:
        return str(value) if isinstance(value, int) else value


class ClassifierSettings(Strict):
    """Overrides for the classifiers."""

    thresholds: dict[Category, float] = Field(default_factory=dict)
    precision: Precision = Precision.AUTO
    detoxify_checkpoint: Path | None = None
    detoxify_model: str | None = None

    @field_validator("thresholds")
    @classmethod
    def _in_unit_range(cls, values: dict[Category, float]) -> dict[Category, float]:
        for category, value in values.items():
            if not 0.0 < value < 1.0:
                raise ValueError(f"threshold for {category} must be between 0 and 1")
        return values


class School(Strict):
    """The school itself."""

    name: str = Field(min_length=1)
    code_of_conduct_url: str | None = None
    complaint_route: str = Field(min_length=1)
    office_contact: str | None = None
    office_email: str | None = None
    slt: list[SltMember] = Field(default_factory=list)
    retention_days: int = Field(default=365, ge=1)
    #: A folder of Jinja2 templates that replace the bundled warning and letter texts.
    templates_dir: Path | None = None


class Settings(Strict):
    """The whole configuration file."""

    school: School
    clauses: list[Clause] = Field(min_length=1)
    groups: list[Group] = Field(default_factory=list)
    whatsapp: WhatsApp = Field(default_factory=WhatsApp)
    escalation: Escalation = Field(default_factory=Escalation)
    digest: Digest = Field(default_factory=Digest)
    classifier: ClassifierSettings = Field(default_factory=ClassifierSettings)
    telegram: Telegram = Field(default_factory=Telegram)

    @model_validator(mode="after")
    def _unique_ids(self) -> Settings:
        ids = [c.id for c in self.clauses]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"duplicate clause ids: {', '.join(dupes)}")
        keys = [(g.platform, g.chat_id) for g in self.groups]
        if len(keys) != len(set(keys)):
            raise ValueError("two groups share the same platform and chat_id")
        return self

    @model_validator(mode="after")
    def _whatsapp_numbers(self) -> Settings:
        """Every WhatsApp number must be valid, and groups must not use the one-to-one number."""
        region = self.whatsapp.phone_region
        numbers: list[tuple[str, str | None]] = [
            ("whatsapp.sender", self.whatsapp.sender),
            ("whatsapp.group_sender", self.whatsapp.group_sender),
        ]
        for i, group in enumerate(self.groups):
            numbers.append((f"groups[{i}].whatsapp_sender", group.whatsapp_sender))
            for j, moderator in enumerate(group.moderators):
                numbers.append((f"groups[{i}].moderators[{j}].whatsapp", moderator.whatsapp))
        normalised: dict[str, str] = {}
        for where, raw in numbers:
            if raw is not None:
                try:
                    normalised[where] = normalise_phone(raw, region)
                except PhoneError as exc:
                    raise ValueError(f"{where}: {exc}") from None
        one_to_one = normalised.pop("whatsapp.sender", None)
        for where, number in normalised.items():
            if where.endswith("sender") and number == one_to_one:
                raise ValueError(f"{where}: class groups need a number other than whatsapp.sender")
        return self

    def clause_for(self, category: Category) -> Clause | None:
        """The first clause that covers ``category``, if the school has one."""
        return next((c for c in self.clauses if c.category == category), None)

    def group(self, platform: str, chat_id: str) -> Group | None:
        """The configured group for a platform chat, if any."""
        return next(
            (g for g in self.groups if g.platform == platform and g.chat_id == chat_id), None
        )
