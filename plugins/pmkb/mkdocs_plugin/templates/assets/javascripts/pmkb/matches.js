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

function bare(word) {
  return word.replace(/^"|"$/g, "").replace(/\*$/, "");
}

/* Pagefind's search for `text` (see parseQuery), with only the results that hold every one of `words`.
 * `options`: Pagefind's search options (filters). Resolves to Pagefind's response with its results narrowed. */
export async function searchTrue(pagefind, text, words, options) {
  const checked = words.map(bare).filter((w) => wordsOf(w).length);
  const exact = checked.map((w) => pagefind.search('"' + w + '"'));
  const response = await pagefind.search(text, options || {});
  let results = response.results;
  if (!checked.length || !results.length) return response;
  const found = await Promise.all(exact);
  const last = checked.length - 1;
  for (let i = 0; i < last; i++) {
    const ids = new Set(found[i].results.map((r) => r.id));
    results = results.filter((r) => ids.has(r.id));
  }
  const phrase = words[words.length - 1].startsWith('"');
  if (results.length && !found[last].results.length) {
    if (phrase) results = [];
    else {
      const first = await results[0].data();
      if (!holdsPrefix(first.content, checked[last])) results = [];
    }
  }
  return Object.assign({}, response, { results });
}
