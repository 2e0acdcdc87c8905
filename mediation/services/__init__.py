"""Use cases as verb functions. Each takes a session and the acting user, checks that the user may act, and
never commits: the caller wraps one call in ``mediation.db.transaction`` so a change and its audit entry commit
together."""
