"""Reproducible builds: the same input gives byte-identical output files, bar the sitemap's date.

The two builds differ in everything that should not matter: the folder the knowledge base lives in, the order
its files were created in (directory listing order), the site folder, the process and its hash seed. A deploy
diff then shows only real changes.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import KB, front_matter, render_postmortem

IGNORED = {"sitemap.xml", "sitemap.xml.gz"}  # they carry the build date (<lastmod>)


# Pagefind 1.5 writes each filter's values in hash-map order, so its filter files, and the two files that name
# them by hash (the language's .pf_meta and pagefind-entry.json), differ from build to build with the same
# content. Its word index, fragments and scripts are byte-identical and are compared.
def is_compared(name: str) -> bool:
    if name.rsplit("/", 1)[-1] in IGNORED:
        return False
    unordered = name.startswith("pagefind/filter/") or name.endswith(".pf_meta")
    return not (unordered or name == "pagefind/pagefind-entry.json")


def _timeline(day: str, hours: int) -> dict:
    return {
        "started": f"{day}T09:00:00+02:00",
        "detected": f"{day}T09:20:00+02:00",
        "resolved": f"{day}T{9 + hours}:00:00+02:00",
    }


FILES: dict[str, str] = {
    "index.md": "# Incidents\n\nWhat we learned.\n",
    "runbooks/deploy.md": "# Deploy\n\nSteps.\n",
    "runbooks/rollback.md": "# Rollback\n",
    "2024/2024-05-02-cache-stampede.md": render_postmortem(
        front_matter(related=["2023-11-20-dns-expiry"], runbooks=["runbooks/deploy.md"])
    ),
    "2024/2024-05-02-same-day-other.md": render_postmortem(
        front_matter(title="Same day, same cause", tags=["redis", "zebra", "alpha"], services=["cache", "api"])
    ),
    "2023/2023-11-20-dns-expiry.md": render_postmortem(
        front_matter(
            title="Certificate and DNS expiry — ünïcödé, 中文, emoji 🚒",
            date="2023-11-20",
            timeline=_timeline("2023-11-20", 3),
            cause="expiry",
            contributing=["monitoring-gap", "manual-operation"],
            services=["dns", "edge"],
            tags=["certificates"],
            action_items=[
                {"title": "Automate renewal", "owner": "zoe", "status": "open", "due": "2024-01-01"},
                {"title": "Alert on expiry", "owner": "Ann", "status": "in-progress", "priority": "low"},
                {"title": "Audit", "owner": "bob", "status": "open"},
            ],
        )
    ),
    "2022/2022-01-03-old.md": render_postmortem(
        front_matter(
            title="An old one",
            date="2022-01-03",
            status="in-review",
            severity="SEV1",
            timeline=_timeline("2022-01-03", 1),
            action_items=[],
            cause="capacity",
            services=["checkout"],
        )
    ),
    "2024/2024-06-01-draft.md": render_postmortem(
        front_matter(title="A draft", date="2024-06-01", status="draft", timeline=None, action_items=None)
    ),
}


def make_kb(root: Path, order: list[str]) -> KB:
    kb = KB(root)
    kb.docs.mkdir(parents=True)
    kb.set_config()
    for name in order:
        kb.write(name, FILES[name])
    return kb


def build_in_subprocess(kb: KB, site: Path, hash_seed: str) -> None:
    env = {**os.environ, "PYTHONHASHSEED": hash_seed, "PMKB_TODAY": os.environ["PMKB_TODAY"]}
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-f", str(kb.config), "-d", str(site)],
        cwd=kb.root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr


def site_files(site: Path) -> dict[str, bytes]:
    return {
        path.relative_to(site).as_posix(): path.read_bytes()
        for path in sorted(site.rglob("*"))
        if path.is_file() and is_compared(path.relative_to(site).as_posix())
    }


def test_two_builds_of_the_same_input_are_byte_identical(tmp_path: Path):
    names = list(FILES)
    first = make_kb(tmp_path / "one" / "kb", names)
    second = make_kb(tmp_path / "two" / "elsewhere", list(reversed(names)))
    build_in_subprocess(first, tmp_path / "site-a", hash_seed="1")
    build_in_subprocess(second, tmp_path / "site-b", hash_seed="2")
    a, b = site_files(tmp_path / "site-a"), site_files(tmp_path / "site-b")
    assert sorted(a) == sorted(b)
    different = [name for name in a if a[name] != b[name]]
    assert different == []
    assert "postmortems.json" in a and "2023/2023-11-20-dns-expiry/index.html" in a
    for name, content in a.items():  # no build-machine path leaks into the output
        assert str(tmp_path).encode() not in content, name


def test_rebuilding_in_place_changes_nothing(kb):
    for name, text in FILES.items():
        if name != "index.md":
            kb.write(name, text)
    site = kb.build()
    before = site_files(site)
    kb.build()
    assert site_files(site) == before


def test_an_earlier_commits_cache_gives_the_same_site_as_none(tmp_path: Path):
    """What CI's restored cache does (`actions/cache` in the workflow): a build that finds the cache an earlier
    version of the knowledge base left (drawn charts, similar incidents' term counts) writes exactly the site that
    a build with no cache writes, for a change that moves charts, similar incidents and lists."""
    kb = make_kb(tmp_path / "kb", list(FILES))
    build_in_subprocess(kb, tmp_path / "site-before", hash_seed="1")
    cache = kb.root / ".cache" / "pmkb"
    earlier_charts = {path.name for path in (cache / "charts").glob("*.svg")}
    assert earlier_charts and (cache / "search" / "similar-terms.json").is_file()

    # The next commit: a cause and a service change, one postmortem goes, one arrives.
    kb.write(
        "2023/2023-11-20-dns-expiry.md",
        FILES["2023/2023-11-20-dns-expiry.md"].replace("cause: expiry", "cause: network").replace("- edge", "- cdn"),
    )
    (kb.docs / "2022" / "2022-01-03-old.md").unlink()
    kb.write(
        "2024/2024-07-09-queue-backlog.md",
        render_postmortem(
            front_matter(
                title="Queue backlog",
                date="2024-07-09",
                timeline=_timeline("2024-07-09", 2),
                cause="capacity",
                tags=["redis"],
            )
        ),
    )
    build_in_subprocess(kb, tmp_path / "site-cached", hash_seed="2")
    assert earlier_charts & {path.name for path in (cache / "charts").glob("*.svg")}  # some charts were reused
    shutil.rmtree(cache)
    build_in_subprocess(kb, tmp_path / "site-fresh", hash_seed="3")

    before, cached, fresh = (site_files(tmp_path / name) for name in ("site-before", "site-cached", "site-fresh"))
    assert sorted(cached) == sorted(fresh)
    assert [name for name in cached if cached[name] != fresh[name]] == []
    assert "2024/2024-07-09-queue-backlog/index.html" in cached and "2022/2022-01-03-old/index.html" not in cached
    assert cached["causes/network/index.html"] != before.get("causes/network/index.html")  # the change shows
