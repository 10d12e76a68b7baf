"""normalise → classify → decide (policy + history) → record → actions.

The pipeline is the only place that turns a :class:`Message` into a
:class:`Decision`. It never talks to a platform: adapters execute the actions,
which are also queued in the outbox in the same transaction as the incident.
"""

from __future__ import annotations

import hashlib
import logging
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

from classifiers.categories import Severity
from classifiers.judgement import Classifier, Judgement, Roster
from config.schema import Group, Mode, Settings
from moderation.actions import Action, AlertModerators, WarnPrivately
from moderation.decision import Decision
from moderation.escalation import plan
from moderation.message import Message
from moderation.notices import NoticeContext, Notices
from moderation.policy import Assessment, assess
from storage.models import Incident, OutboxItem
from storage.outbox import OutboxQueue
from storage.repository import DuplicateIncident, IncidentLog, group_key

log = logging.getLogger(__name__)


def dedupe_key(message: Message) -> str:
    """One key per platform message revision: a redelivery maps to the same key."""
    raw = f"{message.platform}|{message.group_id}|{message.message_id}|{message.revision}"
    return hashlib.sha256(raw.encode()).hexdigest()


def roster_for(group: Group | None) -> Roster | None:
    """The classifier's view of a configured group's roster."""
    if group is None:
        return None
    return Roster(
        pupils=tuple(group.roster.pupils),
        staff=tuple((s.name, s.role) for s in group.roster.staff),
    )


