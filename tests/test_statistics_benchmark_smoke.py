"""The statistics benchmark still runs end to end in its tiny mode (50 against 500 closed cases; PostgreSQL too
when MEDIATION_TEST_POSTGRES_URL is set). A smoke test: no timing is asserted here."""

from __future__ import annotations

from benchmarks.statistics import main


def test_tiny_statistics_benchmark_runs_and_prints_the_ratio(capsys):
    assert main(["--tiny"]) == 0
    output = capsys.readouterr().out
    assert "statistics report, 500 vs 50 closed cases, SQLite" in output
    assert "against a target of 3x: " in output
    assert "targets met:" in output
