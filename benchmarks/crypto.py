"""Benchmarks of the encryption layer, printed as ratios against raw AES-256-GCM measured in the same run.

The machines this runs on are shared and noisy, so nothing here is a timed assertion: every measurement is
taken in interleaved rounds together with its baseline, and the script prints medians and their ratio.

    .venv/bin/python -m benchmarks.crypto             # full run (1 GiB stream), about a minute
    .venv/bin/python -m benchmarks.crypto --quick     # small smoke run (64 MiB stream), a few seconds
    .venv/bin/python -m benchmarks.crypto --profile   # also cProfile the Vault's seal + open

(1) one message sealed and opened through the Vault (``vault.seal`` + ``vault.open`` on a case whose data key
    exists: each call reads the wrapped key from the database and unwraps it from the Vault's cache), for
    payloads of 1, 16 and 64 KiB, against raw ``AESGCM.encrypt`` + ``decrypt`` with a fresh random nonce and
    the same associated data. The case, its participants' portal accounts and a first message (which creates
    the case's data key) are made through the services, and the measured context is that message's body
    context. The Vault runs in one ``Runtime.transaction()`` per batch, its BEGIN IMMEDIATE + COMMIT (writing
    nothing) amortised over the batch and included in the time. Also, for information, the same seal + open
    with the data key already in hand (``records.seal`` / ``records.open_sealed``), so the difference shows
    what the key lookup costs; and a breakdown of one lookup. Target: Vault >= 0.8x raw throughput.
(2) a large stream (1 GiB; 64 MiB with --quick) encrypted into the blob folder by ``BlobStore.receive`` (which
    fsyncs the file) and read back through ``BlobStore.read``, against raw AES-GCM over the same bytes in the
    same chunk size (a counter nonce per chunk, written to a temporary file that is fsynced too, then read back
    and decrypted). The source is a generated reader repeating a 4 MiB pseudo-random buffer, so nothing holds
    the whole stream. Both sides verify a running SHA-256 of what they decrypt against the source's; the time
    spent hashing is excluded on both sides. Target: round trip >= 0.5x raw throughput; peak memory growth
    while encrypting and while decrypting < 64 MiB, by tracemalloc and by RSS (VmHWM reset through
    /proc/self/clear_refs where allowed, and VmRSS sampled every 2 ms), taken in the warm-up pass.

Exit status 0 whatever the numbers say; non-zero only when something fails.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import hashlib
import io
import os
import random
import statistics
import sys
import tempfile
import threading
import time
import tracemalloc
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, TypeVar

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import select

from benchmarks.measure import (
    Report,
    Row,
    best_us,
    interleave,
    paired_ratios,
    per_op,
    print_profile,
    print_total,
    section,
)
from config import load_settings
from mediation.blobs import BlobStore
from mediation.crypto import records
from mediation.crypto.records import RecordContext
from mediation.crypto.vault import _READ_KEY, Vault
from mediation.demo import build_case, path_to
from mediation.keyfiles import ensure_instance
from mediation.models import Case, CaseKey, User
from mediation.runtime import Runtime, open_runtime
from mediation.schema import migrate
from mediation.services import messages, users
from workflows.vocabulary import CaseState, Modality

KIB, MIB = 1024, 1024 * 1024
TARGET_MESSAGE_RATIO = 0.8
TARGET_STREAM_RATIO = 0.5
TARGET_MEMORY_BYTES = 64 * MIB
SOURCE_BUFFER_BYTES = 4 * MIB
NONCE_BYTES = 12


@dataclass(frozen=True)
class Plan:
    """How much work each part does; ``--quick`` shrinks everything."""

    message_rounds: int  # interleaved rounds for (1)
    message_ops: dict[int, int]  # seal + open pairs per batch, by payload size
    breakdown_number: int  # timeit calls per repeat in the breakdown of one key lookup
    profile_ops: int  # Vault pairs under cProfile with --profile
    stream_bytes: int  # size of the stream in (2)
    stream_rounds: int  # interleaved rounds for (2)


FULL = Plan(message_rounds=15, message_ops={KIB: 400, 16 * KIB: 250, 64 * KIB: 120}, breakdown_number=2000,
            profile_ops=4000, stream_bytes=1024 * MIB, stream_rounds=5)
QUICK = Plan(message_rounds=3, message_ops={KIB: 100, 16 * KIB: 60, 64 * KIB: 30}, breakdown_number=300,
             profile_ops=500, stream_bytes=64 * MIB, stream_rounds=3)

SUMMARY_NOTE = (
    "  ratio = our throughput / the baseline's (higher is better), the median of per-round ratios; 'info' rows\n"
    "  have no target. (1) Vault: one Runtime.transaction() per batch; the wrapped key is read (one SELECT)\n"
    "  and unwrapped once per transaction, then each seal and open looks it up; baseline: raw AESGCM encrypt +\n"
    "  decrypt, one cipher object per batch, a fresh random nonce per message. (2) baseline: raw AESGCM per chunk\n"
    "  with a counter nonce, the file fsynced too; the verifying hash is excluded on both sides.")


def size_text(size: int) -> str:
    return f"{size // MIB} MiB" if size >= MIB and size % MIB == 0 else f"{size // KIB} KiB"


# ---------------------------------------------------------------------------------------------------------
# Timing helpers


# ---------------------------------------------------------------------------------------------------------
# The scratch instance: settings, a migrated SQLite database, a case with a data key


@dataclass
class Bed:
    runtime: Runtime
    case_id: int
    context: RecordContext  # the body of a real message, submitted through the services
    data_key: bytes

    @property
    def vault(self) -> Vault:
        return self.runtime.vault


def open_instance(workdir: Path) -> Runtime:
    instance = workdir / "instance"
    settings = load_settings({"MEDIATION_INSTANCE_DIR": str(instance), "MEDIATION_ENV": "test"}, cwd=workdir)
    ensure_instance(settings)
    return open_runtime(settings)


def prepare_bed(runtime: Runtime) -> Bed:
    """Migrate, make the accounts and a case in the written dialogue, and submit one message through the services.

    Submitting the message creates the case's data key (the Vault's ``create`` path); every measured seal and
    open afterwards finds the key in the database and its unwrapped form in the Vault's cache.
    """
    migrate(runtime.engine)

    def account(username: str, role: str) -> User:
        with runtime.transaction() as session:
            return users.create_user(session, None, username=username, display_name=username.title(),
                                     role=role, password=None)

    admin, mediator, staff = (account("bench.coordinator", "admin"), account("bench.mediator", "mediator"),
                              account("bench.officer", "staff"))
    # The demo's "portal" step links the case's participants to these two accounts by name.
    harmed = account("victim.dana", "participant")
    account("offender.eli", "participant")
    reference = build_case(runtime, admin, mediator, staff,
                           steps=[*path_to(CaseState.DIALOGUE_WRITTEN, Modality.WRITTEN), ("portal", None)])
    text = "I would like you to know how that night changed things for my family."
    with runtime.transaction() as session:
        message = messages.submit_message(session, runtime.vault, harmed, reference, text=text)
        context = RecordContext(message.case_id, "message", message.id, message.written_by_id,
                                f"body.r{message.revision}")
        sealed_body = message.sealed_body
    with runtime.transaction() as session:
        case_id = session.scalars(select(Case.id).where(Case.reference == reference)).one()
        if session.get(CaseKey, case_id) is None:
            raise RuntimeError("submitting a message did not create the case's data key")
        if runtime.vault.open_text(session, context, sealed_body) != text:
            raise RuntimeError("the submitted message does not open with the context this benchmark rebuilt")
        data_key = runtime.vault.data_key(session, case_id)
    return Bed(runtime, case_id, context, data_key)


# ---------------------------------------------------------------------------------------------------------
# (1) messages: Vault seal + open vs raw AES-GCM


@dataclass(frozen=True)
class MessageResult:
    size: int
    ops: int
    vault: list[float]  # seconds per seal + open pair, one per round
    in_hand: list[float]
    raw: list[float]

    def us(self, samples: list[float]) -> float:
        return statistics.median(samples) * 1e6

    def throughput(self, samples: list[float]) -> float:
        return self.size / statistics.median(samples) / MIB

    @property
    def vault_ratios(self) -> list[float]:
        return paired_ratios(self.raw, self.vault)

    @property
    def in_hand_ratios(self) -> list[float]:
        return paired_ratios(self.raw, self.in_hand)


def measure_message_size(bed: Bed, plan: Plan, size: int) -> MessageResult:
    payload = random.Random(size).randbytes(size)
    n = plan.message_ops[size]
    runtime, vault, context, data_key = bed.runtime, bed.vault, bed.context, bed.data_key
    associated = context.associated_data

    def run_vault() -> None:
        with runtime.transaction() as session:
            for _ in range(n):
                sealed = vault.seal(session, context, payload)
                opened = vault.open(session, context, sealed)
        if opened != payload:
            raise RuntimeError("the Vault did not give the payload back")

    def run_in_hand() -> None:
        for _ in range(n):
            sealed = records.seal(data_key, context, payload)
            opened = records.open_sealed(data_key, context, sealed)
        if opened != payload:
            raise RuntimeError("records.seal / open_sealed did not give the payload back")

    def run_raw() -> None:
        cipher = AESGCM(data_key)
        for _ in range(n):
            nonce = os.urandom(NONCE_BYTES)
            sealed = cipher.encrypt(nonce, payload, associated)
            opened = cipher.decrypt(nonce, sealed, associated)
        if opened != payload:
            raise RuntimeError("raw AES-GCM did not give the payload back")

    samples = interleave(plan.message_rounds, {
        "vault": lambda: per_op(run_vault, n), "in hand": lambda: per_op(run_in_hand, n),
        "raw": lambda: per_op(run_raw, n)})
    return MessageResult(size, n, samples["vault"], samples["in hand"], samples["raw"])


def empty_transaction(runtime: Runtime) -> Callable[[], None]:
    def run() -> None:
        with runtime.transaction():
            pass

    return run


def key_breakdown(bed: Bed, plan: Plan, sizes: list[int]) -> None:
    """Where one seal or open spends its time besides AES-GCM itself, best of 5 (us)."""
    runtime, vault, context, number = bed.runtime, bed.vault, bed.context, plan.breakdown_number
    case_id, data_key = bed.case_id, bed.data_key
    sql = ("SELECT kek_id, wrapped_key, destroyed_at, cases.organisation_id FROM case_keys JOIN cases "
           "ON cases.id = case_keys.case_id WHERE case_id = ?")
    with runtime.transaction() as session:
        kek_id, wrapped, _, organisation_id = session.connection().execute(_READ_KEY, {"case_id": case_id}).one()
        driver = session.connection().connection.driver_connection
        steps: list[tuple[str, Callable[[], object]]] = [
            ("vault.data_key(): the whole key lookup", lambda: vault.data_key(session, case_id)),
            ("  SELECT of the wrapped key (SQLAlchemy Core on the joined connection)",
             lambda: session.connection().execute(_READ_KEY, {"case_id": case_id}).first()),
            ("    the same SELECT on the sqlite3 driver connection (floor)",
             lambda: driver.execute(sql, (case_id,)).fetchone()),
            ("  cached unwrap (Vault._unwrap: lock + OrderedDict hit)",
             lambda: vault._unwrap(case_id, organisation_id, kek_id, wrapped)),
            ("RecordContext.associated_data (built once per context)", lambda: context.associated_data),
            ("records._cipher(key) (a new AESGCM: the vault keeps them per case)", lambda: records._cipher(data_key)),
            ("os.urandom(12) (the nonce; the baseline pays it too)", lambda: os.urandom(NONCE_BYTES)),
        ]
        print(f"\n  where one seal or open spends its time outside AES-GCM (best of 5 x {number}, inside one "
              "transaction):")
        for name, function in steps:
            print(f"    {name:<74} {best_us(function, number=number):7.2f} us")
    transaction = best_us(empty_transaction(runtime), number=max(10, number // 10))
    shares = ", ".join(f"{transaction / plan.message_ops[size]:.1f} us at {size_text(size)}" for size in sizes)
    print(f"    {'Runtime.transaction() around nothing (BEGIN IMMEDIATE + COMMIT)':<74} {transaction:7.2f} us")
    print(f"      (once per batch in (1): per seal + open pair that is {shares})")
    nonce = os.urandom(NONCE_BYTES)
    for size in sizes:
        ciphertext = os.urandom(size + 16)
        sealed = records.FORMAT_V1 + nonce + ciphertext
        concat = best_us(lambda c=ciphertext: records.FORMAT_V1 + nonce + c, number=number)
        cut = best_us(lambda s=sealed: s[1 + NONCE_BYTES:], number=number)
        print(f"    {f'framing copies at {size_text(size)}: FORMAT_V1 + nonce + ct / sealed[13:]':<74} "
              f"{concat:7.2f} / {cut:.2f} us")


def profile_vault(bed: Bed, plan: Plan) -> None:
    payload = random.Random(1).randbytes(KIB)
    profiler = cProfile.Profile()
    started = time.perf_counter()
    with bed.runtime.transaction() as session:
        profiler.enable()
        for _ in range(plan.profile_ops):
            bed.vault.open(session, bed.context, bed.vault.seal(session, bed.context, payload))
        profiler.disable()
    elapsed = (time.perf_counter() - started) / plan.profile_ops * 1e6
    print_profile(profiler, f"cProfile of {plan.profile_ops} Vault seal + open pairs of 1 KiB in one transaction "
                            f"({elapsed:.0f} us each under the profiler)")


def measure_messages(report: Report, plan: Plan, bed: Bed, *, profile: bool) -> None:
    section("(1) one message sealed + opened through the Vault vs raw AES-GCM")
    print(f"  Vault: one Runtime.transaction() per batch (its BEGIN IMMEDIATE + COMMIT, writing nothing, amortised "
          f"over the batch and\n  included); each seal and each open reads the case's wrapped key (one SELECT) and "
          f"unwraps it from the Vault's cache.\n  {plan.message_rounds} interleaved rounds; batches of "
          + ", ".join(f"{n} pairs at {size_text(s)}" for s, n in plan.message_ops.items())
          + "; medians per seal + open pair")
    print(f"\n    {'payload':>7} {'Vault':>16} {'key in hand':>16} {'raw AESGCM':>16} {'Vault/raw':>10} "
          f"{'in hand/raw':>12} {'key lookup':>11} {'framing':>8}")
    results = [measure_message_size(bed, plan, size) for size in plan.message_ops]
    for r in results:
        vault, in_hand, raw = r.us(r.vault), r.us(r.in_hand), r.us(r.raw)
        vault_ratio, in_hand_ratio = statistics.median(r.vault_ratios), statistics.median(r.in_hand_ratios)
        print(f"    {size_text(r.size):>7} {vault:7.1f} us {r.throughput(r.vault):5.0f}M {in_hand:7.1f} us "
              f"{r.throughput(r.in_hand):5.0f}M {raw:7.1f} us {r.throughput(r.raw):5.0f}M {vault_ratio:9.2f}x "
              f"{in_hand_ratio:11.2f}x {vault - in_hand:+8.1f} us {in_hand - raw:+5.1f} us")
    print("    (M = MiB/s of payload per seal + open; 'key lookup' = Vault - key in hand, for two lookups per pair; "
          "'framing' =\n    key in hand - raw: the associated data built twice, the cipher cache, the version byte "
          "and the copies it makes)")
    for r in results:
        ratio = statistics.median(r.vault_ratios)
        report.add(Row(f"(1) message {size_text(r.size)} seal+open, Vault (key per transaction)",
                       f"{r.throughput(r.vault):.0f} MiB/s", f"{r.throughput(r.raw):.0f} MiB/s", ratio,
                       f">= {TARGET_MESSAGE_RATIO}x", ratio >= TARGET_MESSAGE_RATIO))
    for r in results:
        report.add(Row(f"(1) message {size_text(r.size)} seal+open, key in hand (records), info",
                       f"{r.throughput(r.in_hand):.0f} MiB/s", f"{r.throughput(r.raw):.0f} MiB/s",
                       statistics.median(r.in_hand_ratios), "info", None))
    key_breakdown(bed, plan, list(plan.message_ops))
    if profile:
        profile_vault(bed, plan)


# ---------------------------------------------------------------------------------------------------------
# (2) streams: BlobStore.receive / read vs raw chunked AES-GCM


def repeating(buffer: bytes, total: int) -> Iterator[bytes]:
    """``total`` bytes as repeats of ``buffer`` (the last one cut short), without holding more than ``buffer``."""
    remaining = total
    while remaining > 0:
        piece = buffer if remaining >= len(buffer) else buffer[:remaining]
        remaining -= len(piece)
        yield piece


class GeneratedReader(io.RawIOBase):
    """A raw, read-only stream over a generator of byte strings: ``read`` returns fresh bytes, like a socket."""

    def __init__(self, pieces: Iterator[bytes]) -> None:
        super().__init__()
        self._pieces = pieces
        self._pending = memoryview(b"")

    def readable(self) -> bool:
        return True

    def _fill(self) -> bool:
        while not self._pending:
            piece = next(self._pieces, None)
            if piece is None:
                return False
            self._pending = memoryview(piece)
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        if not self._fill():
            return 0
        count = min(len(buffer), len(self._pending))
        buffer[:count] = self._pending[:count]
        self._pending = self._pending[count:]
        return count

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            return self.readall()
        if size == 0 or not self._fill():
            return b""
        data = bytes(self._pending[:size])
        self._pending = self._pending[len(data):]
        return data


def read_full(source: BinaryIO, size: int) -> bytes:
    parts, remaining = [], size
    while remaining:
        piece = source.read(remaining)
        if not piece:
            break
        parts.append(piece)
        remaining -= len(piece)
    return b"".join(parts)


@dataclass(frozen=True)
class StreamTimes:
    encrypt: float  # seconds, including the fsync
    decrypt: float  # seconds, without the verifying hash
    fsync: float = 0.0  # of which fsync (measured on the raw side only)

    @property
    def total(self) -> float:
        return self.encrypt + self.decrypt


def consume(chunks: Iterator[bytes]) -> tuple[bytes, float]:
    """Hash the chunks as they come; return the digest and the seconds spent hashing (excluded from timings)."""
    digest, hashing = hashlib.sha256(), 0.0
    for chunk in chunks:
        started = time.perf_counter()
        digest.update(chunk)
        hashing += time.perf_counter() - started
    return digest.digest(), hashing


class Stream:
    """The stream's source and expected digest, and the two round trips over it."""

    def __init__(self, store: BlobStore, workdir: Path, total: int) -> None:
        self.store, self.total, self.raw_path = store, total, workdir / "raw-stream.bin"
        self.buffer = random.Random(2026).randbytes(SOURCE_BUFFER_BYTES)
        digest = hashlib.sha256()
        for piece in repeating(self.buffer, total):
            digest.update(piece)
        self.expected = digest.digest()

    def source(self) -> GeneratedReader:
        return GeneratedReader(repeating(self.buffer, self.total))

    def check(self, digest: bytes, who: str) -> None:
        if digest != self.expected:
            raise RuntimeError(f"{who}: the decrypted stream's SHA-256 differs from the source's")

    def ours_encrypt(self) -> tuple[str, bytes]:
        received = self.store.receive(self.source(), limit=self.total)
        if received.size != self.total:
            raise RuntimeError(f"BlobStore.receive stored {received.size} bytes of {self.total}")
        return received.blob_id, received.file_key

    def ours_decrypt(self, blob_id: str, file_key: bytes) -> float:
        digest, hashing = consume(self.store.read(blob_id, file_key))
        self.check(digest, "BlobStore.read")
        return hashing

    def ours(self) -> StreamTimes:
        started = time.perf_counter()
        blob_id, file_key = self.ours_encrypt()
        encrypted = time.perf_counter()
        try:
            hashing = self.ours_decrypt(blob_id, file_key)
            decrypted = time.perf_counter()
        finally:
            self.store.discard(blob_id)
        return StreamTimes(encrypted - started, decrypted - encrypted - hashing)

    def raw(self) -> StreamTimes:
        chunk_size = self.store.chunk_size
        cipher, prefix = AESGCM(AESGCM.generate_key(bit_length=256)), os.urandom(8)
        source = self.source()
        started = time.perf_counter()
        try:
            with open(self.raw_path, "wb") as target:
                counter = 0
                while chunk := read_full(source, chunk_size):
                    target.write(cipher.encrypt(prefix + counter.to_bytes(4, "big"), chunk, None))
                    counter += 1
                target.flush()
                synced = time.perf_counter()
                os.fsync(target.fileno())
                fsync = time.perf_counter() - synced
            encrypted = time.perf_counter()

            def chunks() -> Iterator[bytes]:
                with open(self.raw_path, "rb") as handle:
                    counter = 0
                    while sealed := handle.read(chunk_size + 16):
                        yield cipher.decrypt(prefix + counter.to_bytes(4, "big"), sealed, None)
                        counter += 1

            digest, hashing = consume(chunks())
            decrypted = time.perf_counter()
        finally:
            self.raw_path.unlink(missing_ok=True)
        self.check(digest, "raw AES-GCM")
        return StreamTimes(encrypted - started, decrypted - encrypted - hashing, fsync)


