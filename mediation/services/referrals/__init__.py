"""Referrals of a person to a partner organisation's service, with the person's consent (issue 11).

One idea per module: ``access`` (who stands on which side of a referral, and finding one), ``keys`` (each side's
data key through its own organisation's keyring), ``trail`` (every step audited in both organisations' chains),
``wording`` (the consent wordings, versioned), ``drafting`` (a draft and its consent), ``moves`` (the
workflow's steps), ``consent`` (the person withdraws their consent), ``notes`` (the partner's own notes),
``views`` (what each side, and the person, sees; the lists).
"""
