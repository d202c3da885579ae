// The incident explorer (/search/): the page's behaviour, on the pure parts in filters.js (state, URL, matching),
// metadata.js (the index), matches.js (Pagefind's true matches) and dom.js.
//
// Facets, counts, sorting and paging run on the metadata index the build writes (search/incidents.json: per facet
// a value list and one small code per listed postmortem, 97 KB at 5,000), so filtering without text never waits
// for Pagefind or a big file. What a result shows beyond its facets comes from where it is cheapest: for a text
// match, Pagefind's own fragment of the page (title, URL, date and the excerpt, fetched anyway); for a filter-only
// result, search/rows/K.json, the chunk of rows it is in. Only the first rows of a page are fetched at once; the
// others when they scroll into view. Text goes to Pagefind, whose matches are mapped to rows through
// search/pagefind-ids.json and intersected with the filters. The facets are the index's `filters`: this module
// names none. The state lives in the URL: q, one parameter per facet, and sort.

import { el, excerptNode, moreLabel, severityChip } from "./dom.js";
import {
  absorbFields,
  effectiveSort,
  evaluate,
  readState,
  sidebarValues,
  sorts,
  sortRows,
  writeState,
} from "./filters.js";
import { completePrefix, searchTrue } from "./matches.js";
import { decodeIndex, positionOf, positionsOf, readIds } from "./metadata.js";
import { loadPagefind, root } from "./pagefind.js";
import { parseQuery } from "./query.js";

const PAGE = 50;
const EAGER = 12; // rows of a page whose details are fetched at once (about a screen); the rest as they scroll in

const app = document.getElementById("pmkb-explorer");
if (app) start(app);

function fetchJson(url) {
  return fetch(url).then((response) => {
    if (!response.ok) throw new Error("HTTP " + response.status);
    return response.json();
  });
}

