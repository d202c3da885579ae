// The explorer's state ({q, filters: facet name -> values, sort}), its URL, and which rows it matches. Pure
// functions of the decoded metadata index (metadata.js); nothing here touches the page.

import { normalizeKeyword, parseQuery } from "./query.js";

const YEAR = /^(\d{4})?(\.\.)?(\d{4})?$/;
const YEAR_BOUND = /^(>=|<=|>|<)(\d{4})$/;

/* The canonical value of `value` for facet f, or null after adding a note (to `notes`) saying why it is none.
 * `values`: the facet's [slug, title] pairs, or null when they are not known yet (the value is kept as is). */
export function canonical(f, value, values, notes) {
  value = String(value).trim();
  if (!value) return null;
  if (f.kind === "years") {
    const bound = YEAR_BOUND.exec(value);
    if (bound) {
      const y = +bound[2];
      return { ">=": y + "..", ">": y + 1 + "..", "<=": ".." + y, "<": ".." + (y - 1) }[bound[1]];
    }
    const m = YEAR.exec(value) || [];
    if (m[0] && (m[1] || m[3]) && (m[2] || !m[3])) return value;
    notes.push(f.name + " \u201c" + value + "\u201d is not a year (2019), a range (2019..2021) or a bound (>=2020)");
    return null;
  }
  if (!values) return value;
  const wanted = normalizeKeyword(value);
  const found = values.find((v) => normalizeKeyword(v[0]) === wanted);
  if (found) return found[0];
  if (f.free) return wanted; // a value no postmortem has: no results, not an error
  notes.push(f.name + " \u201c" + value + "\u201d is not one of " + values.map((v) => v[0]).join(", "));
  return null;
}

/* `severity:SEV1..SEV2` (the list's order) and `service:pay*` (a prefix) as the values they stand for. */
export function expand(f, value, values) {
  if (!values || f.kind === "years") return [value];
  const slugs = values.map((v) => v[0]);
  const lower = slugs.map(normalizeKeyword);
  const range = /^([^.]+)\.\.([^.]+)$/.exec(value);
  if (range) {
    const a = lower.indexOf(normalizeKeyword(range[1]));
    const b = lower.indexOf(normalizeKeyword(range[2]));
    if (a >= 0 && b >= 0) return slugs.slice(Math.min(a, b), Math.max(a, b) + 1);
  }
  if (value.length > 1 && value.endsWith("*")) {
    const prefix = normalizeKeyword(value.slice(0, -1));
    const found = slugs.filter((v, i) => lower[i].startsWith(prefix));
    if (found.length) return found;
  }
  return [value];
}

export function addFilter(state, name, value) {
  const values = (state.filters[name] = state.filters[name] || []);
  if (!values.includes(value)) values.push(value);
}

function valuesOf(index, f) {
  return index ? index.facets[f.values] : null;
}

/* The state a URL's query string holds. `index` null: only q and sort (the facets are not known yet). */
export function readState(search, index, notes) {
  const params = new URLSearchParams(search);
  const state = { q: params.get("q") || "", filters: {}, sort: params.get("sort") || "" };
  for (const f of index ? index.filters : []) {
    for (const raw of params.getAll(f.name)) {
      for (const value of raw.split(",")) {
        const c = canonical(f, value, valuesOf(index, f), notes);
        if (c !== null) addFilter(state, f.name, c);
      }
    }
  }
  return state;
}

/* The query string (without '?') of a state: q, the facets in sidebar order, sort. */
export function writeState(state, index) {
  const params = new URLSearchParams();
  if (state.q) params.set("q", state.q);
  for (const f of index.filters) for (const v of state.filters[f.name] || []) params.append(f.name, v);
  if (state.sort) params.set("sort", state.sort);
  return params.toString();
}

/* Turn the filter terms of state.q into filters; keep the rest of the text (and a term still being typed,
 * unless `all`). Notes say what is not understood. */
export function absorbFields(state, index, all, notes) {
  const names = index.filters.filter((f) => f.query).map((f) => f.name);
  const parsed = parseQuery(state.q, names);
  const kept = [];
  for (const term of parsed.fields) {
    if (!term.complete && !all) {
      if (!kept.includes(term.raw)) kept.push(term.raw);
      continue;
    }
    const f = index.facet[term.field];
    for (const value of expand(f, term.value, valuesOf(index, f))) {
      const c = canonical(f, value, valuesOf(index, f), notes);
      if (c !== null) addFilter(state, f.name, c);
    }
  }
  for (const raw of parsed.other) {
    notes.push("\u201c" + raw + "\u201d is not a filter here; its value is searched as text (pmkb search knows it)");
  }
  for (const raw of parsed.excluded) {
    notes.push("\u201c" + raw + "\u201d is left out: excluding is for pmkb search, not the browser");
  }
  let next = [parsed.text, ...kept].filter(Boolean).join(" ").trim();
  if (!all && /\s$/.test(state.q) && next) next += " ";
  state.q = next;
}

function yearMatches(year, value) {
  const parts = value.split("..");
  if (parts.length === 1) return year === +value;
  return (!parts[0] || year >= +parts[0]) && (!parts[1] || year <= +parts[1]);
}

