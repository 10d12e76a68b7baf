"""Parents' one-to-one messages: ``APPEAL``, ``HELP``, ``POLICY`` and forwarded reports."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from bot.whatsapp.addresses import masked
from bot.whatsapp.client import TwilioFailure
from bot.whatsapp.conversations import ClassGroups
from bot.whatsapp.inbound import Command, DirectMessage
from bot.whatsapp.notify import queue_moderator_alert
from classifiers.judgement import Classifier
from config.schema import Group, Settings
from moderation.cases import CaseBook, CaseError
from moderation.message import Platform
from moderation.policy import assess
from storage.repository import IncidentLog

log = logging.getLogger(__name__)

#: The longest reason or report passed on to moderators.
PASSED_ON = 1000


class ParentDesk:
    """Answers parents writing to the school's WhatsApp number."""

    def __init__(
        self,
        settings: Settings,
        log: IncidentLog,
        cases: CaseBook,
        groups: ClassGroups | None,
        classifier: Classifier,
        clock: Callable[[], datetime],
    ) -> None:
        self.settings = settings
        self.log = log
        self.cases = cases
        self.groups = groups
        self.classifier = classifier
        self.clock = clock

    def appeal(self, message: DirectMessage, command: Command) -> str:
        """Record an appeal against one of the parent's own cases and tell the moderators."""
        if command.case is None:
            return "Please add the case number from my message, for example: APPEAL 12 and why."
        pseudonym = self.log.pseudonym(Platform.WHATSAPP.value, message.sender)
        try:
            case = self.cases.get(command.case)
        except CaseError:
            case = None
        if case is None or case.incident.person.pseudonym != pseudonym:
            return (
                f"I cannot find a case #{command.case} about you. Please check the number in "
                "my message to you."
            )
        reason = command.rest[:PASSED_ON] or "(no reason given)"
        name = case.incident.person.display_name
        self.cases.note(case.id, name, reason, kind="appeal")
        group = self.settings.group(case.incident.platform, case.incident.group_id)
        queue_moderator_alert(
            self.log,
            case.incident.group_id,
            f"{name} appeals against case #{case.id}"
            f'{f" in {group.name}" if group else ""}:\n"{reason}"',
            self.clock(),
            incident_id=case.id,
            platform=case.incident.platform,
        )
        return (
            f"Thank you. Your appeal on case #{case.id} is with the group's moderators, who "
            "will look at it again."
        )

    def report(self, message: DirectMessage) -> str:
        """Pass a forwarded message to the moderators of the sender's class groups."""
        if not message.body:
            return (
                "Thank you. I can only pass on forwarded text, so please tell the class teacher "
                "what was posted and when."
            )
        groups = self._groups_of(message.sender)
        if not groups:
            office = self.settings.school.office_contact or "the school office"
            return (
                "Thank you. I cannot find a class group of yours that ClassGuard looks after, "
                f"so please pass this on to {office}."
            )
        reading = self._reading(message.body)
        for group in groups:
            reporter = self._name_in(group, message.sender)
            queue_moderator_alert(
                self.log,
                group.chat_id,
                f"{group.name}: {reporter} forwarded this message to ClassGuard as a report:\n"
                f'"{message.body[:PASSED_ON]}"\n{reading}',
                self.clock(),
            )
        names = ", ".join(g.name for g in groups)
        return f"Thank you for reporting this. The moderators of {names} will look at it."

    def _groups_of(self, address: str) -> list[Group]:
        if self.groups is None:
            return []
        try:
            sids = set(self.groups.conversations_of(address))
        except TwilioFailure as exc:
            log.warning("cannot look up the reporter's groups: %s", exc)
            return []
        return [g for g in self.settings.groups if g.platform == "whatsapp" and g.chat_id in sids]

    def _name_in(self, group: Group, address: str) -> str:
        assert self.groups is not None
        try:
            member = self.groups.find(group.chat_id, address)
        except TwilioFailure:
            member = None
        return member.name if member and member.name else f"the parent on {masked(address)}"

    def _reading(self, text: str) -> str:
        assessment = assess(self.classifier.judge_many([text])[0], self.settings)
        if assessment.clause is None:
            return "ClassGuard finds nothing in it against the code of conduct."
        return (
            f"ClassGuard reads it as contrary to section {assessment.clause.id} "
            f"({assessment.clause.title}), severity {assessment.severity.label}."
        )

    def help(self, moderator: bool) -> str:
        """What can be sent to the school's number."""
        lines = [
            f"This is ClassGuard for {self.settings.school.name}. You can send:",
            "APPEAL and a case number, then your reason: a moderator looks at the case again",
            "POLICY: the code of conduct for class groups",
            "A message forwarded from your class group: the moderators look at it",
        ]
        if moderator:
            lines += [
                "As a moderator, also:",
                "FP and a case number: the case was a mistake (the strike is taken back)",
                "CONFIRM and a case number: uphold the case",
                "REMOVE and a case number: remove the parent from the group",
            ]
        if self.settings.school.office_contact:
            lines.append(f"Anything else: {self.settings.school.office_contact}")
        return "\n".join(lines)

    def policy(self) -> str:
        """The code of conduct in brief, with where to read it in full."""
        school = self.settings.school
        lines = [f"{school.name}: code of conduct for parents' class groups"]
        lines += [f"{c.id} {c.title}" for c in self.settings.clauses]
        if school.code_of_conduct_url:
            lines.append(f"Read it in full: {school.code_of_conduct_url}")
        return "\n".join(lines)

    def greeting(self) -> str:
        """The answer to anything that is not a command."""
        school = self.settings.school.name
        return f"This is ClassGuard for {school}. Reply HELP to see what I can do."
