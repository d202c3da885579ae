// Only true matches (matches.js), against a stand-in for Pagefind that matches as Pagefind 1.5 and 1.6 do: each
// word as a prefix; a word no indexed word starts with falls back to the longest indexed word it starts with;
// a word that matches nothing is dropped; "quoted" is an exact search.
import assert from "node:assert/strict";
import test from "node:test";

import { completePrefix, holdsPrefix, prefixProbes, searchTrue, wordsOf } from "../../plugins/pmkb/mkdocs_plugin/templates/assets/javascripts/pmkb/matches.js";

const PAGES = {
  p1: "A kernel panic took down the scheduler.",
  p2: "The certificate expired; <b>b</b> was bold.",
  p3: "Interfaces flapped after the kernel upgrade.",
  p4: "Deployments rolled back by the Café team.",
};

function fakePagefind(pages) {
  const index = new Map(); // word -> Set(page)
  for (const [id, text] of Object.entries(pages)) {
    for (const word of wordsOf(text)) {
      if (!index.has(word)) index.set(word, new Set());
      index.get(word).add(id);
    }
  }
  const calls = [];
  const preload = async () => {};
  function pagesFor(term) {
    const extensions = [...index.keys()].filter((w) => w.startsWith(term));
    if (extensions.length) return new Set(extensions.flatMap((w) => [...index.get(w)]));
    const prefixes = [...index.keys()].filter((w) => term.startsWith(w)).sort((a, b) => b.length - a.length);
    return prefixes.length ? index.get(prefixes[0]) : null;
  }
  return {
    calls,
    preload,
    async search(term) {
      calls.push(term);
      let ids;
      const exact = /^"(.*)"$/.exec(term);
      if (exact) {
        ids = wordsOf(exact[1]).map((w) => index.get(w) || new Set());
      } else {
        ids = wordsOf(term).map(pagesFor).filter(Boolean);
      }
      const found = ids.length ? [...ids.reduce((a, b) => new Set([...a].filter((x) => b.has(x))))] : [];
      return {
        results: found.sort().map((id) => ({ id, score: 1, data: async () => ({ content: pages[id] }) })),
      };
    },
  };
}

async function ids(query) {
  const words = query.split(" ");
  const response = await searchTrue(fakePagefind(PAGES), query, words);
  return response.results.map((r) => r.id);
}

test("the stand-in falls back as Pagefind does", async () => {
  const pagefind = fakePagefind(PAGES);
  assert.deepEqual((await pagefind.search("azzz")).results.map((r) => r.id), ["p1"]);
  assert.deepEqual((await pagefind.search("kernel zzzz")).results.map((r) => r.id), ["p1", "p3"]);
});

test("a word on no page finds nothing, even where a one-letter word starts it", async () => {
  assert.deepEqual(await ids("azzz"), []);
  assert.deepEqual(await ids("bzzz"), []);
});

test("every word of several must be on the page, the last as a prefix", async () => {
  assert.deepEqual(await ids("kernel"), ["p1", "p3"]);
  assert.deepEqual(await ids("kernel zzzz"), []);
  assert.deepEqual(await ids("zzzz kernel"), []);
  assert.deepEqual(await ids("kernel pan"), ["p1"]);
  assert.deepEqual(await ids("kernel int"), ["p3"]);
  assert.deepEqual(await ids("int"), ["p3"]);
  assert.deepEqual(await ids("cafe"), ["p4"]);
});

test("a text holds a query when it has each word, the last as a prefix", () => {
  assert.ok(holdsPrefix("Interfaces flapped", "interf"));
  assert.ok(!holdsPrefix("A kernel", "azzz"));
  assert.ok(holdsPrefix("Le café", "CAFE"));
  assert.ok(!holdsPrefix("kernel", "panic kernel"));
});

test("a prefix of three letters or more loads the chunks of every word starting with it", async () => {
  assert.equal(prefixProbes("kernel in"), "");
  assert.equal(prefixProbes("int").split(" ").length, 36);
  assert.ok(prefixProbes("Int").startsWith("inta intb"));
  const pagefind = fakePagefind(PAGES);
  const preloaded = [];
  pagefind.preload = async (terms) => preloaded.push(terms);
  assert.equal(await completePrefix(pagefind, ["kernel", "pan"]), true);
  assert.equal(await completePrefix(pagefind, ["kernel", '"a phrase"']), false);
  assert.equal(await completePrefix(pagefind, ["in"]), false);
  assert.deepEqual(preloaded, [prefixProbes("pan")]);
});
