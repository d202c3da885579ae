"""Real `mkdocs build`s of fixture knowledge bases, read back as HTML and JSON."""

from __future__ import annotations

import json
import re

import pytest
from conftest import REPO, front_matter
from htmlpage import read_page, resolve
from mkdocs.exceptions import Abort

PID = "2024-05-02-cache-stampede"
URL = f"2024/{PID}/"


def timeline_on(day: str, hours: int = 2) -> dict:
    return {
        "started": f"{day}T09:00:00Z",
        "detected": f"{day}T09:10:00Z",
        "resolved": f"{day}T{9 + hours:02d}:00:00Z",
    }


def add_on(kb, pid: str, **overrides):
    day = pid[:10]
    overrides.setdefault("timeline", timeline_on(day))
    return kb.add(pid, date=day, **overrides)


# -- the postmortem page ---------------------------------------------------------------------------------------


def test_header_card_shows_every_value(kb):
    kb.add(PID)
    page = read_page(kb.build(strict=True), URL)
    card = page.article.find("section", "pmkb-card")
    text = card.all_text()
    for expected in [
        "Checkout failed for 40% of users for 2h.",
        "SEV2",
        "published",
        "2024-05-02",
        "checkout",
        "cache",
        "Capacity",
        "Monitoring gap",
        "Traffic change",
        "Alert",
        "redis",
        "thundering-herd",
        "Ada Lovelace",
        "Time to detect 12m",
        "Time to mitigate 1h 30m",
        "Time to resolve 4h 17m",
        "1,200",
    ]:
        assert expected in text, expected
    assert page.tree.find("h1").all_text() == "Cache stampede takes down checkout"


def test_action_items_table_has_badges_owner_due_overdue_and_link(kb):
    items = [
        {
            "title": "Add request coalescing",
            "owner": "team-checkout",
            "status": "open",
            "priority": "high",
            "due": "2025-01-01",
            "link": "https://tracker.example/1",
        },
        {"title": "Alert on hit ratio", "owner": "sre", "status": "done"},
    ]
    kb.add(PID, action_items=items)
    page = read_page(kb.build(), URL)
    table = page.article.find("div", "pmkb-actions")
    rows = page.rows(table)
    assert rows[0][:5] == ["Add request coalescing", "team-checkout", "high", "2025-01-01 overdue", "open"]
    assert rows[1][4] == "done"
    assert ("https://tracker.example/1", "Add request coalescing") in page.links(table)
    assert table.find("span", "pmkb-badge--open") is not None
    assert table.find("tr", "pmkb-action--overdue") is not None


def test_script_in_title_is_escaped_everywhere(kb):
    kb.add(PID, title="<script>alert(1)</script> & more")
    site = kb.build()
    for url in [URL, "", "incidents/", "causes/capacity/", "services/checkout/", "tags/redis/", "action-items/"]:
        html = read_page(site, url).html
        assert "<script>alert(1)" not in html, url
    html = read_page(site, URL).html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in html
    data = json.loads((site / "postmortems.json").read_text())
    assert data[0]["title"] == "<script>alert(1)</script> & more"


def test_postmortems_stay_out_of_the_sidebar(kb):
    for day in ("2024-01-01", "2024-02-01", "2024-03-01"):
        add_on(kb, f"{day}-incident")
    kb.write("runbooks/restart.md", "# Restart\n")
    site = kb.build()
    nav = read_page(site, "").tree.find("nav", "md-nav--primary")
    hrefs = [a.attrs.get("href", "") for a in nav.find_all("a")]
    assert not any("incident" in href and "incidents" not in href for href in hrefs)
    nav_text = nav.all_text()
    for title in ["Home", "All incidents", "Open action items", "Root causes", "Services", "Tags", "Restart"]:
        assert title in nav_text


def test_page_size_does_not_grow_with_the_number_of_postmortems(kb):
    add_on(kb, "2024-01-01-first")
    small = len(read_page(kb.build(), "2024/2024-01-01-first/").html)
    for index in range(2, 40):
        add_on(
            kb,
            f"2024-01-{index % 28 + 1:02d}-other-{index}",
            services=["other"],
            tags=["x"],
            cause="network",
            contributing=[],
        )
    large = len(read_page(kb.build(), "2024/2024-01-01-first/").html)
    assert large < small * 1.05


