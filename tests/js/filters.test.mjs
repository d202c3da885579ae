// The explorer's state, URL and matching (filters.js) on a small metadata index written by hand.
import assert from "node:assert/strict";
import test from "node:test";

import {
  absorbFields,
  canonical,
  evaluate,
  readState,
  sidebarValues,
  sortRows,
  writeState,
} from "../../plugins/pmkb/mkdocs_plugin/templates/assets/javascripts/pmkb/filters.js";
import { ALPHABET, decodeIndex } from "../../plugins/pmkb/mkdocs_plugin/templates/assets/javascripts/pmkb/metadata.js";

const codes = (...values) => ({ width: 1, codes: values.map((v) => ALPHABET[v]).join("") });
const many = (...rows) => ({ ...codes(...rows.flat()), lengths: codes(...rows.map((r) => r.length)) });

// Four rows, newest first. Severity SEV1..SEV3 (ranked), cause from a list of 6 (most unused), service free
// words, tag free words (none used), year, actions open/overdue counts.
const INDEX = decodeIndex({
  rows: 4,
  chunk: 100,
  filters: [
    { name: "severity", title: "Severity", values: "severity", many: false, free: false, kind: "values", ranked: true, sort: "Most severe first", query: true, result: "chip" },
    { name: "cause", title: "Primary cause", values: "cause", many: false, free: false, kind: "values", ranked: false, sort: "", query: true, result: "text" },
    { name: "contributing", title: "Contributing cause", values: "cause", many: true, free: false, kind: "values", ranked: false, sort: "", query: true, result: "" },
    { name: "service", title: "Service", values: "service", many: true, free: true, kind: "values", ranked: false, sort: "", query: true, result: "list" },
    { name: "tag", title: "Tag", values: "tag", many: true, free: true, kind: "values", ranked: false, sort: "", query: true, result: "" },
    { name: "year", title: "Year", values: "year", many: false, free: false, kind: "years", ranked: false, sort: "", query: true, result: "" },
    { name: "actions", title: "Action items", values: "actions", many: false, free: false, kind: "count", ranked: false, sort: "", query: false, result: "count" },
  ],
  facets: {
    severity: [["SEV1", "Critical"], ["SEV2", "Major"], ["SEV3", "Minor"]],
    cause: [["capacity", "Capacity"], ["expiry", "Expiry"], ["network", "Network"], ["a", "A"], ["b", "B"], ["c", "C"], ["d", "D"]],
    service: [["cache", "cache"], ["checkout", "checkout"], ["dns", "dns"]],
    tag: [],
    year: [["2024", "2024"], ["2023", "2023"], ["2022", "2022"]],
    actions: [["open", "Has open action items"], ["overdue", "Has overdue action items"]],
  },
  columns: {
    severity: codes(3, 2, 1, 2),
    cause: codes(3, 1, 2, 1),
    contributing: many([1], [], [3], []),
    service: many([2], [1, 2], [3], [1]),
    tag: many([], [], [], []),
    year: codes(1, 1, 2, 3),
    open: codes(1, 2, 1, 0),
    overdue: codes(1, 1, 0, 0),
  },
});

const state = (filters, q = "") => ({ q, filters, sort: "" });

test("rows match every facet and any value within one", () => {
  assert.deepEqual(evaluate(INDEX, state({ cause: ["capacity"] })).matched, [1, 3]);
  assert.deepEqual(evaluate(INDEX, state({ cause: ["capacity"], service: ["cache"] })).matched, [1, 3]);
  assert.deepEqual(evaluate(INDEX, state({ cause: ["capacity"], service: ["checkout"] })).matched, [1]);
  assert.deepEqual(evaluate(INDEX, state({ severity: ["SEV1", "SEV3"] })).matched, [0, 2]);
  assert.deepEqual(evaluate(INDEX, state({ year: ["2023.."] })).matched, [0, 1, 2]);
  assert.deepEqual(evaluate(INDEX, state({ actions: ["overdue"] })).matched, [0, 1]);
  assert.deepEqual(evaluate(INDEX, state({}), new Set([2, 3])).matched, [2, 3]);
});

test("a facet's counts are what a click on each value would give", () => {
  const { counts } = evaluate(INDEX, state({ cause: ["capacity"] }));
  assert.deepEqual(Array.from(counts.cause), [2, 1, 1, 0, 0, 0, 0]); // cause itself: among all rows
  assert.deepEqual(Array.from(counts.severity), [0, 2, 0]); // other facets: among the capacity rows
  assert.deepEqual(Array.from(counts.actions), [1, 1]);
});

