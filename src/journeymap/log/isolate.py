"""Reading an untrusted file in a child process with a memory and a time budget.

On a shared server one upload must not stall or take down the sessions of everyone else: a reader
caught by a file no limit foresaw could hold the server's Python threads, fill its memory or crash
it. `read_file_isolated` therefore reads the file in a fresh Python process (`python -m
journeymap.log.isolate`) whose address space is capped (RLIMIT_AS), which runs at a lower priority
(nice 10) with a few Polars threads, and which is killed when it takes longer than its time. Only
plain bytes cross the pipe: the request is JSON and the file's bytes; the answer is JSON (notes,
counts, sheet names, or the error's sentence) and each table as Arrow IPC. Nothing is pickled.

| budget                              | default  | environment variable           |
|-------------------------------------|----------|--------------------------------|
| memory of the reading process       | 4,096 MB | JOURNEYMAP_UPLOAD_MEMORY_MB    |
| time to read one file               | 120 s    | JOURNEYMAP_UPLOAD_SECONDS      |
| files read at the same time         | 2        | JOURNEYMAP_UPLOAD_WORKERS      |

The memory budget caps address space, of which Polars, PyArrow and NumPy reserve some 1.5 GB before
reading anything; the default leaves about 2.5 GB for the file's data, several times what a 200 MB
upload needs. The reader limits of `journeymap.log.limits` apply inside the child as well (its environment is the
server's). Past a budget the answer is one sentence naming the file, the budget and its variable.
"""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import threading
from dataclasses import asdict
from typing import Any

from journeymap.core.errors import JourneyError
from journeymap.log.limits import Limits, env_number

__all__ = ["read_file_isolated", "MEMORY_ENV", "SECONDS_ENV", "WORKERS_ENV", "DEFAULT_MEMORY_MB",
           "DEFAULT_SECONDS"]

MEMORY_ENV, SECONDS_ENV, WORKERS_ENV = ("JOURNEYMAP_UPLOAD_MEMORY_MB", "JOURNEYMAP_UPLOAD_SECONDS",
                                        "JOURNEYMAP_UPLOAD_WORKERS")
DEFAULT_MEMORY_MB, DEFAULT_SECONDS, DEFAULT_WORKERS = 4096, 120, 2
_THREADS = 2  # Polars threads of a reading process, so one upload leaves the other cores to the sessions
_slots: threading.BoundedSemaphore | None = None
_slots_lock = threading.Lock()


def read_file_isolated(content: bytes, name: str, *, sep: str | None = None, limits: Limits | None = None,
                       memory_mb: float | None = None, seconds: float | None = None) -> Any:
    """`events.read_file` of the bytes, run in a child process within the memory and time budget.

    Returns the `events.RawFile`; a problem with the file, or a budget passed, is a JourneyError.
    """
    from journeymap.log.excel import Sheet
    from journeymap.log.readers import RawFile

    memory = memory_mb or env_number(MEMORY_ENV, DEFAULT_MEMORY_MB)
    budget = seconds or env_number(SECONDS_ENV, DEFAULT_SECONDS)
    request = json.dumps({"name": name, "sep": sep, "limits": asdict(limits or Limits()),
                          "memory_mb": memory, "seconds": budget}).encode()
    if not _slot().acquire(timeout=budget):
        raise JourneyError(f"{name}: the server is busy reading other files; try again in a minute.", source=name)
    try:
        header, body = _run(request + b"\n" + content, name, memory, budget)
    finally:
        _slot().release()
    if "error" in header:
        raise JourneyError(header["error"], source=name)
    frames = _frames(body, header["sizes"])
    if header["sheets"] is None:
        return RawFile(name, frame=frames[0], notes=header["notes"], skipped=header["skipped"])
    sheets = [Sheet(s["name"], frame, s["problem"], s["notes"]) for s, frame in zip(header["sheets"], frames)]
    return RawFile(name, sheets=sheets, notes=header["notes"], skipped=header["skipped"])


def _slot() -> threading.BoundedSemaphore:
    global _slots
    with _slots_lock:
        if _slots is None:
            _slots = threading.BoundedSemaphore(int(env_number(WORKERS_ENV, DEFAULT_WORKERS)))
        return _slots


