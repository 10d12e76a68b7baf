"""Adapters (Telegram, Twilio), the webhook web app, the scheduler and the CLI. Thin."""
