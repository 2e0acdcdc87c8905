"""Notifications that carry no content (issue 10): each person's preferences, the outbox written in the same
transaction as the event, and the worker's sending over SMTP.

An e-mail only ever says that there is something new (or how many things wait, for a mediator's digest, or an
invitation's code) and where to sign in: never a name, a message, a case reference or what the other side did.
"""
