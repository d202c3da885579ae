// Reads a metadata index (search/incidents.json) on stdin and prints what the explorer's decoder (metadata.js)
// makes of it: each facet's values of each row (slugs), and each count column. tests/test_explorer_index.py
// compares that with the postmortems the index was written from.
import { readFileSync } from "node:fs";

import { decodeIndex, positionsOf } from "../../plugins/pmkb/mkdocs_plugin/templates/assets/javascripts/pmkb/metadata.js";

const index = decodeIndex(JSON.parse(readFileSync(0, "utf-8")));
const out = { rows: index.rows, facets: {}, counts: {} };
for (const f of index.filters) {
  if (f.kind === "count") {
    for (const [slug] of index.facets[f.values]) out.counts[slug] = Array.from(index.columns[slug]);
    continue;
  }
  out.facets[f.name] = [];
  for (let r = 0; r < index.rows; r++) {
    const slugs = positionsOf(index, r, f).map((i) => index.facets[f.values][i][0]);
    out.facets[f.name].push(f.many ? slugs : slugs[0] ?? null);
  }
}
process.stdout.write(JSON.stringify(out));
