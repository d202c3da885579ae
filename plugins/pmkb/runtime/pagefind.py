"""Pagefind's indexer, fed page by page while MkDocs builds, on another core.

The Pagefind binary (from the `pagefind[bin]` wheel: nothing is downloaded at run time) runs as a service: its
standard input takes base64-encoded JSON requests, each followed by a comma, and its standard output answers the
same way. The `pagefind` Python package speaks this protocol through asyncio, but its reply loop sleeps 0.1 s per
answer, so a page costs 0.1 s (8 minutes at 5,000 postmortems); this module speaks it directly. Requests are
written by a thread and answers read by another, so `add` never blocks the build: the service parses and indexes
each page while MkDocs converts and renders the next ones, and `write` has it write its files while MkDocs still
renders pages. `finish` waits for the files, then reads back which Pagefind page id each URL got (the explorer
maps Pagefind's results to its own index by that id).

Nothing here knows MkDocs: the plugin decides which pages are indexed and what each one holds.
"""

from __future__ import annotations

import base64
import errno
import gzip
import io
import json
import os
import queue
import subprocess
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

FRAGMENT_SIGNATURE = b"pagefind_dcd"  # each fragment file: gzip("pagefind_dcd" + JSON)
INDEX_FOLDERS = ("fragment", "index", "filter")  # what Pagefind writes below its output folder
SETTLE_SECONDS = 60.0  # how long Pagefind's files may take to reach the disk after it says they are written
# Less free space than this while Pagefind's files have stopped changing and are incomplete: its writes failed on
# a full disk (it answers WriteFiles all the same), so there is nothing to wait for.
FULL_DISK_BYTES = 64 * 1024


@dataclass(frozen=True)
class IndexStats:
    pages: int
    cpu_seconds: float  # the Pagefind process's own user + system time
    peak_mb: float  # its peak resident memory
    waited_seconds: float  # how long `finish` waited for it (the part the build did not overlap)


class PagefindError(RuntimeError):
    """The indexer could not start, failed, or stopped: the message says why, in one line."""


def pagefind_executable() -> Path:
    """The Pagefind binary: PAGEFIND_BINARY_PATH, else the one in the `pagefind_bin` wheel, else on the PATH."""
    explicit = os.environ.get("PAGEFIND_BINARY_PATH")
    if explicit:
        return Path(explicit)
    try:
        from pagefind_bin import get_executable  # type: ignore[import-untyped]  # the `pagefind[bin]` extra

        return Path(get_executable())
    except ImportError:
        pass
    import shutil

    found = shutil.which("pagefind_extended") or shutil.which("pagefind")
    if found is None:
        raise PagefindError("the Pagefind binary is missing: install pmkb's dependency `pagefind[bin]`")
    return Path(found)