def status_kib(field_name: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field_name + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"no {field_name} in /proc/self/status")


def reset_peak_rss() -> bool:
    """Reset VmHWM to the current RSS (Linux >= 4.0); False where not allowed."""
    try:
        with open("/proc/self/clear_refs", "w") as handle:
            handle.write("5")
    except OSError:
        return False
    return True


class RssSampler:
    """The highest VmRSS seen, sampled every 2 ms on a thread, for kernels that do not reset VmHWM."""

    def __init__(self) -> None:
        self.peak_kib = status_kib("VmRSS")
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.002):
            self.peak_kib = max(self.peak_kib, status_kib("VmRSS"))

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak_kib = max(self.peak_kib, status_kib("VmRSS"))


@dataclass(frozen=True)
class MemoryPeak:
    traced: int  # bytes: tracemalloc's peak minus what was traced when the phase began
    rss: int  # bytes: the peak RSS minus the RSS when the phase began
    how: str  # how the RSS peak was found


T = TypeVar("T")


def memory_phase(phase: Callable[[], T]) -> tuple[MemoryPeak, T]:
    gc.collect()
    reset = reset_peak_rss()
    base_rss = status_kib("VmRSS")
    tracemalloc.reset_peak()
    base_traced = tracemalloc.get_traced_memory()[0]
    with RssSampler() as sampler:
        result = phase()
    peak_traced = tracemalloc.get_traced_memory()[1]
    peak_kib = max(sampler.peak_kib, status_kib("VmHWM")) if reset else sampler.peak_kib
    how = "VmHWM (reset) and VmRSS sampling" if reset else "VmRSS sampled every 2 ms"
    return MemoryPeak(peak_traced - base_traced, (peak_kib - base_rss) * 1024, how), result


