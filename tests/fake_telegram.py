"""A small fake Telegram Bot API server on 127.0.0.1 for the adapter's tests.

python-telegram-bot talks real HTTP to it (``TELEGRAM_API_BASE_URL``). It serves
``getMe`` and ``getUpdates`` with crafted updates (honouring offsets, so updates
not confirmed are served again), records every call, and can answer 403 or 429
on demand.
"""

from __future__ import annotations

import asyncio
import email.parser
import email.policy
import itertools
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

TOKEN = "123456:TEST-token"
BOT_ID = 123456
BOT_USERNAME = "classguard_test_bot"
#: Parameters python-telegram-bot sends JSON-encoded.
JSON_PARAMS = {
    "reply_markup",
    "allowed_updates",
    "commands",
    "scope",
    "entities",
    "reply_parameters",
    "link_preview_options",
}
INT_PARAMS = {"chat_id", "message_id", "user_id", "offset", "limit", "timeout"}
#: The longest a getUpdates call is held open when nothing is waiting.
LONGEST_HOLD = 0.3


def user(user_id: int, first: str, last: str = "", *, is_bot: bool = False) -> dict[str, Any]:
    """A Telegram ``User``."""
    found: dict[str, Any] = {"id": user_id, "is_bot": is_bot, "first_name": first}
    if last:
        found["last_name"] = last
    return found


def group(chat_id: int, title: str = "Year 3 Parents") -> dict[str, Any]:
    """A supergroup ``Chat``."""
    return {"id": chat_id, "type": "supergroup", "title": title}


def private(person: dict[str, Any]) -> dict[str, Any]:
    """The private ``Chat`` with a person."""
    return {"id": person["id"], "type": "private", "first_name": person["first_name"]}


BOT_USER = {
    **user(BOT_ID, "ClassGuard", is_bot=True),
    "username": BOT_USERNAME,
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}


class QuietServer(ThreadingHTTPServer):
    """Says nothing when the bot hangs up on a long poll it no longer needs."""

    def handle_error(self, request: object, client_address: object) -> None:
        pass


@dataclass
class Call:
    """One Bot API request the bot made."""

    method: str
    params: dict[str, Any]
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)

    @property
    def chat_id(self) -> str:
        """The chat the call was about, as text."""
        return str(self.params.get("chat_id"))

    @property
    def text(self) -> str:
        """The message text (or caption) sent."""
        return str(self.params.get("text") or self.params.get("caption") or "")

    def buttons(self) -> list[dict[str, Any]]:
        """Every inline button in the call's keyboard."""
        markup = self.params.get("reply_markup") or {}
        return [b for row in markup.get("inline_keyboard", []) for b in row]


@dataclass
class Failure:
    """An error answer to give to matching calls, ``times`` times."""

    method: str
    status: int
    description: str
    retry_after: int | None = None
    times: int = 1
    when: Callable[[Call], bool] = lambda call: True


