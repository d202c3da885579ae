// The search box in Material's header, on every page: results as you type, with title, date, severity, cause and
// an excerpt; arrows move, Enter opens, Escape closes; "/" focuses it from anywhere. Filter terms of the query
// (`cause:deployment`) narrow the results; filters alone are the explorer's job (Enter opens it).

import { el, excerptNode, severityChip } from "./dom.js";
import { completePrefix, searchTrue } from "./matches.js";
import { explorerUrl, loadFacets, loadPagefind } from "./pagefind.js";
import { normalizeKeyword, parseQuery } from "./query.js";

const MAX_RESULTS = 8;

/* Pagefind's filters for the complete filter terms of a query, with values as the site writes them. */
export function pagefindFilters(fields, site) {
  const filters = {};
  for (const term of fields) {
    const f = site.filters.find((x) => x.name === term.field);
    if (!term.complete || !f || f.kind !== "values") continue;
    const known = (site.facets[f.values] || []).find((v) => normalizeKeyword(v[0]) === normalizeKeyword(term.value));
    const value = known ? known[0] : normalizeKeyword(term.value);
    (filters[f.name] = filters[f.name] || { any: [] }).any.push(value);
  }
  return filters;
}

/* A severity's rank in the taxonomy in force (the facet whose values are ranked), -1 if unknown. */
export function rankOf(site, slug) {
  const ranked = site.filters.find((f) => f.ranked);
  const values = ranked ? site.facets[ranked.values] || [] : [];
  return values.findIndex((v) => v[0] === slug);
}

function buildBox(header) {
  const box = el("div", "pmkb-hsearch");
  box.setAttribute("role", "search");
  const form = el("form", "pmkb-hsearch__form");
  form.action = explorerUrl("");
  form.method = "get";
  const input = el("input", "pmkb-hsearch__input");
  Object.assign(input, { type: "search", name: "q", placeholder: "Search incidents", autocomplete: "off", spellcheck: false });
  for (const [name, value] of [
    ["aria-label", "Search incidents"],
    ["role", "combobox"],
    ["aria-expanded", "false"],
    ["aria-autocomplete", "list"],
    ["aria-controls", "pmkb-hsearch-results"],
    ["aria-keyshortcuts", "/"],
  ]) input.setAttribute(name, value);
  const panel = el("div", "pmkb-hsearch__panel");
  panel.hidden = true;
  const status = el("p", "pmkb-hsearch__status");
  status.setAttribute("aria-live", "polite");
  const list = el("ul", "pmkb-hsearch__results");
  list.id = "pmkb-hsearch-results";
  list.setAttribute("role", "listbox");
  list.setAttribute("aria-label", "Search results");
  panel.append(status, list);
  form.append(input);
  box.append(form, panel);
  header.insertBefore(box, header.querySelector(".md-header__source"));
  return { box, input, panel, status, list };
}

