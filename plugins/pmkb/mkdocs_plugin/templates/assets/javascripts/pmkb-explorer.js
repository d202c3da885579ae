/* pmkb: the incident explorer (/search/).
 *
 * Facets, counts, sorting and paging run on the metadata index the build writes (search/incidents.json: every
 * listed postmortem as one compact row), so filtering without text never waits for the network. Text goes to
 * Pagefind, whose matches are mapped to those rows through search/pagefind-ids.json (row i is Pagefind's page
 * pagefind-ids[i]) and intersected with the filters. The state lives in the URL: q, cause, contributing,
 * severity, service, tag, year, status, trigger, detection, actions and sort; a repeated parameter is OR within
 * its facet, different parameters are AND.
 *
 * Plain script, no build step; needs pmkb-search.js (window.pmkbSearch), which every page loads before it.
 */
(function () {
  "use strict";

  var S = window.pmkbSearch;
  var app = document.getElementById("pmkb-explorer");
  if (!S || !app) return;
  var el = S.el;

  // Facets in the order the sidebar shows them. `column`: the metadata column; `list`: the facet whose values
  // the column indexes; `many`: the column holds a list.
  var FACETS = [
    { name: "severity", title: "Severity", column: "severity", list: "severity" },
    { name: "cause", title: "Primary cause", column: "cause", list: "cause" },
    { name: "contributing", title: "Contributing cause", column: "contributing", list: "cause", many: true },
    { name: "service", title: "Service", column: "service", list: "service", many: true, free: true },
    { name: "tag", title: "Tag", column: "tag", list: "tag", many: true, free: true },
    { name: "year", title: "Year", column: "date", year: true },
    { name: "status", title: "Status", column: "status", list: "status" },
    { name: "actions", title: "Action items", actions: true },
    { name: "trigger", title: "Trigger", column: "trigger", list: "trigger" },
    { name: "detection", title: "Detection", column: "detection", list: "detection" },
  ];
  var FACET = {};
  FACETS.forEach(function (f) { FACET[f.name] = f; });
  var ACTIONS = [["open", "Has open action items"], ["overdue", "Has overdue action items"]];
  var SORTS = [["relevance", "Relevance"], ["newest", "Newest first"], ["oldest", "Oldest first"], ["severity", "Most severe first"]];
  var PAGE = 50;
  var COLLAPSED = 8;

  var data = null; // the metadata index
  var rows = []; // its incidents, decoded
  var col = {};
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

  SORTS.forEach(function (s) {
    var option = el("option", null, s[1]);
    option.value = s[0];
    sortSelect.append(option);
  });

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
    if (f.year) {
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
    if (f.actions) {
      if (value === "open" || value === "overdue") return value;
      notes.push("actions \u201c" + value + "\u201d is not one of open, overdue");
      return null;
    }
    var values = data ? data.facets[f.list].map(function (v) { return v[0]; }) : null;
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
    var parsed = S.parseQuery(state.q);
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
    if (!data || !f.list) return [value];
    var values = data.facets[f.list].map(function (v) { return v[0]; });
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

  function decode() {
    data.columns.forEach(function (name, i) { col[name] = i; });
    rows = data.incidents;
  }

  function yearOf(row) {
    return +row[col.date].slice(0, 4);
  }

  function yearMatches(year, value) {
    var parts = value.split("..");
    if (parts.length === 1) return year === +value;
    return (!parts[0] || year >= +parts[0]) && (!parts[1] || year <= +parts[1]);
  }

  /* Does `row` pass facet f's filter (values: canonical values selected)? */
  function passes(row, f, values) {
    if (!values || !values.length) return true;
    if (f.year) {
      var year = yearOf(row);
      return values.some(function (v) { return yearMatches(year, v); });
    }
    if (f.actions) {
      return values.some(function (v) { return v === "open" ? row[col.open] > 0 : row[col.overdue] > 0; });
    }
    var list = data.facets[f.list];
    var cell = row[col[f.column]];
    var cells = f.many ? cell : [cell];
    for (var i = 0; i < cells.length; i++) {
      if (cells[i] >= 0 && values.indexOf(list[cells[i]][0]) >= 0) return true;
    }
    return false;
  }

  /* The rows that match, and for each facet the count of each value among the rows that match every other
   * facet (the number a click on that value would give, OR-ing within the facet). */
  function evaluate() {
    var active = FACETS.filter(function (f) { return (state.filters[f.name] || []).length; });
    var counts = {};
    FACETS.forEach(function (f) { counts[f.name] = {}; });
    var matched = [];
    for (var r = 0; r < rows.length; r++) {
      if (textHits && !textHits.scores.has(r)) continue;
      var row = rows[r];
      var failed = null;
      var failures = 0;
      for (var a = 0; a < active.length && failures < 2; a++) {
        if (!passes(row, active[a], state.filters[active[a].name])) {
          failed = active[a];
          failures++;
        }
      }
      if (failures > 1) continue;
      if (failures === 0) matched.push(r);
      FACETS.forEach(function (f) {
        if (failed && failed !== f) return;
        valuesOf(row, f).forEach(function (v) { counts[f.name][v] = (counts[f.name][v] || 0) + 1; });
      });
    }
    return { matched: sortRows(matched), counts: counts };
  }

  function valuesOf(row, f) {
    if (f.year) return [String(yearOf(row))];
    if (f.actions) {
      var out = [];
      if (row[col.open] > 0) out.push("open");
      if (row[col.overdue] > 0) out.push("overdue");
      return out;
    }
    var cell = row[col[f.column]];
    var list = data.facets[f.list];
    return (f.many ? cell : [cell]).filter(function (i) { return i >= 0; }).map(function (i) { return list[i][0]; });
  }

  function effectiveSort() {
    if (state.sort && state.sort !== "relevance") return state.sort;
    return textHits ? "relevance" : "newest";
  }

  function sortRows(matched) {
    var sort = effectiveSort();
    var date = col.date;
    function newest(a, b) {
      var x = rows[a][date], y = rows[b][date];
      return x < y ? 1 : x > y ? -1 : a - b;
    }
    if (sort === "oldest") return matched.sort(function (a, b) { return -newest(a, b); });
    if (sort === "severity") {
      return matched.sort(function (a, b) { return rows[a][col.severity] - rows[b][col.severity] || newest(a, b); });
    }
    if (sort === "relevance" && textHits) {
      return matched.sort(function (a, b) { return textHits.scores.get(b) - textHits.scores.get(a) || newest(a, b); });
    }
    return matched.sort(newest);
  }

  // -- Pagefind ------------------------------------------------------------------------------------------------

  function loadIds() {
    if (ids) return Promise.resolve(ids);
    return fetch(app.getAttribute("data-ids"))
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (list) {
        ids = new Map();
        list.forEach(function (id, row) { if (id) ids.set(id, row); });
        return ids;
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
      .then(function (loaded) { return loaded[0].search(q); })
      .then(function (response) {
        if (mine !== sequence) return false;
        var scores = new Map();
        var results = new Map();
        response.results.forEach(function (result) {
          var row = ids.get(result.id);
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
    if (f.year) return value.indexOf("..") >= 0 ? value.replace("..", "\u2013") : value;
    if (f.actions) return ACTIONS.filter(function (a) { return a[0] === value; })[0][1];
    var found = data.facets[f.list].filter(function (v) { return v[0] === value; })[0];
    return found ? found[1] : value;
  }

  function facetValues(f, counts) {
    if (f.actions) return ACTIONS.map(function (a) { return a[0]; });
    if (f.year) {
      var years = {};
      rows.forEach(function (row) { years[yearOf(row)] = true; });
      return Object.keys(years).sort().reverse();
    }
    var values = data.facets[f.list].map(function (v) { return v[0]; });
    if (f.free) {
      values = values.slice().sort(function (a, b) { return (counts[b] || 0) - (counts[a] || 0) || (a < b ? -1 : 1); });
    }
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
      values.forEach(function (value, index) {
        var count = counts[f.name][value] || 0;
        var isSelected = selected.indexOf(value) >= 0;
        if (f.free && !count && !isSelected) return;
        if (!expanded[f.name] && index >= COLLAPSED && !isSelected) {
          hidden++;
          return;
        }
        var item = el("li", "pmkb-facet__value" + (count ? "" : " pmkb-facet__value--empty"));
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
        if (f.name === "severity") text.append(S.severityChip(value), " ", el("span", null, label(f, value)));
        else text.append(el("span", null, label(f, value)));
        text.append(" ", el("span", "pmkb-count", count));
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

  function renderRow(r) {
    var row = rows[r];
    var item = el("li", "pmkb-result");
    var link = el("a", "pmkb-result__title", row[col.title]);
    link.href = new URL(row[col.url], S.root).href;
    item.append(link);
    var facts = el("div", "pmkb-result__facts");
    var time = el("time", "pmkb-result__date", row[col.date]);
    time.dateTime = row[col.date];
    var severity = data.facets.severity[row[col.severity]];
    var cause = data.facets.cause[row[col.cause]];
    facts.append(time, " ", S.severityChip(severity[0]), " ", el("span", "pmkb-result__cause", cause[1]));
    var services = row[col.service].map(function (i) { return data.facets.service[i][1]; });
    if (services.length) facts.append(" ", el("span", "pmkb-result__services", services.join(", ")));
    var status = data.facets.status[row[col.status]];
    if (status[0] !== "published") facts.append(" ", el("span", "pmkb-badge pmkb-badge--" + status[0], status[1]));
    if (row[col.overdue]) facts.append(" ", el("span", "pmkb-result__overdue", row[col.overdue] + " overdue"));
    else if (row[col.open]) facts.append(" ", el("span", "pmkb-result__open", row[col.open] + " open"));
    item.append(facts);
    var result = textHits && textHits.results.get(r);
    if (result) {
      // Each excerpt is a Pagefind fragment (a few KB): fetched when its row scrolls into view, not for all rows.
      var excerpt = el("p", "pmkb-excerpt pmkb-excerpt--loading", "\u2026");
      excerpt.pmkbLoad = function () {
        result.data().then(function (d) {
          excerpt.replaceWith(S.excerptNode(d.excerpt));
        }, function () { excerpt.remove(); });
      };
      item.append(excerpt);
      if (excerptObserver) excerptObserver.observe(excerpt);
      else excerpt.pmkbLoad();
    }
    return item;
  }

  var excerptObserver = "IntersectionObserver" in window
    ? new IntersectionObserver(function (entries) {
        entries.forEach(function (entry) {
          if (!entry.isIntersecting) return;
          excerptObserver.unobserve(entry.target);
          entry.target.pmkbLoad();
        });
      }, { rootMargin: "200px" })
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
      : n + " incident" + (n === 1 ? "" : "s") + (filtered || state.q ? " of " + rows.length : "");
    list.replaceChildren.apply(list, out.matched.slice(0, shown).map(renderRow));
    more.hidden = n <= shown;
    more.textContent = "Show " + Math.min(PAGE, n - shown) + " more";
    app.setAttribute("aria-busy", "false");
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
    return runText(mine).then(function (current) {
      if (current && mine === sequence) render();
    }, function () {
      if (mine !== sequence) return;
      textHits = null;
      notes.push("Text search is not available: the search index could not be loaded.");
      render();
    });
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
    lastMatched.slice(first, shown).forEach(function (r) { list.append(renderRow(r)); });
    more.hidden = lastMatched.length <= shown;
    more.textContent = "Show " + Math.min(PAGE, lastMatched.length - shown) + " more";
    var next = list.children[first];
    if (next) next.querySelector("a").focus();
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
    S.loadPagefind().catch(function () {}); // in parallel with the metadata index
    loadIds().catch(function () {});
  }
  fetch(app.getAttribute("data-index"))
    .then(function (response) {
      if (!response.ok) throw new Error("HTTP " + response.status);
      return response.json();
    })
    .then(function (json) {
      data = json;
      decode();
      notes = [];
      state = readUrl(); // again: values are made canonical against the taxonomy now
      update(false, true, true);
    })
    .catch(function () {
      summary.textContent = "The incident index could not be loaded.";
    });
})();
