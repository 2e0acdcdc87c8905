"""statistics tallies per organisation: each coordinator's statistics count only their own organisation's cases

Both tally tables gain ``organisation_id`` as the first part of their primary key. They are rebuilt, not altered:
the new tables are created empty and filled by ``mediation.statistics.tallies.recount`` from the cases (linear,
as in 0021, which now leaves the filling to this revision). Going down adds each organisation's counts together.

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-04 19:50:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from mediation.statistics import tallies

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None

_TALLY_KEY = ("month", "measure", "label")
_STEP_KEY = ("month", "step", "days")
_KEYS = (("statistics_tallies", _TALLY_KEY), ("statistics_step_days", _STEP_KEY))


def _create(organisation: bool) -> None:
    """The two tally tables, with or without the organisation in their key."""
    def first() -> list[sa.Column[int]]:  # a column belongs to one table: one for each
        return [sa.Column("organisation_id", sa.Integer(), autoincrement=False, nullable=False)] if organisation else []

    lead = ("organisation_id",) if organisation else ()
    op.create_table("statistics_step_days", *first(),
                    sa.Column("month", sa.CHAR(length=7), nullable=False),
                    sa.Column("step", sa.String(length=32), nullable=False),
                    sa.Column("days", sa.Integer(), autoincrement=False, nullable=False),
                    sa.Column("count", sa.Integer(), nullable=False),
                    sa.PrimaryKeyConstraint(*lead, *_STEP_KEY, name=op.f("pk_statistics_step_days")))
    op.create_table("statistics_tallies", *first(),
                    sa.Column("month", sa.CHAR(length=7), nullable=False),
                    sa.Column("measure", sa.String(length=40), nullable=False),
                    sa.Column("label", sa.String(length=40), nullable=False),
                    sa.Column("count", sa.Integer(), nullable=False),
                    sa.PrimaryKeyConstraint(*lead, *_TALLY_KEY, name=op.f("pk_statistics_tallies")))


def upgrade() -> None:
    op.drop_table("statistics_tallies")
    op.drop_table("statistics_step_days")
    _create(organisation=True)
    tallies.recount(op.get_bind())


def downgrade() -> None:
    """Each organisation's counts added together (a few hundred rows: read, then written back)."""
    bind = op.get_bind()
    kept: dict[str, list[dict[str, object]]] = {}
    for name, key in _KEYS:
        old = sa.table(name, *(sa.column(c) for c in (*key, "count")))
        parts = [old.c[c] for c in key]
        rows = bind.execute(sa.select(*parts, sa.func.sum(old.c["count"])).group_by(*parts)).all()
        kept[name] = [dict(zip((*key, "count"), (*row[:-1], int(row[-1])), strict=True)) for row in rows]
    op.drop_table("statistics_tallies")
    op.drop_table("statistics_step_days")
    _create(organisation=False)
    for name, key in _KEYS:
        if kept[name]:
            op.bulk_insert(sa.table(name, *(sa.column(c) for c in (*key, "count"))), kept[name])
