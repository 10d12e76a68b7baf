"""A small fake of Twilio's REST API on 127.0.0.1, for the real ``twilio`` client to talk to.

It keeps Conversations, their participants and every message sent, answers in
Twilio's JSON shapes, and refuses free-form WhatsApp messages to numbers whose
24-hour window is "closed" with Twilio's error 63016.
"""

from __future__ import annotations

import json
import secrets
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response


def sid(prefix: str) -> str:
    """A Twilio-shaped SID."""
    return prefix + secrets.token_hex(16)


@dataclass
class Call:
    """One request the fake received."""

    method: str
    host: str
    path: str
    form: dict[str, list[str]]
    query: dict[str, list[str]]

    def get(self, name: str) -> str | None:
        """A form field's first value."""
        values = self.form.get(name)
        return values[0] if values else None


@dataclass
class FakeConversation:
    sid: str
    friendly_name: str
    participants: dict[str, dict[str, Any]] = field(default_factory=dict)


class FakeTwilio:
    """The fake's state, and the HTTP server that serves it."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.conversations: dict[str, FakeConversation] = {}
        self.closed_windows: set[str] = set()
        self.invalid_numbers: set[str] = set()
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def base_url(self) -> str:
        host, port = self.server.server_address[:2]
        assert isinstance(host, str)
        return f"http://{host}:{port}"

    def start(self) -> FakeTwilio:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def http_client(self) -> LocalTwilioHttpClient:
        """An HTTP client for ``twilio.rest.Client`` that sends every request here."""
        return LocalTwilioHttpClient(self.base_url)

    # -- test helpers -----------------------------------------------------
    def add_conversation(self, conversation_sid: str, name: str) -> FakeConversation:
        conversation = FakeConversation(conversation_sid, name)
        self.conversations[conversation_sid] = conversation
        return conversation

    def add_participant(
        self, conversation_sid: str, address: str, name: str, proxy: str
    ) -> dict[str, Any]:
        participant: dict[str, Any] = {
            "sid": sid("MB"),
            "conversation_sid": conversation_sid,
            "attributes": json.dumps({"name": name}),
            "messaging_binding": {"type": "sms", "address": address, "proxy_address": proxy},
        }
        self.conversations[conversation_sid].participants[participant["sid"]] = participant
        return participant

    def sent(self) -> list[Call]:
        """Messages created through the Programmable Messaging API, in order."""
        return [c for c in self.calls if c.method == "POST" and c.path.endswith("/Messages.json")]

    def sent_to(self, address: str) -> list[Call]:
        return [c for c in self.sent() if c.get("To") == address]

    def calls_to(self, method: str, fragment: str) -> list[Call]:
        return [c for c in self.calls if c.method == method and fragment in c.path]

    # -- the API ------------------------------------------------------------
    def answer(self, call: Call) -> tuple[int, dict[str, Any] | None]:
        parts = call.path.strip("/").split("/")
        if call.host == "api.twilio.com" and parts[-1] == "Messages.json":
            return self._message(call, parts[2])
        if call.host == "messaging.twilio.com" and parts[:2] == ["v1", "Services"]:
            return 200, {"sid": parts[2], "inbound_request_url": call.get("InboundRequestUrl")}
        if call.host == "conversations.twilio.com" and parts[:2] == ["v1", "Services"]:
            return self._conversations(call, parts[2], parts[3:])
        return 404, {
            "code": 20404,
            "message": "The requested resource was not found",
            "status": 404,
        }

    def _message(self, call: Call, account: str) -> tuple[int, dict[str, Any]]:
        to = call.get("To") or ""
        if to in self.invalid_numbers:
            return 400, {
                "code": 21211,
                "message": f"The 'To' number {to} is not a valid phone number.",
                "status": 400,
            }
        if to in self.closed_windows and not call.get("ContentSid"):
            return 400, {
                "code": 63016,
                "message": "Failed to send freeform message because you are outside the allowed "
                "window. If you are using WhatsApp, please use a Message Template.",
                "more_info": "https://www.twilio.com/docs/errors/63016",
                "status": 400,
            }
        return 201, {
            "sid": sid("SM"),
            "account_sid": account,
            "to": to,
            "from": call.get("From"),
            "messaging_service_sid": call.get("MessagingServiceSid"),
            "body": call.get("Body") or "",
            "status": "queued",
            "num_segments": "1",
        }

    def _conversations(
        self, call: Call, service: str, rest: list[str]
    ) -> tuple[int, dict[str, Any] | None]:
        if rest == ["Configuration", "Webhooks"]:
            return 200, {
                "chat_service_sid": service,
                "pre_webhook_url": call.get("PreWebhookUrl"),
                "post_webhook_url": call.get("PostWebhookUrl"),
                "filters": call.form.get("Filters", []),
                "method": call.get("Method"),
            }
        if rest == ["ParticipantConversations"]:
            address = (call.query.get("Address") or [""])[0]
            found = [
                {"conversation_sid": c.sid, "chat_service_sid": service}
                for c in self.conversations.values()
                for p in c.participants.values()
                if p["messaging_binding"]["address"] == address
            ]
            return 200, _page("conversations", found)
        if rest == ["Conversations"]:
            if call.method == "POST":
                made = self.add_conversation(sid("CH"), call.get("FriendlyName") or "")
                return 201, _conversation(made, service)
            found = [_conversation(c, service) for c in self.conversations.values()]
            return 200, _page("conversations", found)
        conversation = self.conversations.get(rest[1]) if len(rest) > 1 else None
        if conversation is None:
            return 404, {"code": 20404, "message": "Conversation not found", "status": 404}
        if rest[2:] == ["Participants"]:
            if call.method == "GET":
                return 200, _page("participants", list(conversation.participants.values()))
            return self._add_participant(call, conversation)
        if len(rest) == 4 and rest[2] == "Participants":
            participant = conversation.participants.get(rest[3])
            if participant is None:
                return 404, {"code": 20404, "message": "Participant not found", "status": 404}
            if call.method == "DELETE":
                del conversation.participants[rest[3]]
                return 204, None
            return 200, participant
        if len(rest) == 4 and rest[2] == "Messages" and call.method == "DELETE":
            return 204, None
        return 404, {"code": 20404, "message": "not found", "status": 404}

    def _add_participant(
        self, call: Call, conversation: FakeConversation
    ) -> tuple[int, dict[str, Any]]:
        address = call.get("MessagingBinding.Address") or ""
        proxy = call.get("MessagingBinding.ProxyAddress") or ""
        for other in self.conversations.values():
            for p in other.participants.values():
                binding = p["messaging_binding"]
                if binding["address"] == address and binding["proxy_address"] == proxy:
                    return 409, {
                        "code": 50416,
                        "message": "A binding for this participant and proxy address already "
                        f"exists in Conversation {other.sid}",
                        "status": 409,
                    }
        attributes = json.loads(call.get("Attributes") or "{}")
        made = self.add_participant(conversation.sid, address, attributes.get("name", ""), proxy)
        return 201, made

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                url = urlsplit(self.path)
                host, _, path = url.path.lstrip("/").partition("/")
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode() if length else ""
                call = Call(self.command, host, "/" + path, parse_qs(body), parse_qs(url.query))
                with fake.lock:
                    fake.calls.append(call)
                    status, payload = fake.answer(call)
                data = json.dumps(payload).encode() if payload is not None else b""
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_DELETE = _serve

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler


def _page(key: str, items: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        key: items,
        "meta": {"key": key, "page": 0, "page_size": 50, "next_page_url": None, "url": ""},
    }


def _conversation(conversation: FakeConversation, service: str) -> dict[str, Any]:
    return {
        "sid": conversation.sid,
        "chat_service_sid": service,
        "friendly_name": conversation.friendly_name,
        "state": "active",
        "attributes": "{}",
    }


class LocalTwilioHttpClient(TwilioHttpClient):  # type: ignore[misc]
    """Twilio's own HTTP client, sending to the fake instead of Twilio's hosts.

    ``https://conversations.twilio.com/v1/...`` becomes ``BASE/conversations.twilio.com/v1/...``.
    """

    def __init__(self, base_url: str) -> None:
        super().__init__(timeout=5)
        self.base_url = base_url

    def request(
        self,
        method: str,
        url: str,
        params: dict[str, object] | None = None,
        data: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,
        allow_redirects: bool = False,
    ) -> Response:
        parts = urlsplit(url)
        local = f"{self.base_url}/{parts.netloc}{parts.path}"
        if parts.query:
            local += f"?{parts.query}"
        return super().request(method, local, params, data, headers, auth, timeout, allow_redirects)
