"""What every part of the Telegram adapter shares: settings, stores, gateway and pipeline."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from bot.telegram.bindings import PLATFORM
from bot.telegram.gateway import Gateway
from bot.telegram.groups import GroupDirectory
from bot.telegram.pending import PendingWarnings
from bot.telegram.refs import MemberRefs
from classifiers.judgement import Classifier
from config.schema import Settings
from moderation.cases import CaseBook
from moderation.pipeline import Pipeline
from storage.repository import IncidentLog


@dataclass
class BotContext:
    """The adapter's shared state; one per running bot."""

    log: IncidentLog
    classifier: Classifier
    directory: GroupDirectory
    gateway: Gateway
    clock: Callable[[], datetime]
    pending: PendingWarnings = field(init=False)
    refs: MemberRefs = field(init=False)
    cases: CaseBook = field(init=False)
    #: Held while a message is judged and its parent's id kept, so that an alert
    #: is never delivered between the two (it would lack its Remove button).
    judging: asyncio.Lock = field(default_factory=asyncio.Lock)
    _pipeline: Pipeline | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self.pending = PendingWarnings(self.log)
        self.refs = MemberRefs(self.log)
        self.cases = CaseBook(self.log, self.clock)

    @property
    def settings(self) -> Settings:
        """The school's settings with the groups bound or overridden in the chat."""
        return self.directory.settings

    def pipeline(self) -> Pipeline:
        """The pipeline for the current groups (rebuilt after ``/setup`` or ``/mode``)."""
        if self._pipeline is None or self._pipeline.settings is not self.directory.settings:
            self._pipeline = Pipeline(
                self.directory.settings, self.classifier, self.log, clock=self.clock
            )
        return self._pipeline

    def pseudonym(self, user_id: int | str) -> str:
        """How the incident log knows a Telegram user."""
        return self.log.pseudonym(PLATFORM, str(user_id))

    def now(self) -> datetime:
        """The adapter's clock."""
        return self.clock()
