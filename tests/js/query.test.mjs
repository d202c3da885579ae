// The browser's query parser against the cases search/query.py is held to as well (tests/query_cases.json).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import test from "node:test";

import { canonical } from "../../plugins/pmkb/mkdocs_plugin/templates/assets/javascripts/pmkb/filters.js";
import { normalizeKeyword, parseQuery } from "../../plugins/pmkb/mkdocs_plugin/templates/assets/javascripts/pmkb/query.js";

const table = JSON.parse(readFileSync(new URL("../query_cases.json", import.meta.url), "utf-8"));

/* A filter term as the table writes it: the value normalized, a year as a range. */
function filterOf(term) {
  if (term.field === "year") return ["year", canonical({ name: "year", kind: "years" }, term.value, null, [])];
  return [term.field, normalizeKeyword(term.value)];
}

/* A `field:value` term as the table writes it: the value unquoted and normalized. */
function termOf(raw) {
  const field = /^([A-Za-z_][A-Za-z0-9_]*):(.*)$/.exec(raw);
  return field ? field[1] + ":" + normalizeKeyword(field[2].replace(/^"|"$/g, "")) : raw;
}

for (const c of table.cases) {
  test(`query ${JSON.stringify(c.query)}`, () => {
    const parsed = parseQuery(c.query, table.filter_fields);
    assert.deepEqual(
      {
        words: parsed.words,
        filters: parsed.fields.map(filterOf),
        other: parsed.other.map(termOf),
        excluded: parsed.excluded.map(termOf),
      },
      { words: c.words, filters: c.filters, other: c.other || [], excluded: c.excluded || [] },
    );
  });
}

test("a term at the end of a query still being typed is not complete", () => {
  assert.equal(parseQuery("cause:dep", ["cause"]).fields[0].complete, false);
  assert.equal(parseQuery("cause:dep ", ["cause"]).fields[0].complete, true);
  assert.equal(parseQuery("cause:dep kernel", ["cause"]).fields[0].complete, true);
});

test("fields that are not filters are searched as text, negations are not", () => {
  const parsed = parseQuery('owner:"Team A" -kernel crash', ["cause"]);
  assert.equal(parsed.text, "Team A crash");
});