export function headerBox() {
  const header = document.querySelector(".md-header__inner");
  if (!header || document.querySelector(".pmkb-hsearch")) return;
  const { box, input, panel, status, list } = buildBox(header);
  let active = -1;
  let options = [];
  let sequence = 0;
  let timer = null;

  function setActive(index) {
    if (options.length === 0) index = -1;
    else if (index < -1) index = options.length - 1;
    else if (index >= options.length) index = -1;
    options.forEach((option, i) => {
      option.setAttribute("aria-selected", i === index ? "true" : "false");
      option.classList.toggle("pmkb-hsearch__result--active", i === index);
    });
    active = index;
    if (index >= 0) {
      input.setAttribute("aria-activedescendant", options[index].id);
      options[index].scrollIntoView({ block: "nearest" });
    } else {
      input.removeAttribute("aria-activedescendant");
    }
  }

  function open(isOpen) {
    panel.hidden = !isOpen;
    input.setAttribute("aria-expanded", isOpen ? "true" : "false");
    box.classList.toggle("pmkb-hsearch--open", isOpen);
  }

  function option(id, href, build) {
    const item = el("li", "pmkb-hsearch__result");
    item.id = id;
    item.setAttribute("role", "option");
    item.setAttribute("aria-selected", "false");
    const link = el("a", "pmkb-hsearch__link");
    link.href = href;
    link.tabIndex = -1;
    build(link);
    item.append(link);
    item.addEventListener("mousedown", (event) => {
      event.preventDefault(); // keep the focus in the box until the link is followed
    });
    return item;
  }

  function render(query, results, total, site) {
    list.replaceChildren();
    options = [];
    results.forEach((data, i) => {
      const meta = data.meta || {};
      const item = option("pmkb-hsearch-result-" + i, data.url, (link) => {
        const head = el("span", "pmkb-hsearch__head");
        head.append(el("span", "pmkb-hsearch__title", meta.title || data.url));
        link.append(head);
        // The page's date, then the facets a result row shows as a chip or a text, from the page's meta fields of
        // the same names (a chip's meta is the value, a text's its title).
        const facts = el("span", "pmkb-hsearch__facts");
        if (meta.date) facts.append(el("span", "pmkb-hsearch__date", meta.date));
        for (const f of site.filters) {
          const value = meta[f.name];
          if (!value) continue;
          if (f.result === "chip") facts.append(severityChip(value, rankOf(site, value)));
          else if (f.result === "text") facts.append(el("span", "pmkb-hsearch__" + f.name, value));
        }
        if (facts.children.length) link.append(facts);
        link.append(excerptNode(data.excerpt));
      });
      list.append(item);
      options.push(item);
    });
    const all = option("pmkb-hsearch-result-all", explorerUrl(query), (link) => {
      link.classList.add("pmkb-hsearch__all");
      link.textContent = total ? "All " + total + " results in the incident explorer" : "Open the incident explorer";
    });
    list.append(all);
    options.push(all);
    status.textContent = total === 0
      ? "Nothing found for \u201c" + query.trim() + "\u201d"
      : total + " result" + (total === 1 ? "" : "s");
    active = -1;
    open(true);
  }

  async function search() {
    const query = input.value;
    const mine = ++sequence;
    if (!query.trim()) {
      open(false);
      list.replaceChildren();
      options = [];
      return;
    }
    status.textContent = "Searching\u2026";
    open(true);
    try {
      const site = await loadFacets();
      const parsed = parseQuery(query, site.filters.filter((f) => f.query).map((f) => f.name));
      if (mine !== sequence) return;
      if (!parsed.text) {
        // Filters alone are the explorer's job (its metadata index answers at once; Pagefind would fetch megabytes).
        render(query, [], null, site);
        status.textContent = "Press Enter to filter in the incident explorer";
        return;
      }
      const pagefind = await loadPagefind();
      const options = { filters: pagefindFilters(parsed.fields, site) };
      const show = async () => {
        const response = await searchTrue(pagefind, parsed.text, parsed.words, options);
        if (mine !== sequence) return;
        const data = await Promise.all(response.results.slice(0, MAX_RESULTS).map((r) => r.data()));
        if (mine === sequence) render(query, data, response.results.length, site);
      };
      await show();
      // Once the index chunks of every word the last one starts with are in, the complete answer.
      if (mine === sequence && (await completePrefix(pagefind, parsed.words)) && mine === sequence) await show();
    } catch (error) {
      if (mine !== sequence) return;
      list.replaceChildren();
      options = [];
      status.textContent = "Search is not available: the search index could not be loaded.";
      open(true);
    }
  }

  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(search, 90);
  });
  input.addEventListener("focus", () => {
    loadPagefind().catch(() => {});
    loadFacets().catch(() => {});
    if (input.value.trim() && options.length) open(true);
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "ArrowDown") {
      event.preventDefault();
      if (panel.hidden && input.value.trim()) open(true);
      setActive(active + 1);
    } else if (event.key === "ArrowUp") {
      event.preventDefault();
      setActive(active - 1);
    } else if (event.key === "Enter") {
      event.preventDefault();
      location.assign(active >= 0 ? options[active].querySelector("a").href : explorerUrl(input.value.trim()));
    } else if (event.key === "Escape") {
      if (!panel.hidden) {
        event.preventDefault();
        open(false);
        setActive(-1);
      } else if (input.value) {
        event.preventDefault();
        input.value = "";
      } else {
        input.blur();
      }
    }
  });
  box.addEventListener("focusout", (event) => {
    if (!box.contains(event.relatedTarget)) open(false);
  });
  document.addEventListener("keydown", (event) => {
    const target = event.target;
    const typing = target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
    if (event.key === "/" && !typing && !event.ctrlKey && !event.metaKey && !event.altKey) {
      event.preventDefault();
      input.focus();
      input.select();
    }
  });
}
