"""Moderators' replies on WhatsApp: ``FP``, ``CONFIRM`` and ``REMOVE`` a case.

Only a moderator of the case's group may act on it; the sender is recognised by
the ``whatsapp`` number the config gives them.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

from bot.whatsapp.addresses import PhoneError, whatsapp_address
from bot.whatsapp.client import TwilioFailure
from bot.whatsapp.conversations import ClassGroups
from bot.whatsapp.inbound import Command
from config.schema import Group, Moderator, Settings
from moderation.cases import Case, CaseBook, CaseError, CaseState
from moderation.message import Platform
from storage.repository import IncidentLog


@dataclass(frozen=True, slots=True)
class Role:
    """A moderator's place in one group."""

    group: Group
    moderator: Moderator


def roles_of(settings: Settings, address: str) -> list[Role]:
    """The groups whose config names this WhatsApp address as a moderator."""
    region = settings.whatsapp.phone_region
    found = []
    for group in settings.groups:
        for moderator in group.moderators:
            if moderator.whatsapp is None:
                continue
            try:
                if whatsapp_address(moderator.whatsapp, region) == address:
                    found.append(Role(group, moderator))
            except PhoneError:
                continue
    return found


class ModeratorDesk:
    """Carries out a moderator's command on a case and says what happened."""

    def __init__(
        self,
        settings: Settings,
        log: IncidentLog,
        cases: CaseBook,
        groups: ClassGroups | None,
        *,
        dry_run: bool = False,
    ) -> None:
        self.settings = settings
        self.log = log
        self.cases = cases
        self.groups = groups
        self.dry_run = dry_run

    def act(self, roles: list[Role], command: Command) -> str:
        """The reply to ``FP``/``CONFIRM``/``REMOVE`` from a moderator."""
        if command.case is None:
            return f"Please add the case number, for example: {command.verb} 12"
        try:
            case = self.cases.get(command.case)
        except CaseError as exc:
            return f"Sorry, {exc}."
        role = next(
            (
                r
                for r in roles
                if r.group.platform == case.incident.platform
                and r.group.chat_id == case.incident.group_id
            ),
            None,
        )
        if role is None:
            return f"Sorry, case #{case.id} is not in a group you moderate."
        actor = f"{role.moderator.name} (WhatsApp)"
        try:
            if command.verb == "FP":
                self.cases.move(case.id, CaseState.FALSE_POSITIVE, actor, command.rest or None)
                return (
                    f"Case #{case.id} is marked a mistake; it no longer counts against "
                    f"{case.incident.person.display_name}."
                )
            if command.verb == "CONFIRM":
                self.cases.move(case.id, CaseState.CONFIRMED, actor, command.rest or None)
                return f"Case #{case.id} is confirmed."
            return self._remove(case, role, actor)
        except CaseError as exc:
            return f"Sorry, {exc}."

    def _remove(self, case: Case, role: Role, actor: str) -> str:
        """Remove the case's parent from its WhatsApp group and mark the case actioned."""
        name = case.incident.person.display_name
        if role.group.platform != Platform.WHATSAPP.value or self.groups is None:
            return f"Case #{case.id} is not in a WhatsApp group: please remove {name} there."
        if case.state not in (CaseState.OPEN, CaseState.CONFIRMED):
            return f"Case #{case.id} is {case.state.value.replace('_', ' ')}, so nobody is removed."
        if self.dry_run:
            return f"Dry run: {name} would be removed from {role.group.name}; nothing changed."
        try:
            member = next(
                (
                    p
                    for p in self.groups.participants(role.group.chat_id)
                    if p.address and self._pseudonym(p.address) == case.incident.person.pseudonym
                ),
                None,
            )
            if member is None:
                return f"{name} is no longer in {role.group.name}."
            self.groups.remove(role.group.chat_id, member.sid)
        except TwilioFailure as exc:
            return f"Sorry, WhatsApp did not remove {name}: {exc}. Please try again later."
        note = f"removed from {role.group.name}"
        if case.state is CaseState.OPEN:
            self.cases.move(case.id, CaseState.CONFIRMED, actor, note)
        self.cases.move(case.id, CaseState.ACTIONED, actor, note)
        return f"{name} has been removed from {role.group.name}; case #{case.id} is actioned."

    def _pseudonym(self, address: str) -> str:
        with contextlib.suppress(PhoneError):
            address = whatsapp_address(address, self.settings.whatsapp.phone_region)
        return self.log.pseudonym(Platform.WHATSAPP.value, address)