# -- drafts, errors and strictness ------------------------------------------------------------------------------


def test_drafts_are_left_out_of_a_build_and_of_every_listing(kb):
    kb.add(PID)
    add_on(kb, "2024-06-01-draft", status="draft", title="Secret draft", action_items=None)
    site = kb.build(strict=True)
    assert not (site / "2024/2024-06-01-draft").exists()
    for url in ["", "incidents/", "causes/capacity/", "services/checkout/", "action-items/"]:
        assert "Secret draft" not in read_page(site, url).html, url
    assert "Secret draft" not in (site / "postmortems.json").read_text()
    assert "2024-06-01-draft" not in (site / "action-items.json").read_text()
    # A knowledge base that keeps Material's search beside pmkb (a warning, so not strict) leaves drafts out of it.
    kb.set_config(plugins=["search", {"pmkb": {}}])
    site = kb.build()
    assert "Secret draft" not in (site / "search/search_index.json").read_text()


def test_drafts_option_builds_them_with_a_banner(kb):
    kb.set_config({"drafts": True})
    add_on(kb, "2024-06-01-draft", status="draft", title="Visible draft", action_items=None)
    site = kb.build()
    page = read_page(site, "2024/2024-06-01-draft/")
    assert page.article.find("div", "pmkb-draft") is not None
    assert "Visible draft" in read_page(site, "incidents/").html


def test_errors_stop_the_build_with_one_message_listing_all(kb, caplog):
    kb.add("2024-05-02-a", severity="SEV9")
    kb.add("2024-05-02-b", cause="nope")
    with pytest.raises(Abort, match="Aborted with a BuildError"):  # MkDocs' wrapping of our PluginError
        kb.build()
    (message,) = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert message.startswith("2 errors in postmortems:")
    assert "2024-05-02-a.md:5:11: error: severity 'SEV9'" in message
    assert "2024-05-02-b.md" in message and "cause 'nope'" in message


def test_warnings_fail_only_a_strict_build(kb, caplog):
    data = front_matter()
    data["sevrity"] = "SEV1"
    kb.add(PID, data)
    kb.build()
    assert any("unknown key 'sevrity'" in r.getMessage() and r.levelname == "WARNING" for r in caplog.records)
    with pytest.raises(Abort):
        kb.build(strict=True)


def test_overdue_items_never_fail_a_strict_build(kb):
    kb.add(PID, action_items=[{"title": "Fix", "owner": "sre", "status": "open", "due": "2020-01-01"}])
    kb.build(strict=True)


def test_invalid_postmortem_under_serve_shows_an_error_banner_and_keeps_serving(kb):
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    kb.add(PID, severity="SEV9")
    config = load_config(str(kb.config), site_dir=str(kb.root / "site"))
    config.plugins.on_startup(command="serve", dirty=False)
    build(config, serve_url="http://127.0.0.1:8000/")
    page = read_page(kb.root / "site", URL)
    banner = page.article.find("div", "pmkb-errors")
    assert banner is not None and "severity 'SEV9' is not one of" in banner.all_text()


# -- cross-incident pages ---------------------------------------------------------------------------------------


@pytest.fixture
def three(kb):
    add_on(
        kb,
        "2024-01-10-config-push",
        cause="config-change",
        contributing=["testing-gap"],
        services=["api", "dns"],
        tags=["rollout"],
        severity="SEV1",
        action_items=[
            {"title": "Canary config", "owner": "neteng", "status": "open", "due": "2024-02-01"},
            {"title": "Done thing", "owner": "neteng", "status": "done"},
            {"title": "Dropped thing", "owner": "sre", "status": "wont-do"},
        ],
    )
    add_on(
        kb,
        "2024-03-05-dns-outage",
        cause="network",
        contributing=["config-change"],
        services=["dns"],
        tags=["rollout", "dns"],
        severity="SEV2",
        action_items=[
            {"title": "Second resolver", "owner": "sre", "status": "in-progress", "due": "2099-01-01"},
            {"title": "Undated item", "owner": "Sre Team", "status": "open"},
        ],
    )
    add_on(
        kb,
        "2024-06-07-config-again",
        cause="config-change",
        contributing=[],
        services=["dns"],
        tags=[],
        severity="SEV3",
        action_items=[],
        no_action_items="Duplicate of an earlier fix.",
    )
    return kb.build(strict=True)