function start(app) {
  const form = app.querySelector(".pmkb-explorer__form");
  const input = app.querySelector(".pmkb-explorer__q");
  const sortSelect = app.querySelector(".pmkb-explorer__sort");
  const facetsBox = app.querySelector(".pmkb-explorer__facets");
  const chips = app.querySelector(".pmkb-explorer__chips");
  const summary = app.querySelector(".pmkb-explorer__summary");
  const noteBox = app.querySelector(".pmkb-explorer__notes");
  const list = app.querySelector(".pmkb-explorer__results");
  const more = app.querySelector(".pmkb-explorer__more");
  const toggleButton = app.querySelector(".pmkb-explorer__toggle");

  let index = null; // the decoded metadata index
  const chunks = {}; // row chunk number -> Promise of its rows ([url, title, date])
  let ids = null; // Promise of Pagefind page id -> row
  let state = { q: "", filters: {}, sort: "" };
  let textHits = null; // {q, words, text, scores: Map(row -> score), results: Pagefind results by row, complete}
  let shown = PAGE;
  const expanded = {};
  let sequence = 0;
  let typingTimer = null;
  let notes = []; // what the query or the URL held that is not understood, shown above the results
  let lastMatched = [];

  app.hidden = false;
  // On a phone the filters start folded under a "Filters" button (CSS shows the button there only).
  function fold(folded) {
    toggleButton.setAttribute("aria-expanded", folded ? "false" : "true");
    app.classList.toggle("pmkb-explorer--folded", folded);
  }
  fold(window.matchMedia("(max-width: 44.9375em)").matches);
  toggleButton.addEventListener("click", () => fold(toggleButton.getAttribute("aria-expanded") === "true"));
  app.classList.add("pmkb-explorer--ready");

  function writeUrl(push) {
    const search = writeState(state, index);
    const url = location.pathname + (search ? "?" + search : "") + location.hash;
    if (url === location.pathname + location.search + location.hash) return;
    if (push) history.pushState(null, "", url);
    else history.replaceState(null, "", url);
  }

  // -- Pagefind and the row chunks ---------------------------------------------------------------------------

  function loadIds() {
    if (!ids) {
      ids = fetchJson(app.getAttribute("data-ids")).then(readIds);
      ids.catch(() => { ids = null; });
    }
    return ids;
  }

  function loadChunk(number) {
    if (!chunks[number]) {
      chunks[number] = fetchJson(app.getAttribute("data-rows") + number + ".json");
      chunks[number].catch(() => { delete chunks[number]; });
    }
    return chunks[number];
  }

  /* What row r shows beyond its facets: {url (absolute), title, date, excerpt (Pagefind's, or none)}. */
  function detailsOf(r) {
    const result = textHits && textHits.results.get(r);
    if (result) {
      return result.data().then((d) => {
        const meta = d.meta || {};
        return { url: new URL(d.url, location.href).href, title: meta.title || d.url, date: meta.date || "", excerpt: d.excerpt };
      });
    }
    return loadChunk(Math.floor(r / index.chunk)).then((rows) => {
      const row = rows[r % index.chunk];
      return { url: new URL(row[0], root).href, title: row[1], date: row[2], excerpt: null };
    });
  }

  async function runText(mine) {
    const q = state.q.trim();
    if (!q) {
      textHits = null;
      return true;
    }
    if (textHits && textHits.q === q) return true;
    summary.textContent = "Searching\u2026";
    const parsed = parseQuery(q, index.filters.filter((f) => f.query).map((f) => f.name));
    const [pagefind, rowOf] = await Promise.all([loadPagefind(), loadIds()]);
    const response = await searchTrue(pagefind, parsed.text, parsed.words);
    if (mine !== sequence) return false;
    textHits = { q, words: parsed.words, text: parsed.text, complete: false, ...rowsOf(response, rowOf) };
    return true;
  }

  function rowsOf(response, rowOf) {
    const scores = new Map();
    const results = new Map();
    for (const result of response.results) {
      const row = rowOf.get(result.id);
      if (row !== undefined) {
        scores.set(row, result.score);
        results.set(row, result);
      }
    }
    return { scores, results };
  }

  /* The text results shown, completed: a prefix's words in index chunks Pagefind had not loaded (matches.js). */
  async function completeText(mine) {
    const hits = textHits;
    if (!hits || hits.complete) return;
    const pagefind = await loadPagefind();
    const more = await completePrefix(pagefind, hits.words);
    hits.complete = true;
    if (!more || mine !== sequence) return;
    const [response, rowOf] = await Promise.all([searchTrue(pagefind, hits.text, hits.words), loadIds()]);
    if (mine !== sequence || textHits !== hits) return;
    const completed = rowsOf(response, rowOf);
    if (completed.scores.size === hits.scores.size) return;
    textHits = { ...hits, ...completed };
    return render();
  }

  // -- rendering ---------------------------------------------------------------------------------------------

  function label(f, value) {
    if (f.kind === "years") return value.includes("..") ? value.replace("..", "\u2013") : value;
    const at = positionOf(index, f, value);
    return at < 0 ? value : index.facets[f.values][at][1];
  }

  function rankOf(f, slug) {
    return f.ranked ? positionOf(index, f, slug) : -1;
  }

  function moreButton(className, text, onClick) {
    const button = el("button", className, text);
    button.type = "button";
    button.addEventListener("click", onClick);
    return button;
  }

  function renderFacets(counts) {
    const focused = document.activeElement && document.activeElement.getAttribute("data-facet-value");
    facetsBox.replaceChildren();
    for (const f of index.filters) {
      const shownValues = sidebarValues(index, f, counts[f.name], state.filters[f.name] || [], expanded[f.name]);
      if (!shownValues) continue;
      const set = el("fieldset", "pmkb-facet pmkb-facet--" + f.name);
      set.append(el("legend", "pmkb-facet__title", f.title));
      const listNode = el("ul", "pmkb-facet__values");
      for (const { value, n, position, selected } of shownValues.values) {
        const item = el("li", "pmkb-facet__value" + (n ? "" : " pmkb-facet__value--empty"));
        const box = el("input");
        box.type = "checkbox";
        box.id = "pmkb-f-" + f.name + "-" + position;
        box.checked = selected;
        box.setAttribute("data-facet-value", f.name + "=" + value);
        box.addEventListener("change", () => toggle(f.name, value, box.checked));
        const text = el("label", null);
        text.htmlFor = box.id;
        if (f.ranked) text.append(severityChip(value, rankOf(f, value)), " ");
        text.append(el("span", null, label(f, value)), " ", el("span", "pmkb-count", n));
        item.append(box, text);
        listNode.append(item);
      }
      const hidden = shownValues.hidden;
      set.append(listNode);
      if (hidden || expanded[f.name]) {
        const text = expanded[f.name] ? "Show fewer" : "Show all " + (hidden + listNode.children.length);
        set.append(moreButton("pmkb-facet__more", text, () => {
          expanded[f.name] = !expanded[f.name];
          render();
        }));
      }
      facetsBox.append(set);
    }
    if (focused) {
      const again = facetsBox.querySelector('[data-facet-value="' + CSS.escape(focused) + '"]');
      if (again) again.focus();
    }
  }

  function renderChips() {
    chips.replaceChildren();
    for (const f of index.filters) {
      for (const value of state.filters[f.name] || []) {
        const chip = el("button", "pmkb-filter-chip");
        chip.type = "button";
        chip.setAttribute("aria-label", "Remove filter " + f.title + ": " + label(f, value));
        chip.append(el("span", "pmkb-filter-chip__facet", f.title + ":"), " ", label(f, value), " ", el("span", "pmkb-filter-chip__x", "\u00d7"));
        chip.addEventListener("click", () => toggle(f.name, value, false));
        chips.append(chip);
      }
    }
    if (chips.children.length > 1) {
      chips.append(moreButton("pmkb-filter-chip pmkb-filter-chip--clear", "Clear all filters", () => {
        state.filters = {};
        update(true);
      }));
    }
  }

  /* Row r's facts, as each facet's `result` says: a chip, a text, a list, a badge (unless the facet's first,
   * usual value: "published"), or the most pressing count above 0 (a count facet lists the least pressing first). */
  function renderFacts(r, facts) {
    for (const f of index.filters) {
      if (f.result === "count") {
        const pressing = index.facets[f.values].filter((v) => index.columns[v[0]][r] > 0).pop();
        if (pressing) facts.append(" ", el("span", "pmkb-result__" + pressing[0], index.columns[pressing[0]][r] + " " + pressing[0]));
        continue;
      }
      if (!f.result) continue;
      const values = positionsOf(index, r, f).map((i) => index.facets[f.values][i]);
      if (!values.length) continue;
      if (f.result === "chip") facts.append(" ", severityChip(values[0][0], f.ranked ? positionsOf(index, r, f)[0] : -1));
      else if (f.result === "text") facts.append(" ", el("span", "pmkb-result__" + f.name, values[0][1]));
      else if (f.result === "list") facts.append(" ", el("span", "pmkb-result__" + f.name, values.map((v) => v[1]).join(", ")));
      else if (f.result === "badge" && values[0] !== index.facets[f.values][0]) {
        facts.append(" ", el("span", "pmkb-badge pmkb-badge--" + values[0][0], values[0][1]));
      }
    }
  }

  /* Row r as a list item: its facets at once; its title, link, date and excerpt when `fill` has them. */
  function renderRow(r) {
    const item = el("li", "pmkb-result pmkb-result--pending");
    const link = el("a", "pmkb-result__title", "\u2026");
    item.append(link);
    const facts = el("div", "pmkb-result__facts");
    const time = el("time", "pmkb-result__date");
    facts.append(time);
    renderFacts(r, facts);
    item.append(facts);
    item.pmkbFill = () => {
      item.pmkbFill = null;
      item.pmkbFilled = detailsOf(r).then((details) => {
        link.textContent = details.title;
        link.href = details.url;
        time.textContent = details.date;
        time.dateTime = details.date;
        if (details.excerpt !== null) item.append(excerptNode(details.excerpt));
        item.classList.remove("pmkb-result--pending");
      }, () => {
        link.textContent = "(this incident could not be loaded)";
        item.classList.remove("pmkb-result--pending");
      });
      return item.pmkbFilled;
    };
    return item;
  }

  const rowObserver = "IntersectionObserver" in window
    ? new IntersectionObserver((entries) => {
        for (const entry of entries) {
          if (!entry.isIntersecting) continue;
          // The rows above it too: a jump (End, a long scroll) passes rows that were never near the screen.
          for (let item = entry.target; item; item = item.previousElementSibling) {
            if (!item.pmkbFill) break;
            rowObserver.unobserve(item);
            item.pmkbFill();
          }
        }
      }, { rootMargin: "400px" })
    : null;

  /* Append rows [from, shown) of the last match: the first EAGER filled now, the others as they come near the
   * screen; the "Show more" button says what the next click adds. Resolves with the items when the first are
   * filled. */
  function appendRows(from) {
    const items = lastMatched.slice(from, shown).map(renderRow);
    list.append(...items);
    more.hidden = lastMatched.length <= shown;
    more.textContent = moreLabel(lastMatched.length, shown, PAGE);
    const now = [];
    items.forEach((item, i) => {
      if (i < EAGER || !rowObserver) now.push(item.pmkbFill());
      else rowObserver.observe(item);
    });
    return Promise.all(now).then(() => items);
  }

  function render() {
    const out = evaluate(index, state, textHits && textHits.scores);
    const sort = effectiveSort(state, Boolean(textHits));
    lastMatched = sortRows(index, out.matched, sort, textHits && textHits.scores);
    renderFacets(out.counts);
    renderChips();
    sortSelect.value = sort;
    sortSelect.querySelector('option[value="relevance"]').disabled = !textHits;
    noteBox.replaceChildren(...notes.map((note) => el("p", "pmkb-explorer__note", note)));
    noteBox.hidden = !notes.length;
    const n = lastMatched.length;
    const filtered = index.filters.some((f) => (state.filters[f.name] || []).length);
    if (n === 0) {
      summary.textContent = state.q.trim()
        ? "Nothing found for \u201c" + state.q.trim() + "\u201d" + (filtered ? " with these filters" : "") + "."
        : "No incidents match these filters.";
    } else {
      summary.textContent = n + " incident" + (n === 1 ? "" : "s") + (filtered || state.q ? " of " + index.rows : "");
    }
    if (rowObserver) rowObserver.disconnect();
    list.replaceChildren();
    return appendRows(0);
  }

  // -- events ------------------------------------------------------------------------------------------------

  function update(push, absorbAll, keepNotes) {
    if (!keepNotes) notes = [];
    absorbFields(state, index, absorbAll, notes);
    if (input.value !== state.q) input.value = state.q;
    shown = PAGE;
    writeUrl(push);
    const mine = ++sequence;
    app.setAttribute("aria-busy", "true");
    const settle = () => {
      if (mine === sequence) app.setAttribute("aria-busy", "false");
    };
    return runText(mine)
      .then((current) => {
        if (current && mine === sequence) return render().then(() => completeText(mine));
      }, () => {
        if (mine !== sequence) return;
        textHits = null;
        notes.push("Text search is not available: the search index could not be loaded.");
        return render();
      })
      .then(settle, settle);
  }

  function toggle(name, value, on) {
    let values = state.filters[name] || [];
    if (on && !values.includes(value)) values = values.concat([value]);
    if (!on) values = values.filter((v) => v !== value);
    state.filters[name] = values;
    update(true);
  }

  input.addEventListener("input", () => {
    if (!index) return;
    state.q = input.value;
    clearTimeout(typingTimer);
    typingTimer = setTimeout(() => update(false), 120);
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (!index) return;
    clearTimeout(typingTimer);
    state.q = input.value;
    update(true, true);
  });
  sortSelect.addEventListener("change", () => {
    state.sort = sortSelect.value === (state.q ? "relevance" : "newest") ? "" : sortSelect.value;
    update(true);
  });
  more.addEventListener("click", () => {
    const first = shown;
    shown += PAGE;
    appendRows(first).then((items) => {
      if (items[0]) items[0].querySelector("a").focus();
    });
  });
  window.addEventListener("popstate", () => {
    if (!index) return;
    notes = [];
    state = readState(location.search, index, notes);
    input.value = state.q;
    update(false, true, true);
  });

  // -- start -------------------------------------------------------------------------------------------------

  summary.textContent = "Loading\u2026";
  state = readState(location.search, null, notes);
  input.value = state.q;
  if (state.q.trim()) loadIds().catch(() => {}); // in parallel with the metadata index (search.js starts Pagefind)
  fetchJson(app.getAttribute("data-index"))
    .then((document) => {
      index = decodeIndex(document);
      for (const [value, title] of sorts(index)) {
        const option = el("option", null, title);
        option.value = value;
        sortSelect.append(option);
      }
      notes = [];
      state = readState(location.search, index, notes); // again: values are made canonical now
      input.value = state.q;
      return update(false, true, true);
    })
    .catch(() => {
      summary.textContent = "The incident index could not be loaded.";
    });
}
