// Pagefind, loaded from the site itself on first use, with the site's other indexes merged into the first (a site
// bigger than the plugin's `search_index_pages` has several: search/pagefind-parts.json lists them).

// This file is assets/javascripts/pmkb/pagefind.js: the site's root is three folders up, whatever the host, the
// sub-path or use_directory_urls.
export const root = new URL("../../../", import.meta.url);

const OPTIONS = { excerptLength: 24, baseUrl: root.pathname };
let loading = null;

export function loadPagefind() {
  if (!loading) {
    const parts = fetch(new URL("search/pagefind-parts.json", root).href)
      .then((response) => (response.ok ? response.json() : []))
      .catch(() => []);
    loading = import(new URL("pagefind/pagefind.js", root).href).then(async (pagefind) => {
      await pagefind.options(OPTIONS);
      const folders = await parts;
      await Promise.all((Array.isArray(folders) ? folders : []).map((folder) =>
        pagefind.mergeIndex(new URL(folder, root).href, OPTIONS)));
      return pagefind;
    });
    loading.catch(() => {
      loading = null; // try again on the next search
    });
  }
  return loading;
}

/* The explorer's URL, with a query. */
export function explorerUrl(query) {
  const url = new URL("search/", root);
  if (query) url.search = "?q=" + encodeURIComponent(query).replace(/%20/g, "+");
  return url.href;
}

/* search/filters.json: the facets the query language names ({filters, facets}: the explorer's facets and the
 * value lists of those with fixed values), for the header box, which never loads the metadata index. */
let facetsLoading = null;
export function loadFacets() {
  if (!facetsLoading) {
    facetsLoading = fetch(new URL("search/filters.json", root).href).then((response) => {
      if (!response.ok) throw new Error("HTTP " + response.status);
      return response.json();
    });
    facetsLoading.catch(() => {
      facetsLoading = null;
    });
  }
  return facetsLoading;
}
