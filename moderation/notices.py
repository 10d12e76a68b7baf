"""Turning a plan into actions with texts, from Jinja2 templates a school can replace."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PackageLoader, StrictUndefined

from classifiers.categories import Category, Severity
from classifiers.judgement import Evidence
from config.schema import Clause, Settings
from moderation.actions import (
    Action,
    AlertModerators,
    AlertOffice,
    DeleteMessage,
    EscalateToSLT,
    RecommendRemoval,
    WarnPrivately,
)
from moderation.escalation import LETTERS, Plan

#: Categories for which the warning points the parent to the complaints route.
ROUTE_CATEGORIES = frozenset(
    {Category.STAFF_GRIEVANCE, Category.CHILD_CONCERN, Category.DEFAMATION, Category.CONFIDENTIAL}
)

LETTER_TEMPLATES = {
    "meeting_letter": "letters/meeting_letter.txt.j2",
    "stop_letter": "letters/stop_letter.txt.j2",
    "removal": "letters/removal_notice.txt.j2",
}


@dataclass(frozen=True, slots=True)
class NoticeContext:
    """Everything the notice templates may mention about one breach."""

    parent: str
    group: str
    text: str
    sent_at: datetime
    categories: tuple[Category, ...]
    severity: Severity
    clause: Clause
    strike: int
    case: int
    evidence: tuple[Evidence, ...] = ()
    history: tuple[str, ...] = field(default=())


class Notices:
    """Renders warnings, alerts and draft letters for one school."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        loaders: list[FileSystemLoader | PackageLoader] = [PackageLoader("moderation", "templates")]
        if settings.school.templates_dir is not None:
            loaders.insert(0, FileSystemLoader(settings.school.templates_dir))
        self.env = Environment(
            loader=ChoiceLoader(loaders),
            undefined=StrictUndefined,
            keep_trailing_newline=False,
            autoescape=False,
        )

    def render(self, template: str, ctx: NoticeContext, **extra: object) -> str:
        """Render one template with the breach's context."""
        slt = self.settings.school.slt
        values: dict[str, object] = {
            "school": self.settings.school,
            "parent": ctx.parent,
            "group": ctx.group,
            "text": ctx.text,
            "sent": ctx.sent_at.strftime("%-d %B at %H:%M"),
            "categories": [c.value for c in ctx.categories],
            "severity": ctx.severity.label,
            "clause": ctx.clause,
            "strike": ctx.strike,
            "case": ctx.case,
            "evidence": ctx.evidence[:4],
            "history": ctx.history,
            "count": len(ctx.history),
            "window_days": self.settings.escalation.window_days,
            "today": date.today().strftime("%-d %B %Y"),
            "signatory": f"{slt[0].name}, {slt[0].role}" if slt else self.settings.school.name,
            "urgent": False,
            "advice": None,
            "deleted": False,
            "route": False,
            "letter_title": None,
        }
        values.update(extra)
        return self.env.get_template(template).render(values).strip()

    def actions(self, plan: Plan, ctx: NoticeContext) -> tuple[Action, ...]:
        """The actions a plan calls for, each with its rendered text."""
        out: list[Action] = []
        common = {"advice": plan.advice, "deleted": plan.delete}
        if plan.delete:
            out.append(DeleteMessage())
        if plan.warn:
            route = bool(ROUTE_CATEGORIES.intersection(ctx.categories))
            out.append(WarnPrivately(self.render("warning.txt.j2", ctx, route=route, **common)))
        if plan.alert_moderators:
            text = self.render("moderator_alert.txt.j2", ctx, urgent=plan.urgent, **common)
            out.append(AlertModerators(text=text, urgent=plan.urgent))
        if plan.escalate:
            template = LETTER_TEMPLATES.get(plan.letter or "")
            letter = self.render(template, ctx) if template else None
            title = LETTERS.get(plan.letter or "")
            text = self.render("slt_alert.txt.j2", ctx, letter_title=title, **common)
            out.append(EscalateToSLT(text=text, letter=letter, advice=plan.advice))
        if plan.alert_office:
            out.append(AlertOffice(self.render("office_alert.txt.j2", ctx)))
        if plan.recommend_removal:
            out.append(RecommendRemoval(self.render("removal.txt.j2", ctx)))
        return tuple(out)
