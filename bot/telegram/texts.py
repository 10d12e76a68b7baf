"""What the bot says in chats, in plain and kind British English.

Warnings, alerts and letters are rendered by the pipeline from the school's
templates; these are the adapter's own words: introductions, help and replies.
"""

from __future__ import annotations

from html import escape

from config.schema import Group, Mode, Settings

MODE_MEANINGS = {
    Mode.OBSERVE: "I only keep a record; nobody is contacted",
    Mode.WARN: "I warn authors privately and alert the moderators when it is serious",
    Mode.ENFORCE: (
        "as in warn mode, and I also remove high and critical severity messages from the group"
    ),
}


def code_of_conduct(settings: Settings) -> str:
    """Where the school's code of conduct is."""
    url = settings.school.code_of_conduct_url
    return (
        f"the school's code of conduct for parents: {url}"
        if url
        else ("the school's code of conduct for parents (type /policy to read it)")
    )


def introduction(settings: Settings, *, group: Group | None, needs: str | None) -> str:
    """Posted when the bot joins a group."""
    school = settings.school
    lines = [
        f"Hello everyone! I'm ClassGuard, {school.name}'s helper for this parents' group.",
        "",
        f"I read the messages here to help keep the group within {code_of_conduct(settings)}.",
        "If a message may not fit it, I send its author a private, friendly note (nobody in "
        "the group is told) and, when it is serious, I tell the class moderators.",
        "",
        "What I keep: only messages that may break the code, for up to "
        f"{school.retention_days} days, with people known by a code rather than their "
        "account. For every other message I keep nothing but a daily count. "
        "/privacy has the details, /policy the code itself.",
    ]
    if needs:
        lines += ["", needs]
    if group is not None and group.mode is Mode.OBSERVE:
        lines += ["", "For now this group is in observe mode: I keep a record and contact nobody."]
    if group is None:
        lines += [
            "",
            "This group is not set up yet, so for now I only observe. A group admin can send "
            "/setup to switch me on.",
        ]
    return "\n".join(lines)


ADMIN_NEEDS = (
    "Group admins, for me to do this job I need: to be an administrator with the "
    '"Delete messages" and "Ban users" rights (admins see every message), or else my '
    "privacy mode turned off by the bot's owner in @BotFather (then I see every message "
    "but cannot remove any)."
)
RIGHTS_MISSING = (
    'Group admins: please give me the "{rights}" right{s} in my administrator settings, '
    "so that I can remove messages and people when a moderator or the policy asks."
)
CANNOT_REMOVE = (
    "Group admins: I can read the group, but to remove messages (or people, when a "
    'moderator asks) I need to be an administrator with the "Delete messages" and '
    '"Ban users" rights.'
)
PROMOTED = "Thank you! As an administrator I can now see every message and act on it."


def rights_missing(missing: list[str]) -> str:
    """What to grant a bot that is admin without all the rights it needs."""
    return RIGHTS_MISSING.format(rights='" and "'.join(missing), s="s" if len(missing) > 1 else "")


def notice(name: str, user_id: int, school: str) -> str:
    """The neutral in-group notice (HTML): it mentions the parent and nothing else."""
    mention = f'<a href="tg://user?id={user_id}">{escape(name)}</a>'
    return (
        f"{mention}, ClassGuard has a private message for you from {escape(school)}. "
        "Tap the button below to read it; only you can open it."
    )


NOTICE_BUTTON = "Open my message"


def could_not_delete(group: str, case: int | None, reason: str) -> str:
    """The moderators' note when enforce mode could not remove a message."""
    which = f" for case #{case}" if case else ""
    return (
        f"{group}: I could not delete the message{which}. Telegram said: {reason}.\n"
        'I need to be a group administrator with the "Delete messages" right, and Telegram '
        "only lets bots delete messages for 48 hours. Please remove it yourself if it is "
        "still there."
    )


def help_text(settings: Settings, *, private: bool, moderator: bool) -> str:
    """What the bot can do for whoever asks, where they ask."""
    lines = [f"I'm ClassGuard, {settings.school.name}'s helper for parents' class groups."]
    lines += [
        "",
        "/policy: the code of conduct and how to raise a concern",
        "/privacy: what I keep, and for how long",
        "/report: reply to a message with this to tell the moderators about it",
    ]
    if private:
        lines.append("/appeal: ask a moderator to look again at a warning I sent you")
    if moderator:
        lines += [
            "",
            "For moderators (in a private chat with me or your moderators' chat):",
            "/cases: open cases in your groups (/cases all for every case)",
            "/case N: one case in full",
            "/pardon N [reason]: take back the strike of case N",
        ]
    lines += [
        "",
        "For group admins: /setup switches me on in a group the school has not listed; "
        "/mode observe|warn|enforce changes what I do there.",
    ]
    return "\n".join(lines)


def policy(settings: Settings) -> str:
    """A summary of the code of conduct and the complaint route."""
    school = settings.school
    lines = [f"{school.name}: code of conduct for parents' groups"]
    lines += [f"{c.id} {c.title}" for c in settings.clauses]
    if school.code_of_conduct_url:
        lines += ["", f"The full code: {school.code_of_conduct_url}"]
    lines += ["", f"Raising a concern: {school.complaint_route}"]
    if school.office_contact:
        lines.append(f"Contact: {school.office_contact}")
    return "\n".join(lines)


def privacy(settings: Settings, *, notice_minutes: int, pending_days: int) -> str:
    """What ClassGuard keeps, and for how long."""
    school = settings.school
    lines = [
        f"What ClassGuard keeps for {school.name}:",
        "- For most messages, nothing but a daily count per group.",
        "- For a message that may break the code of conduct, or that a member reports: "
        "its text, what it was judged to breach and why, and what happened next. "
        f"These records are kept for up to {school.retention_days} days.",
        "- People are known by a code made from their account, not by the account itself, "
        "along with the display name they use.",
        "- A private message waiting for someone who has not yet opened a chat with me is "
        f"kept for up to {pending_days} days, and the notice about it is removed from the "
        f"group after {notice_minutes} minutes.",
        "- When the moderators must be told, the author's Telegram id travels with their "
        "alert so that they can act, and is then deleted.",
        "",
        "The school's moderators and senior leaders can see these records.",
    ]
    contact = school.office_email or school.office_contact
    if contact:
        lines.append(f"Questions about your data: {contact}")
    return "\n".join(lines)


def mode_changed(group: Group, mode: Mode) -> str:
    """Reply to ``/mode``."""
    return f"{group.name} is now in {mode.value} mode: {MODE_MEANINGS[mode]}."


def mode_now(group: Group) -> str:
    """Reply to ``/mode`` without a mode."""
    return (
        f"{group.name} is in {group.mode.value} mode: {MODE_MEANINGS[group.mode]}.\n"
        "Change it with /mode observe, /mode warn or /mode enforce."
    )


def welcome(settings: Settings) -> str:
    """Reply to ``/start`` with nothing waiting."""
    return (
        f"Hello! I'm ClassGuard, {settings.school.name}'s helper for parents' class groups. "
        "If I ever need to tell you something about a message of yours, it will arrive "
        "here, just between us. Type /help to see what I can do."
    )
