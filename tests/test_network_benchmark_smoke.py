"""The network benchmark still runs end to end in its quick mode (100 organisations and 20,000 referrals against
10 and 2,000; PostgreSQL too when MEDIATION_TEST_POSTGRES_URL is set). A smoke test: no timing is asserted here."""

from __future__ import annotations

import os

from benchmarks.network import PAGES, main


def test_quick_network_benchmark_runs_and_prints_every_page(capsys):
    assert main(["--quick"]) == 0
    output = capsys.readouterr().out
    summary = output.split("\nSummary\n", 1)[1]
    databases = ["SQLite, ANALYZE"] + (["PostgreSQL, ANALYZE"] if os.environ.get("MEDIATION_TEST_POSTGRES_URL") else [])
    for page in PAGES:
        for database in databases:
            assert f"{page.name}, {database}" in summary, (page.name, database)
    assert output.count("  5 / 5") == len(PAGES) * len(databases)  # every page full at both scales
    assert "targets met:" in summary
