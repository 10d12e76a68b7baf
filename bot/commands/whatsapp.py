"""``classguard whatsapp …``: class groups as Twilio Conversations, their members and webhooks."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from rich.table import Table

from bot.cli_base import ConfigOption, app, console, fail
from bot.services import SetupError, settings_from
from bot.whatsapp.addresses import PhoneError, phone_of, whatsapp_address
from bot.whatsapp.client import ADDRESS_IN_ANOTHER_CONVERSATION, TwilioFailure, make_client
from bot.whatsapp.conversations import ClassGroups
from bot.whatsapp.credentials import (
    PUBLIC_URL_ENV,
    TwilioCredentials,
    WhatsAppSetupError,
    public_url,
)
from bot.whatsapp.events import CONVERSATION_SID
from bot.whatsapp.sender import WhatsAppSender
from bot.whatsapp.webapp import MESSAGING_PATH
from config.schema import Group, Mode, Settings

whatsapp_app = typer.Typer(
    help="WhatsApp class groups through Twilio: create them, add and remove parents, webhooks.",
    no_args_is_help=True,
)
app.add_typer(whatsapp_app, name="whatsapp")

GroupArgument = Annotated[
    str, typer.Argument(help="The group's SID (CH…) or its name in the config.")
]
NumberArgument = Annotated[
    str, typer.Argument(help="The parent's mobile number, e.g. 07911 123456.")
]


@contextmanager
def _plain_errors() -> Iterator[None]:
    """Setup and Twilio problems as one-line errors."""
    try:
        yield
    except (SetupError, WhatsAppSetupError, TwilioFailure, PhoneError) as exc:
        raise fail(str(exc)) from None


def _connect(config: ConfigOption) -> tuple[Settings, ClassGroups]:
    settings = settings_from(config)
    client = make_client(TwilioCredentials.from_env())
    return settings, ClassGroups(client, settings)


def _resolve(settings: Settings, ref: str) -> tuple[str, Group | None]:
    """A group's Conversation SID (and config entry) from its SID or configured name."""
    if CONVERSATION_SID.match(ref):
        return ref, settings.group("whatsapp", ref)
    wanted = ref.strip().casefold()
    for group in settings.groups:
        if group.platform == "whatsapp" and group.name.casefold() == wanted:
            return group.chat_id, group
    raise WhatsAppSetupError(
        f"no WhatsApp group called {ref!r} in the config (or give its CH… SID)"
    )


def _address(settings: Settings, number: str) -> str:
    return whatsapp_address(number, settings.whatsapp.phone_region)


@whatsapp_app.command("create-group")
def create_group(
    name: Annotated[str, typer.Argument(help="The class group's name, e.g. 'Year 5 Parents'.")],
    config: ConfigOption = None,
    mode: Annotated[
        Mode, typer.Option(help="The mode for the printed config entry.")
    ] = Mode.OBSERVE,
) -> None:
    """Create a class group (a Conversation) and print its entry for the config."""
    with _plain_errors():
        _, groups = _connect(config)
        made = groups.create(name)
    console.print(f"Created {made.name}: {made.sid}\nAdd it to the config's groups:\n")
    console.print(
        f"  - platform: whatsapp\n    chat_id: {made.sid}\n    name: {json.dumps(name)}\n"
        f"    mode: {mode.value}\n    moderators: []",
        markup=False,
    )


@whatsapp_app.command()
def add(
    group: GroupArgument,
    number: NumberArgument,
    name: Annotated[
        str, typer.Option("--name", "-n", help="The parent's name, as warnings use it.")
    ],
    config: ConfigOption = None,
) -> None:
    """Add a parent to a class group on WhatsApp."""
    with _plain_errors():
        settings, groups = _connect(config)
        sid, entry = _resolve(settings, group)
        address = _address(settings, number)
        proxy = groups.group_sender(entry)
        if groups.find(sid, address) is not None:
            raise fail(f"{phone_of(address)} is already in the group")
        try:
            member = groups.add(sid, address, name.strip(), proxy)
        except TwilioFailure as exc:
            if exc.code != ADDRESS_IN_ANOTHER_CONVERSATION:
                raise
            raise fail(
                f"{phone_of(address)} is already in another class group on {phone_of(proxy)}; "
                "give this group a number of its own (whatsapp_sender in its config)"
            ) from None
    console.print(f"Added {name.strip()} ({phone_of(address)}) to {entry.name if entry else sid}.")
    console.print(f"Messages reach them from {phone_of(proxy)} (participant {member.sid}).")


@whatsapp_app.command()
def remove(group: GroupArgument, number: NumberArgument, config: ConfigOption = None) -> None:
    """Remove a parent from a class group: they receive nothing from it afterwards."""
    with _plain_errors():
        settings, groups = _connect(config)
        sid, entry = _resolve(settings, group)
        address = _address(settings, number)
        member = groups.find(sid, address)
        if member is None:
            raise fail(f"{phone_of(address)} is not in the group")
        groups.remove(sid, member.sid)
    who = member.name or phone_of(address)
    console.print(f"Removed {who} from {entry.name if entry else sid}.")


@whatsapp_app.command("list")
def list_groups(
    group: Annotated[
        str | None, typer.Argument(help="A group, to list its members instead of the groups.")
    ] = None,
    config: ConfigOption = None,
) -> None:
    """List the class groups, or one group's members."""
    with _plain_errors():
        settings, groups = _connect(config)
        if group is None:
            table = Table("SID", "name", "state", "in the config", title="WhatsApp class groups")
            for conversation in groups.conversations():
                entry = settings.group("whatsapp", conversation.sid)
                where = f"yes ({entry.mode.value})" if entry else "no"
                table.add_row(conversation.sid, conversation.name, conversation.state, where)
            console.print(table)
            return
        sid, entry = _resolve(settings, group)
        members = groups.participants(sid)
    table = Table("name", "number", "participant", title=entry.name if entry else sid)
    for member in members:
        number = phone_of(member.address) if member.address else "(not on WhatsApp)"
        table.add_row(member.name or "(no name)", number, member.sid)
    console.print(table)
    console.print(f"{len(members)} member(s)")


@whatsapp_app.command("configure-webhooks")
def configure_webhooks(
    config: ConfigOption = None,
    url: Annotated[
        str | None,
        typer.Option("--public-url", help=f"The public address (default: ${PUBLIC_URL_ENV})."),
    ] = None,
) -> None:
    """Point the Conversations service's webhooks (and the school's number) at ClassGuard."""
    with _plain_errors():
        base = public_url({PUBLIC_URL_ENV: url}) if url else public_url()
        if base is None:
            raise fail(f"set {PUBLIC_URL_ENV} or pass --public-url")
        settings, groups = _connect(config)
        done = groups.configure_webhooks(base)
        sender = WhatsAppSender(make_client(TwilioCredentials.from_env()), settings)
        routed = sender.route_replies(base + MESSAGING_PATH)
    console.print(f"Conversations pre-event webhook:  {done.pre_webhook_url}")
    console.print(f"Conversations post-event webhook: {done.post_webhook_url}")
    console.print(f"Events: {', '.join(done.filters)}")
    if routed:
        console.print(f"Messages to the school's number go to {base}{MESSAGING_PATH}")
    else:
        console.print(
            f"Now set the school's WhatsApp number's incoming-message webhook to "
            f"{base}{MESSAGING_PATH} (HTTP POST) in the Twilio Console."
        )
    if url:
        console.print(f"Run ClassGuard with {PUBLIC_URL_ENV}={base}, or signatures will not match.")
