"""WhatsApp through Twilio: moderated class groups (Conversations) and one-to-one messages.

No WhatsApp API lets a bot read an ordinary WhatsApp group. A class group here
is a Twilio Conversation with each parent as a WhatsApp participant: Twilio asks
ClassGuard about every message before anyone receives it (the pre-event webhook)
and tells it once published (the post-event webhook). Private warnings,
moderator alerts, appeals and moderators' commands go through the school's own
WhatsApp number.
"""