def memory_pass(stream: Stream) -> tuple[MemoryPeak, MemoryPeak]:
    """Our encrypt and decrypt under tracemalloc and RSS watch (the warm-up round; its times are not used)."""
    tracemalloc.start()
    try:
        encrypt, (blob_id, file_key) = memory_phase(stream.ours_encrypt)
        try:
            decrypt, _ = memory_phase(lambda: stream.ours_decrypt(blob_id, file_key))
        finally:
            stream.store.discard(blob_id)
    finally:
        tracemalloc.stop()
    return encrypt, decrypt


def measure_stream(report: Report, plan: Plan, store: BlobStore, workdir: Path) -> None:
    total, chunk = plan.stream_bytes, store.chunk_size
    section(f"(2) a {size_text(total)} stream through BlobStore.receive / read vs raw chunked AES-GCM")
    started = time.perf_counter()
    stream = Stream(store, workdir, total)
    print(f"  source: a generated reader repeating a {size_text(SOURCE_BUFFER_BYTES)} pseudo-random buffer "
          f"(SHA-256 of the {size_text(total)} computed in {time.perf_counter() - started:.1f} s);\n"
          f"  chunks of {size_text(chunk)} (BlobStore's chunk size); both sides write a file in {workdir} and "
          "fsync it, then read it\n  back and decrypt it, verifying a running SHA-256 (hashing time excluded on "
          f"both sides); {plan.stream_rounds} interleaved rounds")
    encrypt, decrypt = memory_pass(stream)
    stream.raw()  # the raw side's warm-up
    samples: dict[str, list[StreamTimes]] = {"ours": [], "raw": []}
    for index in range(plan.stream_rounds):
        for name in ("ours", "raw") if index % 2 == 0 else ("raw", "ours"):
            gc.collect()
            samples[name].append(stream.ours() if name == "ours" else stream.raw())
    ours, raw = samples["ours"], samples["raw"]

    def rate(times: list[StreamTimes], part: str) -> float:
        return total / statistics.median(getattr(t, part) for t in times) / MIB

    def ratios(part: str) -> list[float]:
        return [getattr(r, part) / getattr(o, part) for o, r in zip(ours, raw, strict=True)]

    print(f"\n    {'':<30} {'ours':>12} {'raw AESGCM':>12} {'ratio':>7} {'per-round ratios':>18}")
    labels = {"total": "round trip (encrypt + decrypt)", "encrypt": "encrypt, incl. fsync",
              "decrypt": "decrypt"}
    for part, label in labels.items():
        spread = ratios(part)
        print(f"    {label:<30} {rate(ours, part):7.0f} MiB/s {rate(raw, part):7.0f} MiB/s "
              f"{statistics.median(spread):6.2f}x {min(spread):8.2f}-{max(spread):.2f}")
    print(f"    (raw side's fsync: median {statistics.median(t.fsync for t in raw):.2f} s of its "
          f"{statistics.median(t.encrypt for t in raw):.2f} s encrypt)")
    print(f"\n  peak memory growth in the warm-up pass ({encrypt.how}):")
    for name, peak in (("encrypt (BlobStore.receive)", encrypt), ("decrypt (BlobStore.read)", decrypt)):
        print(f"    {name:<30} tracemalloc {peak.traced / MIB:+7.2f} MiB   RSS {peak.rss / MIB:+7.2f} MiB")

    ratio = statistics.median(ratios("total"))
    report.add(Row(f"(2) stream {size_text(total)} encrypt+decrypt, BlobStore", f"{rate(ours, 'total'):.0f} MiB/s",
                   f"{rate(raw, 'total'):.0f} MiB/s", ratio, f">= {TARGET_STREAM_RATIO}x",
                   ratio >= TARGET_STREAM_RATIO))
    report.add(Row(f"(2) stream {size_text(total)} encrypt (receive, fsync), info",
                   f"{rate(ours, 'encrypt'):.0f} MiB/s", f"{rate(raw, 'encrypt'):.0f} MiB/s",
                   statistics.median(ratios("encrypt")), "info", None))
    report.add(Row(f"(2) stream {size_text(total)} decrypt (read), info", f"{rate(ours, 'decrypt'):.0f} MiB/s",
                   f"{rate(raw, 'decrypt'):.0f} MiB/s", statistics.median(ratios("decrypt")), "info", None))
    limit = f"< {TARGET_MEMORY_BYTES // MIB} MiB"
    for name, peak in (("encrypt", encrypt), ("decrypt", decrypt)):
        report.add(Row(f"(2) peak memory growth, {name}, tracemalloc", f"{peak.traced / MIB:+.1f} MiB", "-", None,
                       limit, peak.traced < TARGET_MEMORY_BYTES))
        report.add(Row(f"(2) peak memory growth, {name}, RSS", f"{peak.rss / MIB:+.1f} MiB", "-", None, limit,
                       peak.rss < TARGET_MEMORY_BYTES))