test("sorting by rank puts the most severe first, ties newest first", () => {
  assert.deepEqual(sortRows(INDEX, [0, 1, 2, 3], "severity"), [2, 1, 3, 0]);
  assert.deepEqual(sortRows(INDEX, [0, 1, 2, 3], "oldest"), [3, 2, 1, 0]);
  assert.deepEqual(sortRows(INDEX, [0, 1], "relevance", new Map([[0, 1], [1, 5]])), [1, 0]);
});

test("values are made canonical against the facet's list, with a note for what is none", () => {
  const notes = [];
  const f = INDEX.facet;
  assert.equal(canonical(f.severity, "sev2", INDEX.facets.severity, notes), "SEV2");
  assert.equal(canonical(f.service, "Nowhere", INDEX.facets.service, notes), "nowhere"); // free: no note
  assert.equal(canonical(f.cause, "deploy", INDEX.facets.cause, notes), null);
  assert.equal(canonical(f.year, "<=2020", null, notes), "..2020");
  assert.equal(canonical(f.year, "twenty", null, notes), null);
  assert.equal(notes.length, 2);
  assert.match(notes[0], /cause .deploy. is not one of capacity, expiry/);
});

test("the URL holds q, the facets in sidebar order and sort, and reads back the same", () => {
  const notes = [];
  const read = readState("?q=kernel&service=cache&cause=capacity&cause=bogus&sort=oldest", INDEX, notes);
  assert.deepEqual(read, { q: "kernel", filters: { cause: ["capacity"], service: ["cache"] }, sort: "oldest" });
  assert.equal(notes.length, 1);
  assert.equal(writeState(read, INDEX), "q=kernel&cause=capacity&service=cache&sort=oldest");
  assert.deepEqual(readState("?" + writeState(read, INDEX), INDEX, []), read);
});

test("field terms of the query become filters; a term still being typed stays text", () => {
  const typing = state({}, "kernel severity:SEV1..SEV2 cause:cap");
  absorbFields(typing, INDEX, false, []);
  assert.deepEqual(typing.filters, { severity: ["SEV1", "SEV2"] });
  assert.equal(typing.q, "kernel cause:cap");
  const submitted = state({}, "service:c* owner:alice -panic");
  const notes = [];
  absorbFields(submitted, INDEX, true, notes);
  assert.deepEqual(submitted.filters, { service: ["cache", "checkout"] });
  assert.equal(submitted.q, "alice");
  assert.equal(notes.length, 2); // owner: is not a filter here; -panic is left out
});

test("the sidebar folds unused values after a few and leaves out a facet nobody has", () => {
  const { counts } = evaluate(INDEX, state({}));
  const causes = sidebarValues(INDEX, INDEX.facet.cause, counts.cause, [], false);
  assert.deepEqual(causes.values.map((v) => v.value), ["capacity", "expiry", "network", "a", "b", "c"]);
  const severities = sidebarValues(INDEX, INDEX.facet.severity, new Int32Array([0, 2, 1]), [], false);
  assert.deepEqual(severities.values.map((v) => v.value), ["SEV1", "SEV2", "SEV3"]); // a rank keeps its order
  const someCauses = sidebarValues(INDEX, INDEX.facet.cause, new Int32Array([0, 0, 0, 0, 0, 3, 0]), [], false);
  assert.deepEqual(someCauses.values.map((v) => v.value), ["c", "capacity", "expiry", "network"]); // in use first
  assert.equal(causes.hidden, 1);
  assert.equal(sidebarValues(INDEX, INDEX.facet.cause, counts.cause, [], true).values.length, 7);
  assert.equal(sidebarValues(INDEX, INDEX.facet.tag, counts.tag, [], false), null);
  const services = sidebarValues(INDEX, INDEX.facet.service, counts.service, [], false);
  assert.deepEqual(services.values.map((v) => [v.value, v.n]), [["checkout", 2], ["cache", 2], ["dns", 1]].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)));
  const chosen = sidebarValues(INDEX, INDEX.facet.cause, counts.cause, ["d"], false);
  assert.ok(chosen.values.some((v) => v.value === "d" && v.selected));
});
