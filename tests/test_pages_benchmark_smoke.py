"""The pages benchmark still runs end to end (quick: 10,000 cases, 10 users for 10 s against gunicorn; PostgreSQL
too when MEDIATION_TEST_POSTGRES_URL is set). A smoke test: no timing is asserted here."""

from __future__ import annotations

import os

from benchmarks.pages import main


def test_quick_pages_benchmark_runs_and_prints_every_figure(capsys):
    assert main(["--quick"]) == 0

    output = capsys.readouterr().out
    summary = output.split("\nSummary\n", 1)[1]
    rows = [line.strip() for line in summary.splitlines() if line.strip().startswith("(")]
    databases = ["SQLite, no ANALYZE", "SQLite, ANALYZE"]
    served = "SQLite"
    if os.environ.get("MEDIATION_TEST_POSTGRES_URL"):
        databases.append("PostgreSQL, ANALYZE")
        served = "PostgreSQL"
    for page in ("coordinator: cases", "coordinator: held requests", "coordinator: accounts", "mediator: dashboard",
                 "mediator: review queue", "staff: referrals"):
        for database in databases:
            assert any(row.startswith(f"(a) {page}, {database}") for row in rows), (page, database)
    for figure in ("server errors under load", "p99 / p50 latency", "throughput vs hello world",
                   "server CPU per request vs hello world"):
        assert any(row.startswith(f"(b) {figure}, {served}") for row in rows), figure
    assert "MEDIATION_RATELIMIT_ENABLED=false" in output
    assert "targets met:" in summary
