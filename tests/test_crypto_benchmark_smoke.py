"""The encryption benchmark still runs end to end (quick: 64 MiB stream). A smoke test: no timing or ratio is
asserted here, only that it exits 0 and that its summary has a row for every measurement."""

from __future__ import annotations

from benchmarks.crypto import main

EXPECTED_ROWS = (
    "(1) message 1 KiB seal+open, Vault",
    "(1) message 16 KiB seal+open, Vault",
    "(1) message 64 KiB seal+open, Vault",
    "(1) message 1 KiB seal+open, key in hand",
    "(1) message 16 KiB seal+open, key in hand",
    "(1) message 64 KiB seal+open, key in hand",
    "(2) stream 64 MiB encrypt+decrypt, BlobStore",
    "(2) stream 64 MiB encrypt (receive",
    "(2) stream 64 MiB decrypt (read)",
    "(2) peak memory growth, encrypt, tracemalloc",
    "(2) peak memory growth, encrypt, RSS",
    "(2) peak memory growth, decrypt, tracemalloc",
    "(2) peak memory growth, decrypt, RSS",
)


def test_quick_crypto_benchmark_runs_and_prints_the_summary(capsys):
    assert main(["--quick"]) == 0

    output = capsys.readouterr().out
    assert "\nSummary\n" in output
    summary = output.split("\nSummary\n", 1)[1].splitlines()
    rows = [line.strip() for line in summary if line.strip().startswith(("(1) ", "(2) "))]
    for expected in EXPECTED_ROWS:
        matching = [row for row in rows if row.startswith(expected)]
        assert len(matching) == 1, f"the summary has {len(matching)} rows for {expected!r}:\n" + "\n".join(rows)
    assert len(rows) == len(EXPECTED_ROWS)
    for row in rows:  # every row says what it was judged against: a target, or 'info'
        assert ">= " in row or "< 64 MiB" in row or " info " in row, row
