// Only true matches from Pagefind: every result holds every query word, the last one (still being typed) as a
// prefix.
//
// Pagefind matches each word as a prefix, and where no indexed word starts with it, it falls back to the longest
// indexed word the query word starts with: `azzz` finds every page with the word "a". With several words, a word
// that matches nothing is dropped. Whether a word fell back is a property of the word, not of a page, so it is
// decided once per word and costs no page's fragment beyond the first result's (which is shown anyway):
// - a word before the last must be on the page as a word (Pagefind's stemming applies: `deploys` finds
//   "deployed"): Pagefind's exact search for it, "word" in quotes, lists exactly those pages;
// - the last word is true when Pagefind's exact search finds it, or else when the first result's text holds a
//   word starting with it: a prefix of real words (`int`) matches every result, a fallback (`azzz`) none.
//
// A prefix also misses pages: Pagefind loads the one index chunk the prefix itself falls in, while the words
// that start with it may run on into the next chunks (`int` found 4,351 pages of the 4,614 at 5,000 postmortems).
// Preloading the prefix followed by each letter and digit loads every chunk those words are in: a chunk holding
// only words between two such probes would need thousands of words starting with the same four letters. That
// costs time (more chunks, more matches to score), so the first answer comes without it and `completePrefix`
// says whether a second, complete one is worth asking for.

/* A text's words as Pagefind compares them: lower case, without diacritics, split at anything but letters and
 * digits. */
export function wordsOf(text) {
  return String(text || "")
    .normalize("NFD")
    .replace(/\p{M}/gu, "")
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean);
}

/* Whether `text` holds every word of `query`, its last word as a prefix. */
export function holdsPrefix(text, query) {
  const wanted = wordsOf(query);
  if (!wanted.length) return true;
  const words = new Set(wordsOf(text));
  const last = wanted.pop();
  if (!wanted.every((w) => words.has(w))) return false;
  for (const word of words) if (word.startsWith(last)) return true;
  return false;
}

const PROBES = "abcdefghijklmnopqrstuvwxyz0123456789";
const SHORTEST_PROBED = 3; // a shorter prefix matches most pages anyway, and its words fill many chunks

/* The terms whose index chunks hold every word starting with `word` (its last word), for Pagefind's preload:
 * "" when there is nothing to add. */
export function prefixProbes(word) {
  const last = wordsOf(word).pop();
  if (!last || last.length < SHORTEST_PROBED) return "";
  return Array.from(PROBES, (c) => last + c).join(" ");
}

function bare(word) {
  return word.replace(/^"|"$/g, "").replace(/\*$/, "");
}

/* The probes that would complete a search for `words` (their last word as a prefix), "" if none. */
function probesFor(words) {
  const last = words[words.length - 1];
  return last && !last.startsWith('"') ? prefixProbes(bare(last)) : "";
}

/* Load the index chunks of every word the last of `words` is a prefix of. Resolves to true when that may add
 * results to a search already made (search again), false when there was nothing to load. */
export async function completePrefix(pagefind, words) {
  const probes = probesFor(words);
  if (!probes) return false;
  await pagefind.preload(probes);
  return true;
}

/* Pagefind's search for `text` (see parseQuery), with only the results that hold every one of `words`.
 * `options`: Pagefind's search options (filters). Resolves to Pagefind's response with its results narrowed. */
export async function searchTrue(pagefind, text, words, options) {
  const checked = words.map(bare).filter((w) => wordsOf(w).length);
  const exact = checked.map((w) => pagefind.search('"' + w + '"'));
  const last = checked.length - 1;
  const lastIsPhrase = last >= 0 && words[words.length - 1].startsWith('"');
  const response = await pagefind.search(text, options || {});
  let results = response.results;
  if (!checked.length || !results.length) return response;
  const found = await Promise.all(exact);
  for (let i = 0; i < last; i++) {
    const ids = new Set(found[i].results.map((r) => r.id));
    results = results.filter((r) => ids.has(r.id));
  }
  if (results.length && !found[last].results.length) {
    if (lastIsPhrase) results = [];
    else {
      // The page's text and its meta fields (the header card's words are searched as meta).
      const first = await results[0].data();
      const text = [first.content, ...Object.values(first.meta || {})].join(" ");
      if (!holdsPrefix(text, checked[last])) results = [];
    }
  }
  return Object.assign({}, response, { results });
}
