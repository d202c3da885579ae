// pmkb's browser search, on every page (the plugin adds this module to extra_javascript): the header box, and, on
// the explorer with words in its URL, Pagefind started at once for them (before the explorer's own module runs).

import { headerBox } from "./header.js";
import { loadPagefind } from "./pagefind.js";
import { parseQuery } from "./query.js";

// For benchmarks/ and debugging: the Pagefind the page searches with.
window.pmkbSearch = { loadPagefind };

if (document.getElementById("pmkb-explorer")) {
  const words = parseQuery(new URLSearchParams(location.search).get("q") || "", []).words.join(" ");
  if (words) {
    loadPagefind()
      .then((pagefind) => pagefind.preload(words))
      .catch(() => {});
  }
}

headerBox();