class PagefindIndexer:
    """One index, built by one `pagefind --service` process.

    `add` queues a page (its site-relative URL and an HTML document) and returns at once; `write` asks for the
    files once every page is queued; `finish` waits for them and returns {url: Pagefind page id}. `cancel` stops
    the process; it is safe to call at any time, more than once.
    """

    def __init__(self, *, language: str = "en", exclude_selectors: tuple[str, ...] = ()) -> None:
        try:
            self._process = subprocess.Popen(
                [os.fspath(pagefind_executable()), "--service"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
            )
        except OSError as error:
            raise PagefindError(f"cannot start Pagefind: {error}") from error
        self._next_id = 0
        self._answers: dict[int, dict] = {}
        self._failure: str | None = None
        self._done = threading.Condition()
        self._outbox: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
        self._output: str | None = None
        self._write_request: int | None = None
        self._reader = threading.Thread(target=self._read, name="pagefind-reader", daemon=True)
        self._writer = threading.Thread(target=self._write, name="pagefind-writer", daemon=True)
        self._reader.start()
        self._writer.start()
        config = {"force_language": language, "exclude_selectors": list(exclude_selectors)}
        answer = self._wait(self._send({"type": "NewIndex", "config": config}))
        self._index_id = answer["index_id"]
        self.pages = 0
        self.stats: IndexStats | None = None

    # -- the protocol -------------------------------------------------------------------------------------------

    def _send(self, payload: dict) -> int:
        self._next_id += 1
        message = json.dumps({"message_id": self._next_id, "payload": payload}, ensure_ascii=False)
        self._outbox.put(base64.b64encode(message.encode("utf-8")) + b",")
        return self._next_id

    def _write(self) -> None:
        stdin = self._process.stdin
        assert stdin is not None
        try:
            while (message := self._outbox.get()) is not None:
                stdin.write(message)
                if self._outbox.empty():
                    stdin.flush()
        except (BrokenPipeError, ValueError, OSError):
            self._fail("Pagefind stopped while pages were being sent")

    def _read(self) -> None:
        stdout = self._process.stdout
        assert isinstance(stdout, io.BufferedReader)  # Popen's default buffering
        pending = b""
        while chunk := stdout.read1(1 << 16):
            pending += chunk
            *messages, pending = pending.split(b",")
            for message in messages:
                try:
                    answer = json.loads(base64.b64decode(message))
                except ValueError:
                    continue  # not an answer (the service logs nothing else on stdout, but never trust that)
                payload = answer.get("payload") or {}
                message_id = answer.get("message_id")
                if payload.get("type") == "Error":
                    # A page Pagefind cannot read fails the index: no silently missing incident.
                    self._fail(f"Pagefind: {payload.get('message', 'unknown error')}")
                elif message_id is not None:
                    with self._done:
                        self._answers[message_id] = payload
                        self._done.notify_all()
        self._fail("Pagefind stopped unexpectedly")

    def _fail(self, reason: str) -> None:
        with self._done:
            if self._failure is None:
                self._failure = reason
            self._done.notify_all()

    def _wait(self, message_id: int) -> dict:
        with self._done:
            while message_id not in self._answers:
                if self._failure is not None:
                    raise PagefindError(self._failure)
                self._done.wait()
            return self._answers.pop(message_id)

    # -- the index ----------------------------------------------------------------------------------------------

    def add(self, url: str, html: str) -> None:
        """Index one page. `url` is what search results link to (site-relative, with a leading '/')."""
        self._send({"type": "AddFile", "index_id": self._index_id, "url": url, "file_contents": html})
        self.pages += 1

    def write(self, output: str | os.PathLike) -> None:
        """Have Pagefind write the index into `output`, after every page queued so far."""
        self._output = os.fspath(output)
        request = {"type": "WriteFiles", "index_id": self._index_id, "output_path": self._output}
        self._write_request = self._send(request)

    def finish(self) -> dict[str, str]:
        """Wait until the index is written; return {url: Pagefind's page id} of every page indexed."""
        if self._write_request is None or self._output is None:
            raise PagefindError("finish() before write()")
        start = time.perf_counter()
        try:
            self._wait(self._write_request)
            # Pagefind 1.5.2 answers before its last writes are on disk (fixed upstream after 1.5.2, Pagefind
            # #1272): ended at once, it left an empty pagefind-entry.json in 3 of 30 writes on a busy machine.
            settle(Path(self._output))
        finally:
            usage = self._stop()
        if usage is not None:
            cpu = usage.ru_utime + usage.ru_stime
            self.stats = IndexStats(self.pages, cpu, usage.ru_maxrss / 1024, time.perf_counter() - start)
        return fragment_ids(Path(self._output))

    def cancel(self) -> None:
        self._stop()

    def _stop(self):
        """End the service; its resource usage (os.wait4), or None if it had already been collected."""
        self._outbox.put(None)
        process = self._process
        usage = None
        if process.returncode is None:
            process.terminate()  # first: a writer blocked on a full pipe gets EPIPE instead of holding its lock
            deadline = time.monotonic() + 10
            while True:
                try:
                    pid, status, usage = os.wait4(process.pid, os.WNOHANG)
                except ChildProcessError:  # collected meanwhile by another thread's `_stop`
                    break
                if pid:
                    process.returncode = os.waitstatus_to_exitcode(status)
                    break
                if time.monotonic() > deadline:
                    process.kill()
                    _, status, usage = os.wait4(process.pid, 0)
                    process.returncode = os.waitstatus_to_exitcode(status)
                    break
                time.sleep(0.005)
        for stream in (process.stdin, process.stdout):
            try:
                if stream is not None:
                    stream.close()
            except OSError:
                pass
        return usage


def settle(output: Path, *, poll: float = 0.02) -> None:
    """Wait until the index in `output` is whole: its entry file readable, its metadata there, no file empty, and
    no file's size changed since the last look. Raises PagefindError after SETTLE_SECONDS."""
    deadline = time.monotonic() + SETTLE_SECONDS
    previous: dict[Path, int] | None = None
    while True:
        sizes = _sizes(output)
        if sizes is not None and sizes == previous and all(sizes.values()) and _entry_complete(output):
            return
        full = sizes is not None and sizes == previous and disk_full(output)
        if full or time.monotonic() > deadline:
            if full or disk_full(output):
                raise PagefindError(f"{full_disk(output)}: Pagefind could not write the search index")
            raise PagefindError(f"Pagefind left an incomplete index in {output}")
        previous = sizes
        time.sleep(poll)


def free_bytes(path: Path) -> int | None:
    """Space left to this user on the disk holding `path` (None: unknown)."""
    try:
        stats = os.statvfs(path)
    except (OSError, AttributeError):
        return None
    return (stats.f_bfree if os.geteuid() == 0 else stats.f_bavail) * stats.f_frsize


def disk_full(path: Path) -> bool:
    free = free_bytes(path)
    return free is not None and free < FULL_DISK_BYTES


def full_disk(path: Path) -> str:
    return f"no space left on the disk holding {path}"


def os_error_text(error: OSError, path: Path) -> str:
    """One line for a failed write of `path`: a full disk (or quota) named as such, else the system's words."""
    if error.errno in (errno.ENOSPC, errno.EDQUOT):
        return full_disk(path.parent)
    return error.strerror or str(error)


def _sizes(output: Path) -> dict[Path, int] | None:
    """The size of each of Pagefind's files in `output` (at its top and in its own folders, not in other indexes
    placed below it); None while a file vanishes between listing and looking (Pagefind still renaming)."""
    folders = [output, *(output / name for name in INDEX_FOLDERS)]
    try:
        return {
            path: path.stat().st_size
            for folder in folders
            if folder.is_dir()
            for path in folder.iterdir()
            if path.is_file()
        }
    except OSError:
        return None


def _entry_complete(output: Path) -> bool:
    try:
        entry = json.loads((output / "pagefind-entry.json").read_text(encoding="utf-8"))
        hashes = [language["hash"] for language in entry["languages"].values()]
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return False
    return all((output / f"pagefind.{hash_}.pf_meta").is_file() for hash_ in hashes)


def fragment_ids(output: Path) -> dict[str, str]:
    """{page url: Pagefind page id} from an index's fragment files (a result's `id` is its fragment's name)."""
    ids: dict[str, str] = {}
    for path in (output / "fragment").glob("*.pf_fragment"):
        data = gzip.decompress(path.read_bytes())
        if data.startswith(FRAGMENT_SIGNATURE):
            ids[json.loads(data[len(FRAGMENT_SIGNATURE) :])["url"]] = path.name[: -len(".pf_fragment")]
    return ids


def part_sizes(expected_pages: int, pages_per_index: int) -> tuple[int, int]:
    """(parts, pages per part) for about `expected_pages` pages and at most `pages_per_index` an index (0: one
    index). Parts are balanced: 5,002 pages at 5,000 an index are two of 2,501, not 5,000 and 2."""
    if pages_per_index <= 0 or expected_pages <= pages_per_index:
        return 1, max(expected_pages, 1)
    parts = -(-expected_pages // pages_per_index)
    return parts, -(-expected_pages // parts)


class SplitIndexer:
    """Pagefind indexes of at most `pages_per_part` pages each, filled one after the other, which the browser
    merges (Pagefind's `mergeIndex`). Pagefind holds every page of an index in memory until it has written it:
    1.6 GB at 5,000 pages and 5.7 GB at 20,000 in one index (benchmarks/search_browser.py). Here a part is
    written, and its process ended, as soon as it is full, while the next part fills: the indexer's memory is
    about one part's, whatever the size of the site.

    Part 1 is written into `output`, part k into `output/part-k/`. Same use as PagefindIndexer, but the output is
    given at the start and `write` takes none.
    """

    def __init__(self, output: str | os.PathLike, pages_per_part: int, **options) -> None:
        self.output = Path(output)
        self.pages_per_part = max(pages_per_part, 1)
        self.options = options
        self.folders: list[Path] = []
        self.stats: IndexStats | None = None
        self._parts: list[PagefindIndexer] = []
        # One thread waits for each full part in turn and ends its process, freeing its memory.
        self._finisher = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pagefind-part")
        self._finished: list[Future[dict[str, str]]] = []
        self._start_part()

    def _start_part(self) -> None:
        number = len(self._parts) + 1
        self.folders.append(self.output if number == 1 else self.output / f"part-{number}")
        self._parts.append(PagefindIndexer(**self.options))

    def _close_part(self) -> None:
        self._parts[-1].write(self.folders[-1])
        self._finished.append(self._finisher.submit(self._parts[-1].finish))

    def add(self, url: str, html: str) -> None:
        if self._parts[-1].pages >= self.pages_per_part:
            self._close_part()
            self._start_part()
        self._parts[-1].add(url, html)

    def write(self) -> None:
        self._close_part()

    def extra_folders(self) -> list[Path]:
        """The folders of parts 2 and later, which the browser merges into part 1."""
        return self.folders[1:]

    def finish(self) -> dict[str, str]:
        """Wait for every part; {url: Pagefind page id} of every page of every part."""
        start = time.perf_counter()
        ids: dict[str, str] = {}
        try:
            for finished in self._finished:
                ids.update(finished.result())
        except PagefindError:
            self.cancel()
            raise
        self._finisher.shutdown(wait=False)
        stats = [part.stats for part in self._parts if part.stats is not None]
        if stats:
            self.stats = IndexStats(
                pages=sum(s.pages for s in stats),
                cpu_seconds=sum(s.cpu_seconds for s in stats),
                peak_mb=max(s.peak_mb for s in stats),
                waited_seconds=time.perf_counter() - start,
            )
        return ids

    def cancel(self) -> None:
        for part in self._parts:
            part.cancel()  # a part being waited for then fails its wait, which ends the waiting thread
        self._finisher.shutdown(wait=False)
