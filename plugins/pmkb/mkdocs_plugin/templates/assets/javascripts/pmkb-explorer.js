/* pmkb: the incident explorer (/search/).
 *
 * Facets, counts, sorting and paging run on the metadata index the build writes (search/incidents.json: per
 * facet a value list and one small code per listed postmortem, 97 KB at 5,000), so filtering without text
 * never waits for Pagefind or a big file. What a result shows beyond its facets comes from where it is cheapest:
 * for a text match, Pagefind's own fragment of the page (title, URL, date and the excerpt, fetched anyway); for a
 * filter-only result, search/rows/K.json, the chunk of rows it is in. Only the first rows of a page are fetched
 * at once; the others when they scroll into view. Text goes to Pagefind, whose matches are mapped to rows through
 * search/pagefind-ids.json (row i is Pagefind's page prefix + the i-th word of ids) and intersected with the
 * filters. The facets are the metadata index's `filters` (this script names none). The state lives in the URL:
 * q, one parameter per facet, and sort; a repeated parameter is OR within its facet, different ones are AND.
 *
 * Plain script, no build step; needs pmkb-search.js (window.pmkbSearch), which every page loads before it.
 */
(function () {
  "use strict";

  var S = window.pmkbSearch;
  var app = document.getElementById("pmkb-explorer");
  if (!S || !app) return;
  var el = S.el;

  // Facets in the order the sidebar shows them, from the metadata index's `filters`: {name, title, values (the
  // value list its column indexes), many (a list column), free, kind (values | year | count), ranked, sort,
  // query, result}.
  var FACETS = [];
  var FACET = {};
  var SORTS = [["relevance", "Relevance"], ["newest", "Newest first"], ["oldest", "Oldest first"]];
  var PAGE = 50;
  var EAGER = 12; // rows of a page whose details are fetched at once (about a screen); the rest as they scroll in
  var COLLAPSED = 8;
  var ALPHABET = (function () {
    var out = "";
    for (var c = 35; c < 127; c++) if (c !== 92) out += String.fromCharCode(c);
    return out;
  })();

  var data = null; // the metadata index
  var count = 0; // its rows
  var columns = {}; // name -> Int32Array (one value per row) or {offsets, values} (list columns)
  var chunks = {}; // row chunk number -> Promise of its rows ([url, title, date])
  var ids = null; // Pagefind page id -> row index, once loaded
  var state = { q: "", filters: {}, sort: "" };
  var textHits = null; // {q, scores: Map(row -> score), results: Pagefind results by row} for state.q
  var shown = PAGE;
  var expanded = {};
  var sequence = 0;
  var typingTimer = null;
  var notes = []; // what the query or the URL held that is not understood, shown above the results

  // -- the page ------------------------------------------------------------------------------------------------

  var form = app.querySelector(".pmkb-explorer__form");
  var input = app.querySelector(".pmkb-explorer__q");
  var sortSelect = app.querySelector(".pmkb-explorer__sort");
  var facetsBox = app.querySelector(".pmkb-explorer__facets");
  var chips = app.querySelector(".pmkb-explorer__chips");
  var summary = app.querySelector(".pmkb-explorer__summary");
  var noteBox = app.querySelector(".pmkb-explorer__notes");
  var list = app.querySelector(".pmkb-explorer__results");
  var more = app.querySelector(".pmkb-explorer__more");
  app.hidden = false;
  // On a phone the filters start folded under a "Filters" button (CSS shows the button there only).
  var toggleButton = app.querySelector(".pmkb-explorer__toggle");
  function fold(folded) {
    toggleButton.setAttribute("aria-expanded", folded ? "false" : "true");
    app.classList.toggle("pmkb-explorer--folded", folded);
  }
  fold(window.matchMedia("(max-width: 44.9375em)").matches);
  toggleButton.addEventListener("click", function () {
    fold(toggleButton.getAttribute("aria-expanded") === "true");
  });
  app.classList.add("pmkb-explorer--ready");

  function addSorts() {
    FACETS.forEach(function (f) {
      if (f.sort) SORTS.push([f.name, f.sort]);
    });
    SORTS.forEach(function (s) {
      var option = el("option", null, s[1]);
      option.value = s[0];
      sortSelect.append(option);
    });
  }

  // -- state <-> URL -------------------------------------------------------------------------------------------

  function readUrl() {
    var params = new URLSearchParams(location.search);
    var next = { q: params.get("q") || "", filters: {}, sort: params.get("sort") || "" };
    FACETS.forEach(function (f) {
      params.getAll(f.name).forEach(function (raw) {
        raw.split(",").forEach(function (value) {
          var c = canonical(f.name, value);
          if (c !== null) addFilter(next, f.name, c);
        });
      });
    });
    return next;
  }

  function writeUrl(push) {
    var params = new URLSearchParams();
    if (state.q) params.set("q", state.q);
    FACETS.forEach(function (f) {
      (state.filters[f.name] || []).forEach(function (v) { params.append(f.name, v); });
    });
    if (state.sort) params.set("sort", state.sort);
    var search = params.toString();
    var url = location.pathname + (search ? "?" + search : "") + location.hash;
    if (url === location.pathname + location.search + location.hash) return;
    if (push) history.pushState(null, "", url);
    else history.replaceState(null, "", url);
  }

  /* Canonical value of `value` for facet `name`, or null with a note saying why it is not one. */
  function canonical(name, value) {
    var f = FACET[name];
    value = String(value).trim();
    if (!value) return null;
    if (f.kind === "year") {
      var m = /^(\d{4})?(\.\.)?(\d{4})?$/.exec(value) || [];
      var cmp = /^(>=|<=|>|<)(\d{4})$/.exec(value);
      if (cmp) {
        var y = +cmp[2];
        return cmp[1] === ">=" ? y + ".." : cmp[1] === ">" ? y + 1 + ".." : cmp[1] === "<=" ? ".." + y : ".." + (y - 1);
      }
      if (m[0] && (m[1] || m[3]) && (m[2] || !m[3])) return value;
      notes.push("year \u201c" + value + "\u201d is not a year (2019), a range (2019..2021) or a bound (>=2020)");
      return null;
    }
    var values = data ? data.facets[f.values].map(function (v) { return v[0]; }) : null;
    if (!values) return value;
    for (var i = 0; i < values.length; i++) {
      if (values[i].toLowerCase() === value.toLowerCase()) return values[i];
    }
    if (f.free) return value.toLowerCase(); // a service or tag no postmortem has: no results, not an error
    notes.push(name + " \u201c" + value + "\u201d is not one of " + values.join(", "));
    return null;
  }

  function addFilter(target, name, value) {
    var values = (target.filters[name] = target.filters[name] || []);
    if (values.indexOf(value) < 0) values.push(value);
  }

  /* Turn the field terms of state.q into filters; leave the free text (and a term still being typed). */
  function absorbFields(all) {
    var parsed = S.parseQuery(state.q, FACETS.filter(function (f) { return f.query; }).map(function (f) { return f.name; }));
    var kept = [];
    parsed.fields.forEach(function (term) {
      if (!term.complete && !all) {
        kept.push(term.raw);
        return;
      }
      expand(term).forEach(function (value) {
        var c = canonical(term.field, value);
        if (c !== null) addFilter(state, term.field, c);
      });
    });
    parsed.unknown.forEach(function (raw) {
      notes.push("\u201c" + raw + "\u201d is not a filter here; its value is searched as text (pmkb search knows it)");
    });
    var text = parsed.text;
    kept = kept.filter(function (raw, i) { return kept.indexOf(raw) === i; });
    var next = (text + (kept.length ? " " + kept.join(" ") : "")).trim();
    if (!all && /\s$/.test(state.q) && next) next += " ";
    state.q = next;
  }

  /* `severity:SEV1..SEV2` (taxonomy order) and `service:pay*` (prefix) as the values they stand for. */
  function expand(term) {
    var f = FACET[term.field];
    var value = term.value;
    if (!data || f.kind === "year") return [value];
    var values = data.facets[f.values].map(function (v) { return v[0]; });
    var range = /^([^.]+)\.\.([^.]+)$/.exec(value);
    if (range) {
      var lower = values.map(function (v) { return v.toLowerCase(); });
      var a = lower.indexOf(range[1].toLowerCase());
      var b = lower.indexOf(range[2].toLowerCase());
      if (a >= 0 && b >= 0) return values.slice(Math.min(a, b), Math.max(a, b) + 1);
    }
    if (value.length > 1 && value.slice(-1) === "*") {
      var prefix = value.slice(0, -1).toLowerCase();
      var found = values.filter(function (v) { return v.toLowerCase().indexOf(prefix) === 0; });
      if (found.length) return found;
    }
    return [value];
  }

  // -- matching ------------------------------------------------------------------------------------------------

  function fetchJson(url) {
    return fetch(url).then(function (response) {
      if (!response.ok) throw new Error("HTTP " + response.status);
      return response.json();
    });
  }

  /* A column's base-91 codes (search/incidents.json) as one int per code. */
  function decodeInts(column) {
    var width = column.width;
    var codes = column.codes;
    var out = new Int32Array(codes.length / width);
    for (var i = 0, at = 0; i < out.length; i++) {
      var value = 0;
      for (var d = 0; d < width; d++) value = value * 91 + ALPHABET.indexOf(codes.charAt(at++));
      out[i] = value;
    }
    return out;
  }

  function decode() {
    FACETS = data.filters;
    FACETS.forEach(function (f) { FACET[f.name] = f; });
    count = data.rows;
    positions = {};
    Object.keys(data.columns).forEach(function (name) {
      var column = data.columns[name];
      if (!column.lengths) {
        columns[name] = decodeInts(column);
        return;
      }
      var lengths = decodeInts(column.lengths);
      var offsets = new Int32Array(lengths.length + 1);
      for (var i = 0; i < lengths.length; i++) offsets[i + 1] = offsets[i] + lengths[i];
      columns[name] = { offsets: offsets, values: decodeInts(column) };
    });
  }

  /* Row r's positions in facet f's value list (facet columns hold position + 1; 0 is none). */
  function positionsOf(r, f) {
    var column = columns[f.name];
    if (!f.many) return column[r] ? [column[r] - 1] : [];
    var out = [];
    for (var i = column.offsets[r]; i < column.offsets[r + 1]; i++) out.push(column.values[i] - 1);
    return out;
  }

  function yearMatches(year, value) {
    var parts = value.split("..");
    if (parts.length === 1) return year === +value;
    return (!parts[0] || year >= +parts[0]) && (!parts[1] || year <= +parts[1]);
  }

  /* Facet f's selected values as a test on a row: for a listed facet, which value positions pass. */
  function selection(f, values) {
    if (f.kind === "count") {
      return { counts: values.map(function (v) { return columns[v]; }) };
    }
    var wanted = new Uint8Array(data.facets[f.values].length);
    data.facets[f.values].forEach(function (v, i) {
      wanted[i] = f.kind === "year"
        ? values.some(function (value) { return yearMatches(+v[0], value); }) ? 1 : 0
        : values.indexOf(v[0]) >= 0 ? 1 : 0;
    });
    return { wanted: wanted };
  }

  function passes(r, f, test) {
    if (f.kind === "count") {
      return test.counts.some(function (column) { return column[r] > 0; });
    }
    var column = columns[f.name];
    if (!f.many) return column[r] > 0 && test.wanted[column[r] - 1] === 1;
    for (var i = column.offsets[r]; i < column.offsets[r + 1]; i++) {
      if (test.wanted[column.values[i] - 1] === 1) return true;
    }
    return false;
  }

  /* The rows that match, and for each facet the count of each value among the rows that match every other
   * facet (the number a click on that value would give, OR-ing within the facet). Counts are by value
   * position (a count facet: of its values, the rows whose count is above 0). */
  function evaluate() {
    var active = FACETS.filter(function (f) { return (state.filters[f.name] || []).length; });
    var tests = active.map(function (f) { return selection(f, state.filters[f.name]); });
    var counts = {};
    FACETS.forEach(function (f) {
      counts[f.name] = new Int32Array(data.facets[f.values].length);
    });
    var matched = [];
    for (var r = 0; r < count; r++) {
      if (textHits && !textHits.scores.has(r)) continue;
      var failed = null;
      var failures = 0;
      for (var a = 0; a < active.length && failures < 2; a++) {
        if (!passes(r, active[a], tests[a])) {
          failed = active[a];
          failures++;
        }
      }
      if (failures > 1) continue;
      if (failures === 0) matched.push(r);
      for (var k = 0; k < FACETS.length; k++) {
        var f = FACETS[k];
        if (failed && failed !== f) continue;
        var tally = counts[f.name];
        if (f.kind === "count") {
          data.facets[f.values].forEach(function (v, i) {
            if (columns[v[0]][r] > 0) tally[i]++;
          });
          continue;
        }
        var column = columns[f.name];
        if (!f.many) {
          if (column[r]) tally[column[r] - 1]++;
          continue;
        }
        for (var i = column.offsets[r]; i < column.offsets[r + 1]; i++) tally[column.values[i] - 1]++;
      }
    }
    return { matched: sortRows(matched), counts: counts };
  }

  var positions = {}; // facet list -> Map(slug -> position)

  function positionOf(f, value) {
    if (!positions[f.values]) {
      positions[f.values] = new Map(data.facets[f.values].map(function (v, i) { return [v[0], i]; }));
    }
    var at = positions[f.values].get(value);
    return at === undefined ? -1 : at;
  }

  function effectiveSort() {
    if (state.sort && state.sort !== "relevance") return state.sort;
    return textHits ? "relevance" : "newest";
  }

  // Rows are newest first (ties in the build's order), so "newest" is row order and "oldest" its reverse.
  function sortRows(matched) {
    var sort = effectiveSort();
    if (sort === "oldest") return matched.reverse();
    if (FACET[sort] && FACET[sort].sort) {
      var ranked = columns[sort];
      return matched.sort(function (a, b) { return (ranked[a] || 1e9) - (ranked[b] || 1e9) || a - b; });
    }
    if (sort === "relevance" && textHits) {
      return matched.sort(function (a, b) { return textHits.scores.get(b) - textHits.scores.get(a) || a - b; });
    }
    return matched;
  }

  // -- Pagefind and the row chunks -----------------------------------------------------------------------------

  function loadIds() {
    if (!ids) {
      ids = fetchJson(app.getAttribute("data-ids")).then(function (found) {
        var map = new Map();
        if (Array.isArray(found)) {
          found.forEach(function (id, row) { if (id) map.set(id, row); });
        } else {
          found.ids.split(" ").forEach(function (id, row) { if (id) map.set(found.prefix + id, row); });
        }
        return map;
      });
      ids.catch(function () { ids = null; });
    }
    return ids;
  }

  function loadChunk(number) {
    if (!chunks[number]) {
      chunks[number] = fetchJson(app.getAttribute("data-rows") + number + ".json");
      chunks[number].catch(function () { delete chunks[number]; });
    }
    return chunks[number];
  }

  /* What row r shows beyond its facets: {url (absolute), title, date, excerpt (Pagefind's, or none)}. */
  function detailsOf(r) {
    var result = textHits && textHits.results.get(r);
    if (result) {
      return result.data().then(function (d) {
        var meta = d.meta || {};
        return { url: new URL(d.url, location.href).href, title: meta.title || d.url, date: meta.date || "", excerpt: d.excerpt };
      });
    }
    return loadChunk(Math.floor(r / data.chunk)).then(function (rows) {
      var row = rows[r % data.chunk];
      return { url: new URL(row[0], S.root).href, title: row[1], date: row[2], excerpt: null };
    });
  }

  function runText(mine) {
    var q = state.q.trim();
    if (!q) {
      textHits = null;
      return Promise.resolve(true);
    }
    if (textHits && textHits.q === q) return Promise.resolve(true);
    summary.textContent = "Searching\u2026";
    return Promise.all([S.loadPagefind(), loadIds()])
      .then(function (loaded) {
        return loaded[0].search(q).then(function (response) {
          return [response, loaded[1]];
        });
      })
      .then(function (found) {
        if (mine !== sequence) return false;
        var scores = new Map();
        var results = new Map();
        found[0].results.forEach(function (result) {
          var row = found[1].get(result.id);
          if (row !== undefined) {
            scores.set(row, result.score);
            results.set(row, result);
          }
        });
        textHits = { q: q, scores: scores, results: results };
        return true;
      });
  }

  // -- rendering -----------------------------------------------------------------------------------------------

  function label(f, value) {
    if (f.kind === "year") return value.indexOf("..") >= 0 ? value.replace("..", "\u2013") : value;
    var at = positionOf(f, value);
    return at < 0 ? value : data.facets[f.values][at][1];
  }

  /* Facet f's values in the order the sidebar lists them, each as {value, n: its count}. */
  function facetValues(f, counts) {
    var values = data.facets[f.values].map(function (v, i) { return { value: v[0], n: counts[i] }; });
    if (f.free) values.sort(function (a, b) { return b.n - a.n || (a.value < b.value ? -1 : 1); });
    return values;
  }

  function renderFacets(counts) {
    var focused = document.activeElement && document.activeElement.getAttribute("data-facet-value");
    facetsBox.replaceChildren();
    FACETS.forEach(function (f) {
      var selected = state.filters[f.name] || [];
      var values = facetValues(f, counts[f.name]);
      if (!values.length) return;
      var set = el("fieldset", "pmkb-facet pmkb-facet--" + f.name);
      set.append(el("legend", "pmkb-facet__title", f.title));
      var listNode = el("ul", "pmkb-facet__values");
      var hidden = 0;
      values.forEach(function (entry, index) {
        var value = entry.value;
        var n = entry.n;
        var isSelected = selected.indexOf(value) >= 0;
        if (f.free && !n && !isSelected) return;
        if (!expanded[f.name] && index >= COLLAPSED && !isSelected) {
          hidden++;
          return;
        }
        var item = el("li", "pmkb-facet__value" + (n ? "" : " pmkb-facet__value--empty"));
        var box = el("input");
        box.type = "checkbox";
        box.id = "pmkb-f-" + f.name + "-" + index;
        box.checked = isSelected;
        box.setAttribute("data-facet-value", f.name + "=" + value);
        box.addEventListener("change", function () {
          toggle(f.name, value, box.checked);
        });
        var text = el("label", null);
        text.htmlFor = box.id;
        if (f.ranked) text.append(S.severityChip(value), " ", el("span", null, label(f, value)));
        else text.append(el("span", null, label(f, value)));
        text.append(" ", el("span", "pmkb-count", n));
        item.append(box, text);
        listNode.append(item);
      });
      set.append(listNode);
      if (hidden || expanded[f.name]) {
        var button = el("button", "pmkb-facet__more", expanded[f.name] ? "Show fewer" : "Show all " + (hidden + listNode.children.length));
        button.type = "button";
        button.addEventListener("click", function () {
          expanded[f.name] = !expanded[f.name];
          render();
        });
        set.append(button);
      }
      facetsBox.append(set);
    });
    if (focused) {
      var again = facetsBox.querySelector('[data-facet-value="' + CSS.escape(focused) + '"]');
      if (again) again.focus();
    }
  }

  function renderChips() {
    chips.replaceChildren();
    FACETS.forEach(function (f) {
      (state.filters[f.name] || []).forEach(function (value) {
        var chip = el("button", "pmkb-filter-chip");
        chip.type = "button";
        chip.setAttribute("aria-label", "Remove filter " + f.title + ": " + label(f, value));
        chip.append(el("span", "pmkb-filter-chip__facet", f.title + ":"), " ", label(f, value), " ", el("span", "pmkb-filter-chip__x", "\u00d7"));
        chip.addEventListener("click", function () { toggle(f.name, value, false); });
        chips.append(chip);
      });
    });
    if (chips.children.length > 1) {
      var clear = el("button", "pmkb-filter-chip pmkb-filter-chip--clear", "Clear all filters");
      clear.type = "button";
      clear.addEventListener("click", function () {
        state.filters = {};
        update(true);
      });
      chips.append(clear);
    }
  }

  /* Row r as a list item: its facets at once; its title, link, date and excerpt when `fill` has them. */
  function renderRow(r) {
    var item = el("li", "pmkb-result pmkb-result--pending");
    var link = el("a", "pmkb-result__title", "\u2026");
    item.append(link);
    var facts = el("div", "pmkb-result__facts");
    var time = el("time", "pmkb-result__date");
    facts.append(time);
    FACETS.forEach(function (f) {
      if (!f.result) return;
      if (f.result === "count") {
        // The most pressing count above 0 (the facet's values are listed least pressing first: open, overdue).
        var shownValue = data.facets[f.values].filter(function (v) { return columns[v[0]][r] > 0; }).pop();
        if (shownValue) facts.append(" ", el("span", "pmkb-result__" + shownValue[0], columns[shownValue[0]][r] + " " + shownValue[0]));
        return;
      }
      var values = positionsOf(r, f).map(function (i) { return data.facets[f.values][i]; });
      if (!values.length) return;
      if (f.result === "chip") facts.append(" ", S.severityChip(values[0][0]));
      else if (f.result === "text") facts.append(" ", el("span", "pmkb-result__" + f.name, values[0][1]));
      else if (f.result === "list") facts.append(" ", el("span", "pmkb-result__" + f.name, values.map(function (v) { return v[1]; }).join(", ")));
      // A badge only where the value is not the usual one (the facet's first): "in review", not "published".
      else if (f.result === "badge" && values[0] !== data.facets[f.values][0]) facts.append(" ", el("span", "pmkb-badge pmkb-badge--" + values[0][0], values[0][1]));
    });
    item.append(facts);
    item.pmkbFill = function () {
      item.pmkbFill = null;
      item.pmkbFilled = detailsOf(r).then(function (details) {
        link.textContent = details.title;
        link.href = details.url;
        time.textContent = details.date;
        time.dateTime = details.date;
        if (details.excerpt !== null) item.append(S.excerptNode(details.excerpt));
        item.classList.remove("pmkb-result--pending");
      }, function () {
        link.textContent = "(this incident could not be loaded)";
        item.classList.remove("pmkb-result--pending");
      });
      return item.pmkbFilled;
    };
    return item;
  }

  /* Fill the first `eager` items now, the others when they come near the screen; resolves when the first are. */
  function fillRows(items, eager) {
    var now = [];
    items.forEach(function (item, i) {
      if (i < eager || !rowObserver) now.push(item.pmkbFill());
      else rowObserver.observe(item);
    });
    return Promise.all(now);
  }

  var rowObserver = "IntersectionObserver" in window
    ? new IntersectionObserver(function (entries) {
        entries.forEach(function (entry) {
          if (!entry.isIntersecting) return;
          // The rows above it too: a jump (End, a long scroll) passes rows that were never near the screen.
          for (var item = entry.target; item; item = item.previousElementSibling) {
            if (!item.pmkbFill) break;
            rowObserver.unobserve(item);
            item.pmkbFill();
          }
        });
      }, { rootMargin: "400px" })
    : null;

  var lastMatched = [];

  function render() {
    var out = evaluate();
    lastMatched = out.matched;
    renderFacets(out.counts);
    renderChips();
    sortSelect.value = effectiveSort();
    sortSelect.querySelector('option[value="relevance"]').disabled = !textHits;
    noteBox.replaceChildren();
    notes.forEach(function (note) { noteBox.append(el("p", "pmkb-explorer__note", note)); });
    noteBox.hidden = !notes.length;
    var n = out.matched.length;
    var filtered = FACETS.some(function (f) { return (state.filters[f.name] || []).length; });
    summary.textContent = n === 0
      ? "No incidents match" + (state.q ? " \u201c" + state.q.trim() + "\u201d" : "") + (filtered ? " with these filters" : "") + "."
      : n + " incident" + (n === 1 ? "" : "s") + (filtered || state.q ? " of " + count : "");
    if (rowObserver) rowObserver.disconnect();
    var items = out.matched.slice(0, shown).map(renderRow);
    list.replaceChildren.apply(list, items);
    more.hidden = n <= shown;
    more.textContent = "Show " + Math.min(PAGE, n - shown) + " more";
    return fillRows(items, EAGER);
  }

  // -- events --------------------------------------------------------------------------------------------------

  function update(push, absorbAll, keepNotes) {
    if (!keepNotes) notes = [];
    absorbFields(absorbAll);
    if (document.activeElement !== input || absorbAll) input.value = state.q;
    else if (input.value !== state.q) input.value = state.q;
    shown = PAGE;
    writeUrl(push);
    var mine = ++sequence;
    app.setAttribute("aria-busy", "true");
    function settle() {
      if (mine === sequence) app.setAttribute("aria-busy", "false");
    }
    return runText(mine)
      .then(function (current) {
        if (current && mine === sequence) return render();
      }, function () {
        if (mine !== sequence) return;
        textHits = null;
        notes.push("Text search is not available: the search index could not be loaded.");
        return render();
      })
      .then(settle, settle);
  }

  function toggle(name, value, on) {
    var values = state.filters[name] || [];
    if (on && values.indexOf(value) < 0) values = values.concat([value]);
    if (!on) values = values.filter(function (v) { return v !== value; });
    state.filters[name] = values;
    update(true);
  }

  input.addEventListener("input", function () {
    state.q = input.value;
    clearTimeout(typingTimer);
    typingTimer = setTimeout(function () { update(false); }, 120);
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    clearTimeout(typingTimer);
    state.q = input.value;
    update(true, true);
  });
  sortSelect.addEventListener("change", function () {
    state.sort = sortSelect.value === (state.q ? "relevance" : "newest") ? "" : sortSelect.value;
    update(true);
  });
  more.addEventListener("click", function () {
    var first = shown;
    shown += PAGE;
    var items = lastMatched.slice(first, shown).map(renderRow);
    list.append.apply(list, items);
    more.hidden = lastMatched.length <= shown;
    more.textContent = "Show " + Math.min(PAGE, lastMatched.length - shown) + " more";
    fillRows(items, EAGER);
    if (items[0]) {
      items[0].pmkbFilled.then(function () { items[0].querySelector("a").focus(); });
    }
  });
  window.addEventListener("popstate", function () {
    notes = [];
    state = readUrl();
    input.value = state.q;
    update(false, true, true);
  });

  // -- start ---------------------------------------------------------------------------------------------------

  summary.textContent = "Loading\u2026";
  state = readUrl();
  input.value = state.q;
  if (state.q.trim()) {
    // In parallel with the metadata index: Pagefind's script, its index chunks for the words, the id map.
    S.loadPagefind().then(function (pagefind) {
      return pagefind.preload ? pagefind.preload(state.q.trim()) : null;
    }).catch(function () {});
    loadIds().catch(function () {});
  }
  fetchJson(app.getAttribute("data-index"))
    .then(function (json) {
      data = json;
      decode();
      addSorts();
      notes = [];
      state = readUrl(); // again: values are made canonical against the taxonomy now
      update(false, true, true);
    })
    .catch(function () {
      summary.textContent = "The incident index could not be loaded.";
    });
})();
