"""Quiet hours: local times, in the person's own time zone, when no e-mail of ours may arrive. They may cross
midnight (22:00 to 07:00). A message due inside them is deferred to their end, never sent."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo


def quiet_end(now: datetime, time_zone: str, quiet_from: time | None, quiet_until: time | None) -> datetime | None:
    """The moment (UTC) the quiet hours containing ``now`` end, or None when ``now`` is not in quiet hours."""
    if quiet_from is None or quiet_until is None or quiet_from == quiet_until:
        return None
    zone = ZoneInfo(time_zone)
    local = now.astimezone(zone)
    clock = local.time().replace(tzinfo=None)
    if quiet_from < quiet_until:
        inside = quiet_from <= clock < quiet_until
    else:  # across midnight: the evening part or the morning part
        inside = clock >= quiet_from or clock < quiet_until
    if not inside:
        return None
    day = local.date() if clock < quiet_until else local.date() + timedelta(days=1)
    # When the clocks go back, the end's local time happens twice: the second one (fold=1) if the first has
    # passed. An end never lies in the past: that would defer the message to now, again and again.
    for fold in (0, 1):
        end = datetime.combine(day, quiet_until, tzinfo=zone).replace(fold=fold).astimezone(UTC)
        if end > now:
            return end
    return None