def ids_in(page, within=None) -> list[str]:
    return [href.strip("/").rsplit("/", 1)[-1] for href, _ in page.links(within) if "/2024-" in "/" + href]


def test_cause_page_lists_primary_and_marked_contributing(three):
    page = read_page(three, "causes/config-change/")
    primary = page.section("primary")
    contributing = page.section("contributing")
    assert set(ids_in(page, primary)) == {"2024-01-10-config-push", "2024-06-07-config-again"}
    assert set(ids_in(page, contributing)) == {"2024-03-05-dns-outage"}
    assert contributing.find("span", "pmkb-badge--contributing") is not None
    summary = page.article.find("p", "pmkb-summary").all_text()
    assert summary.startswith("2 incidents with this as the primary cause, 1 where it contributed")
    assert "median time to resolve 2h" in summary
    assert "A change to configuration" in page.html  # the taxonomy's description


def test_cause_page_shows_open_action_items_of_its_incidents(three):
    page = read_page(three, "causes/config-change/")
    items = page.section("open-action-items")
    text = items.all_text()
    assert "Canary config" in text and "Done thing" not in text and "Dropped thing" not in text


def test_every_taxonomy_cause_has_a_page_even_when_empty(three):
    page = read_page(three, "causes/expiry/")
    assert page.article.find("p", "pmkb-empty") is not None
    index = read_page(three, "causes/")
    assert len(index.rows()) == 14


def test_service_and_tag_pages_list_exactly_their_incidents(three):
    assert set(ids_in(read_page(three, "services/dns/"))) == {
        "2024-01-10-config-push",
        "2024-03-05-dns-outage",
        "2024-06-07-config-again",
    }
    assert set(ids_in(read_page(three, "services/api/"))) == {"2024-01-10-config-push"}
    assert set(ids_in(read_page(three, "tags/rollout/"))) == {"2024-01-10-config-push", "2024-03-05-dns-outage"}
    assert set(ids_in(read_page(three, "tags/dns/"))) == {"2024-03-05-dns-outage"}
    assert set(ids_in(read_page(three, "severities/sev1/"))) == {"2024-01-10-config-push"}


def test_incidents_page_newest_first_grouped_by_year(three, kb):
    page = read_page(three, "incidents/")
    assert ids_in(page)[:3] == ["2024-06-07-config-again", "2024-03-05-dns-outage", "2024-01-10-config-push"]
    assert page.article.find("h2", id="year-2024") is not None
    first = page.rows()[0]
    assert first[0] == "2024-06-07" and first[2] == "SEV3" and first[5] == "2h" and first[6] == "0"


def test_action_items_page_open_only_overdue_first_narrowable_by_owner(three):
    page = read_page(three, "action-items/")
    rows = page.rows(page.section("all"))
    titles = [row[0] for row in rows]  # each item's title, then its id#n (what `pmkb actions set` takes)
    assert titles == [
        "Canary config 2024-01-10-config-push#1",
        "Second resolver 2024-03-05-dns-outage#1",
        "Undated item 2024-03-05-dns-outage#2",
    ]
    assert "overdue" in rows[0][3] and "overdue" not in rows[1][3]
    assert rows[0][5] == "Cache stampede takes down checkout"  # the incident column links to the postmortem
    assert "Done thing" not in page.html and "Dropped thing" not in page.html
    # Narrowing by owner works without JavaScript: a fragment per owner and a CSS :target rule hiding the rest.
    # Each owner's link holds the name and the owner's counts ("neteng 1, 1 overdue").
    owner_links = [
        (href, re.sub(r" \d+(, \d+ overdue)?$", "", text)) for href, text in page.links() if href.startswith("#owner-")
    ]
    assert [text for _, text in owner_links] == ["neteng", "sre", "Sre Team"]
    table_rows = page.article.find("div", "pmkb-actions").find_all("tr", "pmkb-action")
    for href, owner in owner_links:
        anchor = href[1:]
        assert page.article.find("span", id=anchor) is not None
        assert f"#{anchor}:target ~ .pmkb-table tr.pmkb-action:not(.{anchor})" in page.html
        mine = [tr for tr in table_rows if anchor in tr.attrs["class"].split()]
        assert mine and all(tr.find_all("td")[1].all_text() == owner for tr in mine)