def _run(payload: bytes, name: str, memory: float, budget: float) -> tuple[dict[str, Any], bytes]:
    env = {**os.environ, "POLARS_MAX_THREADS": str(_THREADS), "PYTHONUNBUFFERED": "1"}
    child = subprocess.Popen([sys.executable, "-m", "journeymap.log.isolate"], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    try:
        out, err = child.communicate(payload, timeout=budget)
    except subprocess.TimeoutExpired:
        child.kill()
        child.communicate()
        raise _too_slow(name, budget) from None
    line, _, body = out.partition(b"\n")
    if child.returncode == 0 and line:
        return json.loads(line), body
    if child.returncode == -signal.SIGXCPU:
        raise _too_slow(name, budget)
    # Killed (the kernel's memory killer, a native abort on a failed allocation) or out of memory.
    raise JourneyError(
        f"{name}: reading it needed more than {memory:,.0f} MB of memory, the budget of one upload; if it is a "
        f"genuine event log, read it with the journeymap command, or have the server's {MEMORY_ENV} raised (e.g. "
        f"{MEMORY_ENV}={memory * 2:.0f}).", source=name) from None


def _too_slow(name: str, budget: float) -> JourneyError:
    return JourneyError(
        f"{name}: reading it took longer than {budget:,g} s, the time one upload may take; if it is a genuine "
        f"event log, read it with the journeymap command, or have the server's {SECONDS_ENV} raised (e.g. "
        f"{SECONDS_ENV}={budget * 2:g}).", source=name)


def _frames(body: bytes, sizes: list[int]) -> list[Any]:
    import polars as pl

    frames, start = [], 0
    for size in sizes:
        frames.append(pl.read_ipc(io.BytesIO(body[start:start + size])))
        start += size
    return frames


def _ipc(frame: Any) -> bytes:
    buffer = io.BytesIO()
    frame.write_ipc(buffer)
    return buffer.getvalue()


def _child() -> int:
    """The reading process: request line and file bytes on stdin, answer line and tables on stdout."""
    stdin = sys.stdin.buffer
    request = json.loads(stdin.readline())
    _limit_self(request["memory_mb"], request["seconds"])
    content = stdin.read()
    out = sys.stdout.buffer
    try:  # the readers' libraries load under the budget too: too small a budget fails here, not as a file error
        from journeymap.log.readers import read_file
    except (ImportError, MemoryError):
        return 3  # the parent words it
    try:
        raw = read_file(content, name=request["name"], sep=request["sep"], limits=Limits(**request["limits"]))
        del content
        frames = [raw.frame] if raw.frame is not None else [s.frame for s in raw.sheets]
        blobs = [_ipc(frame) for frame in frames]
        sheets = None if raw.frame is not None else [
            {"name": s.name, "problem": s.problem, "notes": s.notes} for s in raw.sheets]
        header: dict[str, Any] = {
            "notes": raw.notes,
            "skipped": raw.skipped,
            "sheets": sheets,
            "sizes": [len(b) for b in blobs],
        }
    except JourneyError as error:
        blobs, header = [], {"error": str(error)}
    except (MemoryError, ImportError):  # a library loaded lazily while reading fails alike under the budget
        return 3  # the parent words it
    except Exception as error:  # noqa: BLE001 - whatever a reader missed, the user gets a sentence
        detail = " ".join(str(error).split())[:100]
        blobs, header = (
            [],
            {
                "error": f"{request['name']}: could not be read ({type(error).__name__}: {detail}). "
                "Check the file type and that the file is complete."
            },
        )
    out.write(json.dumps(header).encode() + b"\n")
    for blob in blobs:
        out.write(blob)
    out.flush()
    return 0


def _limit_self(memory_mb: float, seconds: float) -> None:
    """Cap this process's address space and CPU time, and lower its priority (where the system has them)."""
    try:
        import resource
    except ImportError:  # Windows: no rlimits; the parent's timeout still holds
        return
    memory = int(memory_mb * 1024 * 1024)
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    cpu = int(seconds * _THREADS) + 5
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))
    os.nice(10)


if __name__ == "__main__":
    sys.exit(_child())
