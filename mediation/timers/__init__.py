"""Durable timers: armed in the transaction of the change that starts them, fired by the worker.

- ``schedule``: arm, move and cancel timers inside a service's transaction.
- ``registry``: what each kind of timer does when it fires (its handler), registered by the module that owns
  the rule.
- ``runner``: the worker's side: take one due timer, fire it, record how it went, in one transaction.
"""