/* Facet f's selected values as a test on a row: which value positions pass (a count facet: which columns). */
function selection(index, f, selected) {
  if (f.kind === "count") return { counts: selected.map((v) => index.columns[v]).filter(Boolean) };
  const values = index.facets[f.values];
  const wanted = new Uint8Array(values.length);
  values.forEach((v, i) => {
    const hit = f.kind === "years" ? selected.some((s) => yearMatches(+v[0], s)) : selected.includes(v[0]);
    wanted[i] = hit ? 1 : 0;
  });
  return { wanted };
}

function passes(index, r, f, test) {
  if (f.kind === "count") return test.counts.some((column) => column[r] > 0);
  const column = index.columns[f.name];
  if (!f.many) return column[r] > 0 && test.wanted[column[r] - 1] === 1;
  for (let i = column.offsets[r]; i < column.offsets[r + 1]; i++) {
    if (test.wanted[column.values[i] - 1] === 1) return true;
  }
  return false;
}

function tally(index, r, f, counts) {
  if (f.kind === "count") {
    index.facets[f.values].forEach((v, i) => { if (index.columns[v[0]][r] > 0) counts[i]++; });
    return;
  }
  const column = index.columns[f.name];
  if (!f.many) {
    if (column[r]) counts[column[r] - 1]++;
    return;
  }
  for (let i = column.offsets[r]; i < column.offsets[r + 1]; i++) counts[column.values[i] - 1]++;
}

/* The rows that match `state`'s filters (and `textRows`, a Set or Map of rows, when there is text), and for each
 * facet the count of each value among the rows that match every other facet: the number a click on that value
 * would give, OR-ing within the facet. Counts are by value position. */
export function evaluate(index, state, textRows) {
  const active = index.filters.filter((f) => (state.filters[f.name] || []).length);
  const tests = active.map((f) => selection(index, f, state.filters[f.name]));
  const counts = {};
  for (const f of index.filters) counts[f.name] = new Int32Array(index.facets[f.values].length);
  const matched = [];
  for (let r = 0; r < index.rows; r++) {
    if (textRows && !textRows.has(r)) continue;
    let failed = null;
    let failures = 0;
    for (let a = 0; a < active.length && failures < 2; a++) {
      if (!passes(index, r, active[a], tests[a])) {
        failed = active[a];
        failures++;
      }
    }
    if (failures > 1) continue;
    if (failures === 0) matched.push(r);
    for (const f of index.filters) if (!failed || failed === f) tally(index, r, f, counts[f.name]);
  }
  return { matched, counts };
}

/* The sorts offered: relevance (with text), newest, oldest, and one per facet with a `sort` title. */
export function sorts(index) {
  return [
    ["relevance", "Relevance"],
    ["newest", "Newest first"],
    ["oldest", "Oldest first"],
    ...index.filters.filter((f) => f.sort).map((f) => [f.name, f.sort]),
  ];
}

export function effectiveSort(state, hasText) {
  if (state.sort && state.sort !== "relevance") return state.sort;
  return hasText ? "relevance" : "newest";
}

/* `matched` (rows, newest first: the index's order) in the order `sort` asks; `scores`: row -> text score. */
export function sortRows(index, matched, sort, scores) {
  if (sort === "oldest") return matched.slice().reverse();
  const f = index.facet[sort];
  if (f && f.sort) {
    const column = index.columns[f.name];
    return matched.slice().sort((a, b) => (column[a] || 1e9) - (column[b] || 1e9) || a - b);
  }
  if (sort === "relevance" && scores) return matched.slice().sort((a, b) => scores.get(b) - scores.get(a) || a - b);
  return matched;
}

export const COLLAPSED = 8; // values a facet lists before "Show all"
export const EMPTY_SHOWN = 3; // values with no incident a facet still lists before "Show all"

/* What facet f's group in the sidebar lists: {values: [{value, title, n, position, selected}], hidden: how many
 * "Show all" would add}, or null for a facet to leave out (no incident has a value of it, none is chosen).
 * Free words (services, tags) go by count and are listed only when some incident has them; fixed values keep
 * their order (the taxonomy's), those in use first unless the order is a rank (severities) or time (years);
 * values with no incident fold away after a few (a small knowledge base uses few of the taxonomy's causes), and
 * every value after COLLAPSED, unless `expanded`. A chosen value is always listed. */
export function sidebarValues(index, f, counts, selected, expanded) {
  let values = index.facets[f.values].map((v, position) => ({
    value: v[0],
    title: v[1],
    n: counts[position],
    position,
    selected: selected.includes(v[0]),
  }));
  if (!values.some((v) => v.n > 0) && !selected.length) return null;
  const used = (v) => v.n > 0 || v.selected;
  if (f.free) {
    values = values.filter(used);
    values.sort((a, b) => b.n - a.n || (a.value < b.value ? -1 : 1));
  } else if (!f.ranked && f.kind === "values") {
    values = [...values.filter(used), ...values.filter((v) => !used(v))]; // the taxonomy's order within each
  }
  if (expanded) return { values, hidden: 0 };
  const listed = [];
  let empty = 0;
  for (const v of values) {
    const folded = !v.n && ++empty > EMPTY_SHOWN;
    if (v.selected || (!folded && listed.length < COLLAPSED)) listed.push(v);
  }
  return { values: listed, hidden: values.length - listed.length };
}
