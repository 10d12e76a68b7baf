"""The web app Twilio calls: Conversations events, one-to-one messages, delivery reports.

Every webhook is checked against Twilio's signature first; a request without a
valid one gets 403 and nothing else happens. Judging runs in a worker thread
so one slow message never holds up the others.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from sqlalchemy import text
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from twilio.twiml.messaging_response import MessagingResponse

from bot.whatsapp.addresses import PhoneError, masked, whatsapp_address
from bot.whatsapp.channel import STATUS_PATH
from bot.whatsapp.client import OUTSIDE_WINDOW
from bot.whatsapp.conversations import CONVERSATIONS_PATH
from bot.whatsapp.desk import DirectDesk
from bot.whatsapp.events import POST_EVENT, PRE_EVENT, MalformedEvent, parse_event
from bot.whatsapp.inbound import DirectMessage
from bot.whatsapp.judge import GroupJudge
from bot.whatsapp.notify import queue_template_resend
from bot.whatsapp.sender import split_text
from bot.whatsapp.signature import FormParams, WebhookAuthenticator
from storage.repository import IncidentLog

log = logging.getLogger(__name__)

MESSAGING_PATH = "/webhooks/twilio/messaging"
HEALTH_PATH = "/healthz"
#: Twilio's webhook forms are small; anything larger is refused unread.
MAX_BODY = 64 * 1024
#: Twilio waits 5 seconds for a pre-event answer; past this the message is let through.
PRE_EVENT_BUDGET = 4.0
IDEMPOTENCY_HEADER = "I-Twilio-Idempotency-Token"
APOLOGY = "Sorry, something went wrong at ClassGuard. Please try again later."


@dataclass(frozen=True)
class WhatsAppServices:
    """What the web app needs: the judge, the one-to-one desk and the signature check."""

    judge: GroupJudge
    desk: DirectDesk
    authenticator: WebhookAuthenticator
    log: IncidentLog
    #: Act on messages to the school's number, but send no reply.
    dry_run: bool = False


class Refused(Exception):
    """A request answered with an error before anything was processed."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.response = JSONResponse({"error": message}, status_code=status)


async def _read_signed(request: Request, services: WhatsAppServices) -> FormParams:
    """The request's form fields, once its size and signature are checked."""
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > MAX_BODY):
        raise Refused(413, "request too large")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            raise Refused(413, "request too large")
    try:
        params = FormParams.parse(bytes(body).decode("utf-8"))
    except UnicodeDecodeError:
        raise Refused(400, "the form is not UTF-8") from None
    if not services.authenticator.verify(request.url, params, request.headers):
        log.warning("refused a %s request without a valid Twilio signature", request.url.path)
        raise Refused(403, "invalid or missing X-Twilio-Signature")
    return params


def create_app(services: WhatsAppServices) -> Starlette:
    """The Starlette app serving Twilio's webhooks and a health check."""
    judge, desk, incident_log = services.judge, services.desk, services.log
    region = judge.settings.whatsapp.phone_region

    async def conversations(request: Request) -> Response:
        try:
            form = (await _read_signed(request, services)).first()
            if form.get("EventType") not in (PRE_EVENT, POST_EVENT):
                return JSONResponse({})
            event = parse_event(form)
        except Refused as exc:
            return exc.response
        except MalformedEvent as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        if event.event_type == PRE_EVENT:
            token = request.headers.get(IDEMPOTENCY_HEADER)
            try:
                verdict = await asyncio.wait_for(
                    asyncio.to_thread(judge.pre_event, event, token), PRE_EVENT_BUDGET
                )
            except TimeoutError:
                log.error("judging took over %.0f s; the message was let through", PRE_EVENT_BUDGET)
                return JSONResponse({})
            except Exception:  # fail open for the chat: the post-event judges it instead
                log.exception("judging a message failed; it was let through")
                return JSONResponse({})
            if verdict.block:
                reason = f"refused under the code of conduct (case #{verdict.incident_id})"
                return JSONResponse({"reason": reason}, status_code=403)
            return JSONResponse({})
        try:
            await asyncio.to_thread(judge.post_event, event)
        except Exception:  # an error status makes Twilio try again later
            log.exception("recording a published message failed")
            return JSONResponse({"error": "not recorded; try again"}, status_code=500)
        return JSONResponse({})

    async def messaging(request: Request) -> Response:
        try:
            form = (await _read_signed(request, services)).first()
            message = DirectMessage.from_form(form, region)
        except Refused as exc:
            return exc.response
        except MalformedEvent as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        try:
            reply = await asyncio.to_thread(desk.reply, message)
        except Exception:
            log.exception("answering a message from %s failed", masked(message.sender))
            reply = APOLOGY
        twiml = MessagingResponse()
        if services.dry_run:
            log.info("dry run: the reply to %s was not sent", masked(message.sender))
        else:
            for part in split_text(reply):
                twiml.message(part)
        return Response(str(twiml), media_type="application/xml")

    async def status(request: Request) -> Response:
        try:
            form = (await _read_signed(request, services)).first()
        except Refused as exc:
            return exc.response
        if form.get("MessageStatus") not in ("failed", "undelivered"):
            return Response(status_code=204)
        try:
            items = [int(i) for i in request.query_params.get("items", "").split(",") if i]
            to = whatsapp_address(form.get("To", ""), region)
        except (ValueError, PhoneError):
            return JSONResponse({"error": "malformed delivery report"}, status_code=400)
        code = form.get("ErrorCode", "")
        if code == str(OUTSIDE_WINDOW) and items:
            now = judge.clock()
            queued = await asyncio.to_thread(queue_template_resend, incident_log, items, to, now)
            log.info("resending %d item(s) to %s as the template", queued, masked(to))
        else:
            log.warning("WhatsApp message to %s failed with error %s", masked(to), code or "?")
        return Response(status_code=204)

    async def healthz(request: Request) -> Response:
        def ping() -> None:
            with incident_log.sessions() as session:
                session.execute(text("SELECT 1"))

        try:
            await asyncio.to_thread(ping)
        except Exception:
            log.exception("health check: the database does not answer")
            return JSONResponse({"status": "database unavailable"}, status_code=503)
        return JSONResponse({"status": "ok"})

    return Starlette(
        routes=[
            Route(CONVERSATIONS_PATH, conversations, methods=["POST"]),
            Route(MESSAGING_PATH, messaging, methods=["POST"]),
            Route(STATUS_PATH, status, methods=["POST"]),
            Route(HEALTH_PATH, healthz, methods=["GET"]),
        ]
    )