class Pipeline:
    """Judges messages for one school and records what it decided."""

    def __init__(
        self,
        settings: Settings,
        classifier: Classifier,
        log: IncidentLog,
        *,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.settings = settings
        self.classifier = classifier
        self.log = log
        self.queue = OutboxQueue(log)
        self.notices = Notices(settings)
        self.clock = clock or (lambda: datetime.now(UTC))

    def process(self, message: Message) -> Decision:
        """Judge, decide and record one message."""
        return self.process_many([message])[0]

    def process_many(self, messages: Sequence[Message]) -> list[Decision]:
        """Judge a batch (classified together per group, which is faster), in order."""
        by_group: dict[tuple[str, str], list[int]] = defaultdict(list)
        for index, message in enumerate(messages):
            by_group[(message.platform.value, message.group_id)].append(index)
        judgements: dict[int, Judgement] = {}
        for (platform, chat_id), indexes in by_group.items():
            batch = [messages[i] for i in indexes]
            results = self.classifier.judge_many(
                [m.text for m in batch],
                media=[m.media.value if m.media else None for m in batch],
                images=[m.image for m in batch],
                roster=roster_for(self.settings.group(platform, chat_id)),
            )
            judgements.update(zip(indexes, results, strict=True))
        return [self.decide(m, judgements[i]) for i, m in enumerate(messages)]

    def decide(self, message: Message, judgement: Judgement) -> Decision:
        """Apply the school's policy and the parent's history to a judgement, and record it."""
        group = self.settings.group(message.platform.value, message.group_id)
        mode = group.mode if group is not None else Mode.OBSERVE
        assessment = assess(judgement, self.settings)
        if assessment.clause is None:
            self.log.count_message(
                group_key(message.platform.value, message.group_id), message.sent_at.date()
            )
            return Decision(scores=dict(judgement.scores), mode=mode)
        key = dedupe_key(message)
        existing = self.log.find_by_dedupe_key(key)
        if existing is not None:
            return self._duplicate(existing, assessment, mode)
        try:
            return self._record(message, judgement, assessment, group, mode, key)
        except DuplicateIncident:
            existing = self.log.find_by_dedupe_key(key)
            assert existing is not None
            return self._duplicate(existing, assessment, mode)

    def _duplicate(self, incident: Incident, assessment: Assessment, mode: Mode) -> Decision:
        log.debug("duplicate delivery of incident %s", incident.id)
        return Decision(
            categories=assessment.categories,
            severity=assessment.severity,
            clause=assessment.clause,
            mode=mode,
            incident_id=incident.id,
            strike=incident.strike,
            step=incident.step,
            duplicate=True,
        )

    def _record(
        self,
        message: Message,
        judgement: Judgement,
        assessment: Assessment,
        group: Group | None,
        mode: Mode,
        key: str,
    ) -> Decision:
        assert assessment.clause is not None
        now = self.clock()
        pseudonym = self.log.pseudonym(message.platform.value, message.sender_id)
        window = timedelta(days=self.settings.escalation.window_days)
        counts = not self.log.message_flagged_before(
            message.platform.value, message.group_id, message.message_id
        )
        earlier = self.log.strikes(
            pseudonym, message.sent_at - window, message.sent_at, observed=mode is Mode.OBSERVE
        )
        strike = len(earlier) + 1 if counts else 0
        the_plan = plan(
            assessment.categories, assessment.severity, strike, mode, self.settings.escalation
        )
        history = tuple(self._history_line(i.sent_at, i.clause_id) for i in earlier)
        history += (self._history_line(message.sent_at, assessment.clause.id),)
        incident = Incident(
            dedupe_key=key,
            platform=message.platform.value,
            group_id=message.group_id,
            message_ref=message.message_id,
            sent_at=message.sent_at,
            recorded_at=now,
            text=message.text,
            media=message.media.value if message.media else None,
            categories=[c.value for c in assessment.categories],
            scores={c.value: round(s, 4) for c, s in judgement.scores.items()},
            evidence=[e.to_dict() for e in judgement.evidence],
            severity=int(assessment.severity),
            clause_id=assessment.clause.id,
            mode=mode.value,
            strike=1 if strike else 0,
            step=the_plan.step,
            advice=the_plan.advice,
        )
        actions: tuple[Action, ...] = ()

        def outbox_for(incident_id: int) -> list[OutboxItem]:
            nonlocal actions
            assert assessment.clause is not None
            ctx = NoticeContext(
                parent=message.sender_name,
                group=group.name if group else message.group_id,
                text=message.text or f"[{message.media or 'media'}]",
                sent_at=message.sent_at,
                categories=assessment.categories,
                severity=assessment.severity,
                clause=assessment.clause,
                strike=max(strike, len(earlier)),
                case=incident_id,
                evidence=judgement.evidence,
                history=history,
            )
            actions = self.notices.actions(the_plan, ctx)
            if mode is Mode.OBSERVE:
                return []
            return [self._outbox_item(message, action, assessment, now) for action in actions]

        recorded = self.log.record(incident, pseudonym, message.sender_name, outbox_for, now)
        return Decision(
            categories=assessment.categories,
            severity=assessment.severity,
            clause=assessment.clause,
            scores=dict(judgement.scores),
            evidence=judgement.evidence,
            actions=() if mode is Mode.OBSERVE else actions,
            would_have=actions if mode is Mode.OBSERVE else (),
            mode=mode,
            incident_id=recorded.id,
            strike=strike,
            step=the_plan.step,
        )

    def _history_line(self, sent_at: datetime, clause_id: str | None) -> str:
        clause = next((c for c in self.settings.clauses if c.id == clause_id), None)
        title = f"section {clause.id} ({clause.title})" if clause else "the code of conduct"
        return f"{sent_at:%-d %B %Y}: a message contrary to {title}"

    def _outbox_item(
        self, message: Message, action: Action, assessment: Assessment, now: datetime
    ) -> OutboxItem:
        """A queued notification; low-severity moderator alerts wait for the group's batch."""
        batch_key, due = None, now
        if isinstance(action, AlertModerators) and assessment.severity <= Severity.LOW:
            batch_key = f"{message.platform.value}:{message.group_id}:moderators"
            every = timedelta(minutes=self.settings.escalation.low_alert_batch_minutes)
            last = self.queue.last_batch_time(batch_key)
            if last is None:
                due = now
            elif last > now:
                due = last  # join the batch already waiting to go
            else:
                due = max(now, last + every)
        return OutboxItem(
            created_at=now,
            platform=message.platform.value,
            group_id=message.group_id,
            kind=action.kind,
            recipient=message.sender_id if isinstance(action, WarnPrivately) else None,
            payload={**action.to_payload(), "message_ref": message.message_id},
            batch_key=batch_key,
            status="pending",
            attempts=0,
            next_attempt_at=due,
        )