class FakeTelegram:
    """The fake server; use as a context manager."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.updates: list[dict[str, Any]] = []
        self.confirmed = 0
        #: Users who never started the bot: sending them a message answers 403.
        self.strangers: set[int] = set()
        #: Group admins, per chat id.
        self.admins: dict[int, set[int]] = {}
        self.failures: list[Failure] = []
        self.lock = threading.Condition()
        self._ids = itertools.count(1)
        self._message_ids = itertools.count(90_000)
        self.server = QuietServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def root(self) -> str:
        """The server's root URL, for ``TELEGRAM_API_BASE_URL``."""
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> FakeTelegram:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    # -- crafting updates ------------------------------------------------------
    def push(self, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        """Queue an update of ``kind`` (``message``, ``edited_message``…)."""
        with self.lock:
            update = {"update_id": next(self._ids), kind: payload}
            self.updates.append(update)
            self.lock.notify_all()
        return update

    def message(
        self,
        chat: dict[str, Any],
        sender: dict[str, Any] | None,
        text: str | None = None,
        *,
        message_id: int | None = None,
        date: int | None = None,
        edit_date: int | None = None,
        reply_to: dict[str, Any] | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        """Queue a message (or, with ``edit_date``, an edit) and return the message."""
        message: dict[str, Any] = {
            "message_id": message_id or next(self._message_ids),
            "date": date or int(time.time()),
            "chat": chat,
            **extra,
        }
        if sender is not None:
            message["from"] = sender
        if text is not None:
            message["text"] = text
            if text.startswith("/"):
                command = text.split()[0]
                message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        if reply_to is not None:
            message["reply_to_message"] = reply_to
        if edit_date is not None:
            message["edit_date"] = edit_date
            self.push("edited_message", message)
        else:
            self.push("message", message)
        return message

    def press(self, presser: dict[str, Any], data: str, on: dict[str, Any]) -> None:
        """Queue a press of an inline button with ``data`` under the message ``on``."""
        query = {
            "id": str(next(self._ids)),
            "from": presser,
            "chat_instance": "1",
            "data": data,
            "message": on,
        }
        self.push("callback_query", query)

    def bot_added(self, chat: dict[str, Any], by: dict[str, Any], *, admin: bool = False) -> None:
        """Queue the update telling the bot it was added to a group."""
        new: dict[str, Any] = {"user": BOT_USER, "status": "member"}
        if admin:
            new = {**self._admin_rights(BOT_USER), "can_restrict_members": False}
        change = {
            "chat": chat,
            "from": by,
            "date": int(time.time()),
            "old_chat_member": {"user": BOT_USER, "status": "left"},
            "new_chat_member": new,
        }
        self.push("my_chat_member", change)

    def rewind(self, offset: int = 0) -> None:
        """Forget confirmations, as if the bot had crashed before they reached Telegram."""
        with self.lock:
            self.confirmed = offset

    # -- failing on demand -----------------------------------------------------
    def fail(
        self,
        method: str,
        status: int,
        description: str,
        *,
        retry_after: int | None = None,
        times: int = 1,
        when: Callable[[Call], bool] = lambda call: True,
    ) -> None:
        """Answer the next ``times`` matching calls of ``method`` with an error."""
        with self.lock:
            self.failures.append(Failure(method, status, description, retry_after, times, when))

    # -- reading what happened -------------------------------------------------
    def of(self, method: str, chat_id: object | None = None) -> list[Call]:
        """The recorded calls of one method (to one chat)."""
        with self.lock:
            found = [c for c in self.calls if c.method == method]
        if chat_id is not None:
            found = [c for c in found if c.chat_id == str(chat_id)]
        return found

    async def wait_for(
        self, condition: Callable[[], object], what: str, timeout: float = 10.0
    ) -> None:
        """Wait (bounded) until ``condition()`` is true."""
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                methods = [(c.method, c.chat_id) for c in self.calls[-15:]]
                raise AssertionError(f"timed out waiting for {what}; last calls: {methods}")
            await asyncio.sleep(0.01)

    # -- the API ---------------------------------------------------------------
    def _admin_rights(self, who: dict[str, Any]) -> dict[str, Any]:
        rights = [
            "can_manage_chat",
            "can_delete_messages",
            "can_manage_video_chats",
            "can_restrict_members",
            "can_promote_members",
            "can_change_info",
            "can_invite_users",
            "can_post_stories",
            "can_edit_stories",
            "can_delete_stories",
        ]
        return {
            "user": who,
            "status": "administrator",
            "can_be_edited": False,
            "is_anonymous": False,
            **dict.fromkeys(rights, True),
        }

    def _answer(self, call: Call) -> tuple[int, dict[str, Any]]:
        with self.lock:
            self.calls.append(call)
            for failure in self.failures:
                if failure.method == call.method and failure.times > 0 and failure.when(call):
                    failure.times -= 1
                    body: dict[str, Any] = {
                        "ok": False,
                        "error_code": failure.status,
                        "description": failure.description,
                    }
                    if failure.retry_after is not None:
                        body["parameters"] = {"retry_after": failure.retry_after}
                    return failure.status, body
        if call.method == "sendMessage" and int(call.params["chat_id"]) in self.strangers:
            return 403, {
                "ok": False,
                "error_code": 403,
                "description": "Forbidden: bot can't initiate conversation with a user",
            }
        handler = getattr(self, f"_api_{call.method}", None)
        if handler is None:
            return 200, {"ok": True, "result": True}
        return 200, {"ok": True, "result": handler(call)}

    def _api_getMe(self, call: Call) -> Any:
        return BOT_USER

    def _api_getUpdates(self, call: Call) -> Any:
        offset = int(call.params.get("offset") or 0)
        limit = int(call.params.get("limit") or 100)
        hold = min(float(call.params.get("timeout") or 0), LONGEST_HOLD)
        deadline = time.monotonic() + hold
        with self.lock:
            self.confirmed = max(self.confirmed, offset)
            while True:
                waiting = [u for u in self.updates if u["update_id"] >= self.confirmed]
                left = deadline - time.monotonic()
                if waiting or left <= 0:
                    return waiting[:limit]
                self.lock.wait(left)

    def _sent(self, call: Call, **content: Any) -> dict[str, Any]:
        chat_id = int(call.params["chat_id"])
        chat = (
            {"id": chat_id, "type": "private", "first_name": "x"} if chat_id > 0 else group(chat_id)
        )
        message = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": chat,
            "from": BOT_USER,
            **content,
        }
        if call.params.get("reply_markup"):
            message["reply_markup"] = call.params["reply_markup"]
        return message

    def _api_sendMessage(self, call: Call) -> Any:
        return self._sent(call, text=call.params["text"])

    def _api_editMessageText(self, call: Call) -> Any:
        return self._sent(call, text=call.params["text"])

    def _api_sendDocument(self, call: Call) -> Any:
        name = next(iter(call.files.values()), ("letter.txt", b""))[0]
        return self._sent(
            call, document={"file_id": "doc", "file_unique_id": "doc", "file_name": name}
        )

    def _api_getChatMember(self, call: Call) -> Any:
        who = int(call.params["user_id"])
        person = user(who, "Someone")
        if who in self.admins.get(int(call.params["chat_id"]), set()):
            return self._admin_rights(person)
        return {"user": person, "status": "member"}

    def _api_getFile(self, call: Call) -> Any:
        file_id = call.params["file_id"]
        return {
            "file_id": file_id,
            "file_unique_id": file_id,
            "file_size": 4,
            "file_path": f"photos/{file_id}.jpg",
        }

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                path = urlsplit(self.path).path
                if path.startswith(f"/file/bot{TOKEN}/"):
                    self._reply(200, b"\xff\xd8\xff\xe0", "image/jpeg")
                    return
                self._api(path, dict(parse_qsl(urlsplit(self.path).query)), {})

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                params, files = parse_body(self.headers.get("Content-Type", ""), body)
                self._api(urlsplit(self.path).path, params, files)

            def _api(
                self, path: str, params: dict[str, str], files: dict[str, tuple[str, bytes]]
            ) -> None:
                prefix = f"/bot{TOKEN}/"
                if not path.startswith(prefix):
                    body = {"ok": False, "error_code": 401, "description": "Unauthorized"}
                    self._reply(401, json.dumps(body).encode(), "application/json")
                    return
                call = Call(path[len(prefix) :], decode(params), files)
                status, answer = fake._answer(call)
                self._reply(status, json.dumps(answer).encode(), "application/json")

            def _reply(self, status: int, body: bytes, kind: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        return Handler


def decode(params: dict[str, str]) -> dict[str, Any]:
    """Form values as python-telegram-bot meant them (JSON for structured ones)."""
    out: dict[str, Any] = {}
    for key, value in params.items():
        if key in JSON_PARAMS:
            out[key] = json.loads(value)
        elif key in INT_PARAMS and value.lstrip("-").isdigit():
            out[key] = int(value)
        else:
            out[key] = value
    return out


def parse_body(
    content_type: str, body: bytes
) -> tuple[dict[str, str], dict[str, tuple[str, bytes]]]:
    """Form fields and uploaded files from a urlencoded or multipart body."""
    if content_type.startswith("multipart/form-data"):
        parser = email.parser.BytesParser(policy=email.policy.HTTP)
        parsed = parser.parsebytes(f"Content-Type: {content_type}\r\n\r\n".encode() + body)
        fields: dict[str, str] = {}
        files: dict[str, tuple[str, bytes]] = {}
        for part in parsed.iter_parts():
            name = part.get_param("name", header="content-disposition")
            payload = part.get_payload(decode=True)
            content = payload if isinstance(payload, bytes) else b""
            filename = part.get_filename()
            if filename:
                files[str(name)] = (filename, content)
            else:
                fields[str(name)] = content.decode()
        return fields, files
    return dict(parse_qsl(body.decode())), {}


def lines(calls: Iterator[Call] | list[Call]) -> list[str]:
    """Texts of calls, for readable assertion failures."""
    return [c.text for c in calls]