# ---------------------------------------------------------------------------------------------------------


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a small smoke run (seconds, not minutes)")
    parser.add_argument("--only", choices=("1", "2"), action="append", help="run only these parts (repeatable)")
    parser.add_argument("--stream-mib", type=int, metavar="MIB",
                        help="the stream's size in (2) (default: 1024, or 64 with --quick)")
    parser.add_argument("--profile", action="store_true", help="after (1): cProfile the Vault's seal + open")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    plan = QUICK if arguments.quick else FULL
    if arguments.stream_mib:
        plan = Plan(**{**plan.__dict__, "stream_bytes": arguments.stream_mib * MIB})
    parts = set(arguments.only or "12")
    report = Report()
    started = time.perf_counter()
    print(f"benchmarks/crypto.py ({'quick' if arguments.quick else 'full'} run, Python {sys.version.split()[0]}, "
          f"{os.cpu_count()} CPUs); ratios are medians of interleaved rounds against raw AES-256-GCM "
          "(cryptography's AESGCM)")
    with tempfile.TemporaryDirectory(prefix="mediation-crypto-bench-") as folder:
        workdir = Path(folder)
        runtime = open_instance(workdir)
        try:
            if "1" in parts:
                setup = time.perf_counter()
                bed = prepare_bed(runtime)
                print(f"\n  scratch SQLite instance in {workdir}: migrated, a case in the written dialogue and one "
                      f"message submitted through the services in {time.perf_counter() - setup:.1f} s")
                measure_messages(report, plan, bed, profile=arguments.profile)
            if "2" in parts:
                measure_stream(report, plan, runtime.blobs, workdir)
        finally:
            runtime.close()
    report.print(SUMMARY_NOTE)
    print_total(started)
    return 0


if __name__ == "__main__":
    sys.exit(main())
