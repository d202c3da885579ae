"""Save to visible under `mkdocs serve`: pmkb's preview against plain Material's serve of the same files.

    python benchmarks/serve.py -n 1000 [-n 5000] [--rounds 5] [--keep DIR]

For each size, a corpus (benchmarks/corpus.py) is served twice at once on free loopback ports: by pmkb
(`mkdocs.yml`) and by plain Material (`mkdocs-plain.yml`, the same Markdown). Each round edits one postmortem
and polls its page on both servers until the edit shows: the time from the save to the first answer holding it.
The edits alternate between the two servers (pmkb first in even rounds, Material first in odd ones), one server
at a time, each waiting for the other to be idle, so both see the same machine. Two kinds of edit:

- body: a sentence appended to the body;
- front matter: the title changed (shown on the page, and on pmkb's listings: pmkb's time is until both the page
  and /incidents/ show it).

Between rounds each server is left to settle (pmkb's preview remakes the browser search index on a thread). The
machine is shared: the script prints the medians, the ratio pmkb / Material and `uptime`'s load.

Both servers poll the disk as MkDocs does (every 0.5 s) and wait 0.1 s for more changes: up to 0.6 s of every
figure is MkDocs' watcher, the same for both.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import corpus  # noqa: E402

MKDOCS = [sys.executable, "-m", "mkdocs"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Served:
    """`mkdocs serve` of one config in a child process, its output in a file; stopped by `stop` (always)."""

    def __init__(self, root: Path, config: str, *, extra: tuple[str, ...] = (), log_path: Path | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.log_path = log_path or Path(tempfile.mkstemp(prefix="pmkb-serve-", suffix=".log")[1])
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - closed by stop()
        env = {**os.environ, "PMKB_TODAY": corpus.TODAY.isoformat(), "NO_MKDOCS_2_WARNING": "1"}
        self.process = subprocess.Popen(
            [*MKDOCS, "serve", "-f", config, "-a", f"127.0.0.1:{self.port}", *extra],
            cwd=root,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"mkdocs serve exited:\n{self.log()[-3000:]}")
            if "Serving on" in self.log():
                with contextlib.suppress(OSError):
                    if fetch(self.url, timeout=5) is not None:
                        return
            time.sleep(0.2)
        raise TimeoutError(f"mkdocs serve not ready after {timeout:.0f} s:\n{self.log()[-3000:]}")

    def builds(self) -> int:
        """How many times the server said it reloaded the browsers (a build, full or partial, ended)."""
        return self.log().count("Reloading browsers")

    def stop(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGINT)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=20)
        self._log.close()


def fetch(url: str, timeout: float = 10) -> bytes | None:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as answer:
            return answer.read()
    except urllib.error.HTTPError:
        return None


def wait_for(url: str, needle: bytes, *, since: float, timeout: float, poll: float = 0.02) -> float:
    """Seconds from `since` to the first answer from `url` holding `needle`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError):
            body = fetch(url, timeout=timeout)
            if body is not None and needle in body:
                return time.perf_counter() - since
        time.sleep(poll)
    raise TimeoutError(f"{needle!r} not on {url} after {timeout:.0f} s")


def settle(served: Served, *, quiet: float, timeout: float) -> None:
    """Wait until the server's log has not grown for `quiet` seconds and every search index pmkb's preview began
    to make again is in place (its background work is done)."""
    deadline = time.monotonic() + timeout
    size, since = -1, time.monotonic()
    while time.monotonic() < deadline:
        now = served.log_path.stat().st_size
        log = served.log()
        busy = log.count("is being made again") > log.count("pages is up to date")
        if now != size or busy:
            size, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet:
            return
        time.sleep(0.1)


def page_path(src: Path, docs: Path) -> str:
    return src.relative_to(docs).with_suffix("").as_posix() + "/"


def edit_body(path: Path, marker: str) -> bytes:
    text = path.read_text(encoding="utf-8")
    path.write_text(text.rstrip("\n") + f"\n\nAlso noted: {marker}.\n", encoding="utf-8")
    return marker.encode()


def edit_title(path: Path, marker: str) -> bytes:
    text = path.read_text(encoding="utf-8")
    text, count = re.subn(r"(?m)^title: .*$", f"title: Outage {marker}", text, count=1)
    assert count == 1, path
    path.write_text(text, encoding="utf-8")
    return f"Outage {marker}".encode()


def measure(sizes: list[int], rounds: int, keep: Path | None) -> list[str]:
    lines = []
    for size in sizes:
        root = (keep / f"kb-{size}") if keep else Path(tempfile.mkdtemp(prefix=f"pmkb-serve-bench-{size}-"))
        if not (root / corpus.CONFIG).exists():
            subprocess.run([sys.executable, str(HERE / "corpus.py"), str(root), "-n", str(size)], check=True)
        docs = root / corpus.DOCS
        # the same postmortem on both sides: each side edits its own copy of the corpus' files
        plain_root = root.with_name(root.name + "-plain")
        if not plain_root.exists():
            shutil.copytree(root, plain_root)
        sources = sorted(docs.glob("20*/*.md"))
        targets = [sources[len(sources) * k // (2 * rounds + 1)] for k in range(1, 2 * rounds + 1)]
        start_timeout = 120 + size * 0.1
        pmkb = Served(root, corpus.CONFIG)
        plain = Served(plain_root, corpus.PLAIN_CONFIG)
        try:
            pmkb.wait_ready(start_timeout)
            plain.wait_ready(start_timeout)
            times: dict[tuple[str, str], list[float]] = {}
            for index in range(2 * rounds):
                kind, edit = (("body", edit_body), ("front matter", edit_title))[index % 2]
                target = targets[index]
                order = [("pmkb", pmkb, root), ("Material", plain, plain_root)]
                if (index // 2) % 2:
                    order.reverse()
                for name, served, base in order:
                    settle(served, quiet=2.0, timeout=300)
                    path = base / corpus.DOCS / target.relative_to(docs)
                    marker = f"m{index}x{time.time_ns() % 10**9}"
                    started = time.perf_counter()
                    needle = edit(path, marker)
                    seconds = wait_for(
                        served.url + page_path(path, base / corpus.DOCS), needle, since=started, timeout=900
                    )
                    if name == "pmkb" and kind == "front matter":  # and on the listing that shows the title
                        seconds = max(seconds, wait_for(served.url + "incidents/", needle, since=started, timeout=900))
                    times.setdefault((kind, name), []).append(seconds)
                    print(f"{size} {kind:12} {name:8} {seconds:6.2f} s", flush=True)
            load = os.getloadavg()
            for kind in ("body", "front matter"):
                ours = statistics.median(times[(kind, "pmkb")])
                theirs = statistics.median(times[(kind, "Material")])
                lines.append(
                    f"| {size:,} | {kind} | {ours:.2f} s | {theirs:.2f} s | {ours / theirs:.3f}x | "
                    f"{len(times[(kind, 'pmkb')])} | {load[0]:.1f} |"
                )
        finally:
            pmkb.stop()
            plain.stop()
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, action="append", help="postmortems (repeatable); default 1000")
    parser.add_argument("--rounds", type=int, default=5, help="edits of each kind per server")
    parser.add_argument("--keep", type=Path, help="folder for the corpora, kept between runs")
    args = parser.parse_args()
    print(subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())
    lines = measure(args.n or [1000], args.rounds, args.keep)
    print("| postmortems | edit | pmkb (median) | plain Material (median) | ratio | edits | load (1 min) |")
    print("| ---: | --- | ---: | ---: | ---: | ---: | ---: |")
    print("\n".join(lines))
    print(subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())


if __name__ == "__main__":
    main()
