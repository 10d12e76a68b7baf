"""The domain: messages, policy, pipeline, escalation, cases, digests, export parsing.

Depends on ``classifiers`` and ``storage`` only; never on a platform library.
"""
