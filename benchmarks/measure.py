"""What both benchmarks measure with: interleaved rounds, per-operation timings, ratios, section titles.

The machines are shared and noisy: every figure is a ratio against a baseline measured in the same run,
contenders alternate within each round, and the medians are reported.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import os
import pstats
import time
import timeit
from collections.abc import Callable
from dataclasses import dataclass, field


def section(title: str) -> None:
    print()
    print(title)
    print("-" * len(title))


def interleave(rounds: int, contenders: dict[str, Callable[[], float]]) -> dict[str, list[float]]:
    """Run every contender once per round (rotating and alternating the order) after a discarded warm-up.

    Each contender runs a batch and returns its seconds per operation.
    """
    names = list(contenders)
    for name in names:
        contenders[name]()
    samples: dict[str, list[float]] = {name: [] for name in names}
    for index in range(rounds):
        order = names[index % len(names):] + names[:index % len(names)]
        for name in order if index % 2 == 0 else reversed(order):
            gc.collect()
            samples[name].append(contenders[name]())
    return samples


def per_op(batch: Callable[[], None], operations: int) -> float:
    start = time.perf_counter()
    batch()
    return (time.perf_counter() - start) / operations


def paired_ratios(ours: list[float], baseline: list[float]) -> list[float]:
    return [a / b for a, b in zip(ours, baseline, strict=True)]


def best_us(function: Callable[[], object], per_call: int = 1, number: int = 2000) -> float:
    """Microseconds per call (divided by ``per_call`` operations), the best of five repeats."""
    return min(timeit.repeat(function, number=number, repeat=5)) / number / per_call * 1e6


def ratio_text(ratio: float | None) -> str:
    if ratio is None:
        return "-"
    if abs(ratio) < 0.001:
        return "~0x"
    return f"{ratio:.3f}x" if ratio < 0.1 else f"{ratio:.2f}x"


def print_profile(profiler: cProfile.Profile, title: str) -> None:
    """The profiler's top 20 functions by own time, under ``title``."""
    buffer = io.StringIO()
    pstats.Stats(profiler, stream=buffer).strip_dirs().sort_stats("tottime").print_stats(20)
    print(f"\n  {title}, top 20 by tottime:")
    body = buffer.getvalue().splitlines()
    start = next(i for i, line in enumerate(body) if "ncalls" in line)
    for line in body[start:]:
        if line.strip():
            print(f"    {line.rstrip()[:150]}")


def print_table(title: str, rows: list[tuple[str, ...]]) -> None:
    """Print ``rows`` (the first is the header) as aligned columns under ``title``."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    print()
    print(title)
    for index, row in enumerate(rows):
        print("  " + "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
        if index == 0:
            print("  " + "  ".join("-" * width for width in widths))


@dataclass
class Row:
    """One line of a benchmark's summary; ``held`` and ``held_ratio`` only where a secondary floor exists."""

    measurement: str
    ours: str
    baseline: str
    ratio: float | None
    target: str
    met: bool | None
    held: str = "-"
    held_ratio: float | None = None


@dataclass
class Report:
    """The summary every benchmark ends with: one table, what it means, and which targets were met or missed."""

    rows: list[Row] = field(default_factory=list)

    def add(self, row: Row) -> None:
        self.rows.append(row)

    def print(self, note: str = "") -> None:
        held = any(r.held != "-" for r in self.rows)
        header = ("measurement", "ours", "baseline", "ratio", "target", "met") + (
            ("held-conn floor", "ratio vs held") if held else ())
        lines = [header] + [
            (r.measurement, r.ours, r.baseline, ratio_text(r.ratio), r.target,
             "-" if r.met is None else ("yes" if r.met else "no"))
            + ((r.held, ratio_text(r.held_ratio)) if held else ())
            for r in self.rows
        ]
        print_table("Summary", lines)
        if note:
            print(note)
        judged = [r for r in self.rows if r.met is not None]
        missed = [r.measurement for r in judged if not r.met]
        print(f"\n  targets met: {len(judged) - len(missed)} of {len(judged)}"
              + (f"; missed: {'; '.join(missed)}" if missed else ""))


def add_postgres_argument(parser: argparse.ArgumentParser, what: str) -> None:
    """``--postgres URL``, defaulting to $MEDIATION_BENCH_POSTGRES_URL, then $MEDIATION_TEST_POSTGRES_URL."""
    parser.add_argument("--postgres", metavar="URL",
                        default=os.environ.get("MEDIATION_BENCH_POSTGRES_URL")
                        or os.environ.get("MEDIATION_TEST_POSTGRES_URL"),
                        help=f"a PostgreSQL server URL whose user may create databases, {what} "
                             "(default: $MEDIATION_BENCH_POSTGRES_URL or $MEDIATION_TEST_POSTGRES_URL)")


def print_total(started: float) -> None:
    """The last line of every benchmark: how long it took, and that missing a target is not a failure."""
    print(f"\n  total {time.perf_counter() - started:.0f} s; a measurement, not a test: exit status 0 whether or not "
          "targets are met")
