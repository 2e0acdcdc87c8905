"""The timers benchmark still runs end to end in its tiny mode (20 timers; PostgreSQL too when
MEDIATION_TEST_POSTGRES_URL is set). A smoke test: no timing is asserted here."""

from __future__ import annotations

from benchmarks.timers import main


def test_tiny_timers_benchmark_runs_and_prints_the_ratio(capsys):
    assert main(["--tiny"]) == 0
    output = capsys.readouterr().out
    assert "SQLite: 20 due stale-case timers fired" in output
    assert "against a target of 1.5x: " in output
    assert "targets met:" in output
