// The explorer's metadata index (search/incidents.json) and Pagefind's id map (search/pagefind-ids.json), decoded.
// The format is written by pmkb.site.explorer (incident_index, pagefind_ids).

// Base 91 over printable ASCII without '"' and '\\': the digits of every column's codes.
export const ALPHABET = Array.from({ length: 127 - 35 }, (_, i) => String.fromCharCode(35 + i))
  .filter((c) => c !== "\\")
  .join("");
const DIGIT = new Map(Array.from(ALPHABET, (c, i) => [c, i]));

/* A column's codes ({width, codes}) as one int per row. */
export function decodeInts(column) {
  const { width, codes } = column;
  const out = new Int32Array(codes.length / width);
  for (let i = 0, at = 0; i < out.length; i++) {
    let value = 0;
    for (let d = 0; d < width; d++) value = value * ALPHABET.length + DIGIT.get(codes[at++]);
    out[i] = value;
  }
  return out;
}

/* The metadata index, ready to filter: {rows, chunk, filters (the facets, in sidebar order), facet (name ->
 * facet), facets (value list name -> [slug, title] pairs), columns}. A single column is an Int32Array (value
 * position + 1, 0: none; or a count); a list column is {offsets, values}: row r's codes are
 * values[offsets[r]..offsets[r + 1]). */
export function decodeIndex(document) {
  const columns = {};
  for (const [name, column] of Object.entries(document.columns)) {
    if (!column.lengths) {
      columns[name] = decodeInts(column);
      continue;
    }
    const lengths = decodeInts(column.lengths);
    const offsets = new Int32Array(lengths.length + 1);
    for (let i = 0; i < lengths.length; i++) offsets[i + 1] = offsets[i] + lengths[i];
    columns[name] = { offsets, values: decodeInts(column) };
  }
  const facet = {};
  for (const f of document.filters) facet[f.name] = f;
  return {
    rows: document.rows,
    chunk: document.chunk,
    filters: document.filters,
    facet,
    facets: document.facets,
    columns,
    positions: {}, // value list name -> Map(slug -> position), made when first asked
  };
}

/* Row r's positions in facet f's value list. */
export function positionsOf(index, r, f) {
  const column = index.columns[f.name];
  if (!f.many) return column[r] ? [column[r] - 1] : [];
  const out = [];
  for (let i = column.offsets[r]; i < column.offsets[r + 1]; i++) out.push(column.values[i] - 1);
  return out;
}

/* The position of `slug` in facet f's value list, or -1. */
export function positionOf(index, f, slug) {
  if (!index.positions[f.values]) {
    index.positions[f.values] = new Map(index.facets[f.values].map((v, i) => [v[0], i]));
  }
  const at = index.positions[f.values].get(slug);
  return at === undefined ? -1 : at;
}

/* search/pagefind-ids.json as a Map from Pagefind's page id to the row of the metadata index. */
export function readIds(found) {
  const map = new Map();
  if (Array.isArray(found)) {
    found.forEach((id, row) => { if (id) map.set(id, row); });
  } else {
    found.ids.split(" ").forEach((id, row) => { if (id) map.set(found.prefix + id, row); });
  }
  return map;
}
