"""The programme statistics kept as running tallies, so the report reads a few hundred rows whatever the number
of cases (``mediation.statistics.tallies`` keeps them, in the transaction of the event that changes them).

A tally is a count per organisation, month, measure and label (requests received, screening decisions,
outcomes, modalities, needs and agreement items by status, questionnaire answers); the step histogram counts, per
organisation and month of closure, the cases that spent a whole number of days in each step. Neither names a
case or a person. Each organisation's coordinator reads only their own organisation's rows (migration 0028).
"""

from __future__ import annotations

from sqlalchemy import CHAR, String
from sqlalchemy.orm import Mapped, mapped_column

from mediation.db import Base


class StatisticsTally(Base):
    __tablename__ = "statistics_tallies"

    organisation_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    month: Mapped[str] = mapped_column(CHAR(7), primary_key=True)  # YYYY-MM, UTC
    measure: Mapped[str] = mapped_column(String(40), primary_key=True)
    label: Mapped[str] = mapped_column(String(40), primary_key=True)
    count: Mapped[int] = mapped_column(default=0)


class StatisticsStepDays(Base):
    __tablename__ = "statistics_step_days"

    organisation_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    month: Mapped[str] = mapped_column(CHAR(7), primary_key=True)  # the month the cases closed, UTC
    step: Mapped[str] = mapped_column(String(32), primary_key=True)
    days: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)  # whole days spent in the step
    count: Mapped[int] = mapped_column(default=0)
