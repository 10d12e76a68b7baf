"""Parents' names for warnings and alerts, looked up once and remembered for a while.

Twilio's message webhooks name the author only by WhatsApp number; the name
lives in the participant's attributes, set by ``classguard whatsapp add``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from bot.whatsapp.addresses import masked
from bot.whatsapp.client import TwilioFailure
from bot.whatsapp.conversations import ClassGroups

log = logging.getLogger(__name__)

#: How long a name is trusted before it is looked up again.
KNOWN_FOR = 3600.0
#: How long to wait before asking Twilio again after a failed lookup.
RETRY_AFTER = 60.0


def fallback_name(address: str) -> str:
    """What a parent is called when their name is unknown: never their whole number."""
    return f"the parent on {masked(address)}"


class ParticipantNames:
    """Participant SID → display name, cached; safe to use from several threads."""

    def __init__(
        self, groups: ClassGroups | None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.groups = groups
        self.clock = clock
        self._known: dict[str, tuple[str, float]] = {}
        self._lock = threading.Lock()

    def name(self, conversation_sid: str, participant_sid: str | None, address: str) -> str:
        """The participant's name, or a masked stand-in when Twilio cannot say."""
        if participant_sid is None or self.groups is None:
            return fallback_name(address)
        now = self.clock()
        with self._lock:
            known = self._known.get(participant_sid)
        if known is not None and known[1] > now:
            return known[0]
        try:
            found = self.groups.participant(conversation_sid, participant_sid).name
            name, until = found or fallback_name(address), now + KNOWN_FOR
        except TwilioFailure as exc:
            log.warning("cannot look up a participant's name: %s", exc)
            name, until = fallback_name(address), now + RETRY_AFTER
        with self._lock:
            self._known[participant_sid] = (name, until)
        return name
