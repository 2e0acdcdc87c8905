"""The indicators benchmark still runs end to end in its tiny mode (2 against 20 organisations; PostgreSQL too when
MEDIATION_TEST_POSTGRES_URL is set). A smoke test: no timing is asserted here."""

from __future__ import annotations

from benchmarks.indicators import main


def test_tiny_indicators_benchmark_runs_and_prints_both_ratios(capsys):
    assert main(["--tiny"]) == 0
    output = capsys.readouterr().out
    assert "an organisation's indicators, 20 vs 2 organisations, SQLite" in output
    assert "the network's indicators, 20 vs 2 organisations, SQLite" in output
    assert "targets met:" in output