def test_home_page_keeps_author_text_on_top_then_dashboards(three):
    page = read_page(three, "")
    html = page.html
    assert html.index("welcome text") < html.index('id="recent"')
    stats = page.article.find("div", "pmkb-stats").all_text()
    assert "3 postmortems" in stats and "3 open action items" in stats and "1 overdue" in stats
    assert ("causes/config-change/", "Configuration change") in [(h.removeprefix("./"), t) for h, t in page.links()]


def test_header_card_links_resolve_to_built_pages(three):
    page = read_page(three, "2024/2024-03-05-dns-outage/")
    card = page.article.find("section", "pmkb-card")
    links = page.links(card)
    assert len(links) >= 5
    for href, _ in links:
        target = resolve(three, "2024/2024-03-05-dns-outage/", href)
        assert target is not None and target.is_file(), href


def test_every_internal_link_of_every_generated_page_resolves(three):
    for page_path in three.rglob("index.html"):
        url = str(page_path.parent.relative_to(three))
        url = "" if url == "." else url + "/"
        for href, _ in read_page(three, url).links():
            target = resolve(three, url, href)
            if target is not None:
                assert target.exists(), f"{url}: {href}"


def test_has_this_happened_before_lists_earlier_same_cause_same_service(three):
    page = read_page(three, "2024/2024-06-07-config-again/")
    assert ids_in(page, page.section("happened-before")) == ["2024-01-10-config-push"]
    first = read_page(three, "2024/2024-01-10-config-push/")
    assert first.article.find("h3", id="happened-before") is None


def test_explicit_related_and_runbooks_are_linked(kb):
    kb.write("runbooks/dns.md", "# DNS runbook\n")
    add_on(kb, "2024-01-10-first", cause="network", contributing=[])
    add_on(
        kb,
        "2024-02-10-second",
        cause="capacity",
        contributing=[],
        related=["2024-01-10-first"],
        runbooks=["runbooks/dns.md"],
    )
    site = kb.build(strict=True)
    page = read_page(site, "2024/2024-02-10-second/")
    assert ids_in(page, page.section("related-postmortems")) == ["2024-01-10-first"]
    ((href, _),) = page.links(page.section("runbooks"))
    assert resolve(site, "2024/2024-02-10-second/", href).is_file()


def test_listing_pages_are_kept_out_of_the_search_index(three, kb):
    kb.set_config(plugins=["search", {"pmkb": {}}])  # Material's search beside pmkb: a warning, still built
    index = json.loads((kb.build() / "search/search_index.json").read_text())
    locations = {doc["location"] for doc in index["docs"]}
    assert "2024/2024-03-05-dns-outage/" in locations
    assert not any(
        loc.startswith(("causes/", "tags/", "services/", "incidents/", "action-items/", "severities/"))
        for loc in locations
    )


def test_exports_have_stable_keys_urls_durations_and_overdue_flags(three):
    postmortems = json.loads((three / "postmortems.json").read_text())
    assert [p["id"] for p in postmortems] == [
        "2024-06-07-config-again",
        "2024-03-05-dns-outage",
        "2024-01-10-config-push",
    ]
    first = postmortems[0]
    assert list(first)[:4] == ["id", "url", "path", "title"]
    assert first["url"] == "2024/2024-06-07-config-again/"
    assert first["durations"] == {
        "time_to_detect_seconds": 600,
        "time_to_mitigate_seconds": None,
        "time_to_resolve_seconds": 7200,
    }
    items = json.loads((three / "action-items.json").read_text())
    canary = next(i for i in items if i["title"] == "Canary config")
    assert canary["incident"] == "2024-01-10-config-push" and canary["overdue"] is True
    assert canary["url"] == "2024/2024-01-10-config-push/"
    assert {i["status"] for i in items} == {"open", "done", "wont-do", "in-progress"}
    assert not any(i["overdue"] for i in items if i["status"] in ("done", "wont-do"))


def test_two_builds_give_identical_exports(three, kb):
    again = kb.build(site_dir=kb.root / "site2")
    for name in ("postmortems.json", "action-items.json"):
        assert (three / name).read_bytes() == (again / name).read_bytes()


