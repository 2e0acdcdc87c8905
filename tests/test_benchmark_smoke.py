"""The benchmark script still runs end to end (quick, SQLite only). A smoke test: no timing is asserted here."""

from __future__ import annotations

from benchmarks.engine import main


def test_quick_benchmark_runs_and_prints_the_summary(capsys):
    assert main(["--quick", "--no-postgres"]) == 0

    output = capsys.readouterr().out
    assert "\nSummary\n" in output
    summary = output.split("\nSummary\n", 1)[1].splitlines()
    rows = [line.strip() for line in summary if line.strip().startswith("(")]
    assert any(row.startswith("(a) transition") and "synchronous=FULL" in row for row in rows)
    assert any(row.startswith("(a) transition") and "synchronous=NORMAL" in row for row in rows)
    assert any(row.startswith("(b) ") for row in rows)
    assert any(row.startswith("(c) ") for row in rows)
