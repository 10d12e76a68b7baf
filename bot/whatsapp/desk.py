"""Answering one-to-one messages to the school's number: who sent it, and which command."""

from __future__ import annotations

from bot.whatsapp.inbound import DirectMessage, parse_command
from bot.whatsapp.moderator_desk import ModeratorDesk, roles_of
from bot.whatsapp.parent_desk import ParentDesk

MODERATOR_VERBS = frozenset({"FP", "CONFIRM", "REMOVE"})

NOT_A_MODERATOR = (
    "Sorry, only the group's moderators can do that. If you think ClassGuard got your own "
    "message wrong, reply APPEAL and the case number, then your reason."
)


class DirectDesk:
    """Routes a message to the moderators' or the parents' desk and returns the reply."""

    def __init__(self, moderators: ModeratorDesk, parents: ParentDesk) -> None:
        self.moderators = moderators
        self.parents = parents
        self.settings = parents.settings

    def reply(self, message: DirectMessage) -> str:
        """The text to send back to the sender."""
        if message.forwarded:
            return self.parents.report(message)
        command = parse_command(message.body)
        if command is None:
            return self.parents.greeting()
        roles = roles_of(self.settings, message.sender)
        if command.verb in MODERATOR_VERBS:
            return self.moderators.act(roles, command) if roles else NOT_A_MODERATOR
        if command.verb == "APPEAL":
            return self.parents.appeal(message, command)
        if command.verb == "POLICY":
            return self.parents.policy()
        return self.parents.help(moderator=bool(roles))
