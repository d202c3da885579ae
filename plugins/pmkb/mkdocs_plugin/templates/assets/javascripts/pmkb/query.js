// The query language as the browser reads it: the syntax of `pmkb search` (search/query.py), split into the words
// Pagefind searches and the field terms that become the explorer's filters. tests/query_cases.json holds the cases
// both parsers are held to. The browser has no OR and no groups: the terms of `a OR b` and `(a b)` count one by
// one (a repeated filter field is OR within its facet, as in the explorer's URL).

// The same alternatives as search/query.py's tokenizer; a field needs a value right after its colon, and a
// `name://` is a URL (a word), not a field.
const TOKEN = /(\s+)|(\()|(\))|(")|([A-Za-z_][A-Za-z0-9_]*):(?=[^\s/])|([^\s()"]+)/y;
const OPERATORS = new Set(["AND", "OR", "NOT"]);

/* The tokens of `query`: {kind: space|lparen|rparen|phrase|field|word|op|minus, text, end}. An unclosed quote runs
 * to the end (the query may still be being typed). */
function tokenize(query) {
  const tokens = [];
  let position = 0;
  while (position < query.length) {
    if (query[position] === "-" && position + 1 < query.length && !/\s/.test(query[position + 1])) {
      tokens.push({ kind: "minus", text: "-", end: position + 1 });
      position += 1;
      continue;
    }
    TOKEN.lastIndex = position;
    const match = TOKEN.exec(query);
    if (match[4] !== undefined) {
      const close = query.indexOf('"', position + 1);
      const end = close < 0 ? query.length : close + 1;
      tokens.push({ kind: "phrase", text: query.slice(position + 1, close < 0 ? query.length : close), end });
      position = end;
      continue;
    }
    position = TOKEN.lastIndex;
    if (match[1] !== undefined) continue;
    if (match[2] !== undefined) tokens.push({ kind: "lparen", text: "(", end: position });
    else if (match[3] !== undefined) tokens.push({ kind: "rparen", text: ")", end: position });
    else if (match[5] !== undefined) tokens.push({ kind: "field", text: match[5], end: position });
    else if (OPERATORS.has(match[6])) tokens.push({ kind: "op", text: match[6], end: position });
    else tokens.push({ kind: "word", text: match[6], end: position });
  }
  return tokens;
}

/* A word or phrase token as [its value, as written]: a phrase keeps its quotes. */
function written(token) {
  return [token.text, token.kind === "phrase" ? '"' + token.text + '"' : token.text];
}

/* Keyword values as indexed and queried (search/query.py's normalize_keyword): lower case, white space as '-'. */
export function normalizeKeyword(value) {
  return String(value).toLowerCase().split(/\s+/).filter(Boolean).join("-");
}

/* Split `query` into what the browser does with it.
 *
 * `filterFields`: the field names that are filters (the explorer's facets that a query may name). Returns
 * {words, text, fields: [{field, value, raw, complete}], other: [raw], excluded: [raw]}:
 * - `words`: the free words and phrases (in quotes), and `title:` values: what a result must contain;
 * - `text`: what Pagefind is asked for: the words, and the values of the fields the browser cannot filter on;
 * - `fields`: one term per filter value (`field:(a OR b)` gives two); `complete` is false for a term at the very
 *   end of a query that does not end with white space (it may still be being typed);
 * - `other`: the terms of fields that are not filters here, one `field:value` per value (their values are
 *   searched as text);
 * - `excluded`: negated terms (`-word`, `NOT word`, `-field:value`), without the negation: the browser leaves
 *   them out, it cannot exclude.
 */
export function parseQuery(query, filterFields) {
  const known = new Set(filterFields || []);
  const tokens = tokenize(query);
  const endsOpen = !/\s$/.test(query);
  const out = { words: [], text: "", fields: [], other: [], excluded: [] };
  const searched = [];
  let depth = 0; // parentheses
  let negatedDepth = -1; // the depth of a negated group, while inside it
  let negateNext = false;
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i];
    if (token.kind === "minus" || (token.kind === "op" && token.text === "NOT")) {
      negateNext = true;
      continue;
    }
    if (token.kind === "op") continue;
    if (token.kind === "lparen") {
      depth += 1;
      if (negateNext && negatedDepth < 0) negatedDepth = depth;
      negateNext = false;
      continue;
    }
    if (token.kind === "rparen") {
      if (depth === negatedDepth) negatedDepth = -1;
      depth = Math.max(0, depth - 1);
      continue;
    }
    const negated = negateNext || negatedDepth >= 0;
    negateNext = false;
    if (token.kind === "field") {
      const name = token.text.toLowerCase();
      const next = tokens[i + 1];
      if (!next || (next.kind !== "word" && next.kind !== "phrase" && next.kind !== "lparen")) continue;
      let values; // [value, as written]
      let end = next.end;
      if (next.kind === "lparen") {
        let close = i + 2;
        while (close < tokens.length && tokens[close].kind !== "rparen") close++;
        values = tokens.slice(i + 2, close).filter((t) => t.kind === "word" || t.kind === "phrase").map(written);
        end = close < tokens.length ? tokens[close].end : query.length;
        i = close;
      } else {
        values = [written(next)];
        i += 1;
      }
      const raw = query.slice(token.end - token.text.length - 1, end).trim();
      const complete = end < query.length || !endsOpen;
      for (const [value, text] of values) {
        if (negated) out.excluded.push(name + ":" + text);
        else if (known.has(name)) out.fields.push({ field: name, value, raw, complete });
        else if (name === "title") {
          out.words.push(text);
          searched.push(text);
        } else {
          out.other.push(name + ":" + text);
          searched.push(value);
        }
      }
      continue;
    }
    const [, text] = written(token); // a word or a phrase
    if (negated) out.excluded.push(text);
    else if (token.text.trim()) {
      out.words.push(text);
      searched.push(text);
    }
  }
  out.text = searched.join(" ").trim();
  return out;
}