def test_the_shipped_knowledge_base_builds_strict(tmp_path):
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    config = load_config(str(REPO / "mkdocs.yml"), site_dir=str(tmp_path / "site"), strict=True)
    config.plugins.on_startup(command="build", dirty=False)
    build(config)
    assert (tmp_path / "site/2019/2019-03-25-boskos-crash-loop-blocks-gce-e2e-jobs/index.html").is_file()
    assert (tmp_path / "site/runbooks/landing-team-procedures/index.html").is_file()


def test_guide_page_is_generated_from_the_taxonomy_in_force_and_in_the_nav(kb):
    severities = [{"slug": "P1", "title": "Page", "description": "Wakes someone up."}]
    kb.set_config({"taxonomy": {"severities": severities}})
    site = kb.build(strict=True)
    page = read_page(site, "guide/")
    assert "<code>P1</code>" in page.html and "<code>SEV1</code>" not in page.html
    nav = read_page(site, "").tree.find("nav", "md-nav--primary")
    assert "How to write a postmortem" in nav.all_text()


def test_similar_incidents_are_listed_separately_from_related(kb):
    words = "kernel upgrade broke network ingress on the gateway hosts after a reboot"
    add_on(
        kb,
        "2024-01-10-gateway-kernel",
        cause="software-bug",
        contributing=[],
        services=["gateway"],
        tags=["kernel"],
        body=f"## Summary\n\n{words}.\n",
    )
    add_on(
        kb,
        "2024-02-10-gateway-kernel-again",
        cause="software-bug",
        contributing=[],
        services=["gateway"],
        tags=["kernel"],
        body=f"## Summary\n\nAgain: {words}.\n",
    )
    add_on(
        kb,
        "2024-03-10-billing-typo",
        cause="config-change",
        contributing=[],
        services=["billing"],
        tags=["invoices"],
        body="## Summary\n\nA typo in the invoice template config.\n",
    )
    add_on(
        kb,
        "2024-04-10-draft",
        status="draft",
        action_items=None,
        cause="software-bug",
        contributing=[],
        services=["gateway"],
        tags=["kernel"],
        body=f"## Summary\n\n{words}.\n",
    )
    site = kb.build(strict=True)
    page = read_page(site, "2024/2024-02-10-gateway-kernel-again/")
    similar = ids_in(page, page.section("similar-incidents"))
    assert similar[0] == "2024-01-10-gateway-kernel"
    assert "2024-04-10-draft" not in similar and "2024-02-10-gateway-kernel-again" not in similar
    again = kb.build(site_dir=kb.root / "site2")  # warm cache: the same lists
    assert (
        read_page(again, "2024/2024-02-10-gateway-kernel-again/").section("similar-incidents").all_text()
        == page.section("similar-incidents").all_text()
    )


def test_similar_incidents_can_be_turned_off(kb):
    kb.set_config({"similar": 0})
    add_on(kb, "2024-01-10-one")
    add_on(kb, "2024-02-10-two")
    page = read_page(kb.build(), "2024/2024-02-10-two/")
    assert page.article.find("h3", id="similar-incidents") is None


def test_what_the_catalog_and_pages_are_built_from_holds_no_reference_cycles(kb, monkeypatch):
    # on_files freezes the garbage collector's view of everything alive when it ends (later collections skip
    # it); garbage in a reference cycle at that moment would stay in memory for the whole build.
    import gc

    real_disable, real_freeze = gc.disable, gc.freeze
    garbage_at_freeze: list[int] = []

    def collect_then_disable():  # on_files starts: collect what MkDocs left, so only pmkb's garbage counts
        gc.collect()
        real_disable()

    def count_then_freeze():
        garbage_at_freeze.append(gc.collect())
        real_freeze()

    monkeypatch.setattr(gc, "disable", collect_then_disable)
    monkeypatch.setattr(gc, "freeze", count_then_freeze)
    monkeypatch.setenv("PMKB_WORKERS", "1")  # no forked children: everything is made in this process
    kb.add("2024-04-30-warm-up")
    kb.build()  # a second build replaces the first one's site: dropping it must free it without the collector
    for day in range(1, 9):
        later = [f"2024-05-{day + 1:02d}-incident-{day + 1}"] if day < 8 else []
        add_on(kb, f"2024-05-{day:02d}-incident-{day}", related=later, tags=["cache", f"day-{day}"])
    kb.build()
    assert garbage_at_freeze == [0, 0]
