/* pmkb: search with Pagefind, on every page.
 *
 * Loaded on every page (the plugin adds it to extra_javascript). It
 *  - puts a search box in Material's header: results as you type, with title, date, severity, cause and an
 *    excerpt; arrows move, Enter opens, Escape closes; "/" focuses it from anywhere;
 *  - exposes window.pmkbSearch: the site's root URL, Pagefind (imported on first use, from the site itself) and the
 *    parser of the terminal's field syntax (`cause:deployment severity:SEV1 kernel`), which the explorer
 *    (pmkb-explorer.js, on /search/) uses as well.
 *
 * Plain script, no build step, no framework. Every text that comes from a postmortem is set with textContent;
 * Pagefind's excerpts are rebuilt from text nodes and <mark> only.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  // This file is assets/javascripts/pmkb-search.js: the site's root is two folders up, whatever the host, the
  // sub-path or use_directory_urls.
  var root = new URL("../../", script ? script.src : location.href);
  var explorerPath = (script && script.getAttribute("data-explorer")) || "search/";

  // -- Pagefind ------------------------------------------------------------------------------------------------

  var pagefindPromise = null;

  var PAGEFIND_OPTIONS = { excerptLength: 24, baseUrl: root.pathname };

  /* Pagefind, with the site's other indexes merged into the first (a site bigger than the plugin's
   * `search_index_pages` has several: search/pagefind-parts.json lists them, fetched beside Pagefind's script). */
  function loadPagefind() {
    if (!pagefindPromise) {
      var parts = fetch(new URL("search/pagefind-parts.json", root).href)
        .then(function (response) { return response.ok ? response.json() : []; })
        .catch(function () { return []; });
      pagefindPromise = import(new URL("pagefind/pagefind.js", root).href).then(function (pagefind) {
        return Promise.resolve(pagefind.options(PAGEFIND_OPTIONS))
          .then(function () { return parts; })
          .then(function (folders) {
            return Promise.all((Array.isArray(folders) ? folders : []).map(function (folder) {
              return pagefind.mergeIndex(new URL(folder, root).href, PAGEFIND_OPTIONS);
            }));
          })
          .then(function () { return pagefind; });
      });
      pagefindPromise.catch(function () {
        pagefindPromise = null; // try again on the next search
      });
    }
    return pagefindPromise;
  }

  // -- the terminal's field syntax -----------------------------------------------------------------------------

  // Field names `pmkb search` reads that the browser turns into filters (URL parameter = field name).
  var FILTER_FIELDS = ["cause", "contributing", "severity", "service", "tag", "year", "status", "trigger", "detection"];
  var TOKEN = /\s*(?:(-)?([A-Za-z_][A-Za-z0-9_]*):(?:"([^"]*)"?|\(([^)]*)\)?|([^\s()"]*))|("[^"]*"?)|(\S+))/y;

  /* Split a query into free text and field terms.
   *
   * `filterFields`: the field names that are filters (the explorer's facets; default FILTER_FIELDS).
   * Returns {text, fields: [{field, value, raw, complete}], unknown: [raw]}. `complete` is false for the last
   * term when the query does not end with white space (it may still be being typed). `field:(a OR b)` gives one
   * term per value. Unknown field names are kept in the text (Pagefind searches their value as words) and
   * listed in `unknown`.
   */
  function parseQuery(query, filterFields) {
    var known = filterFields || FILTER_FIELDS;
    var fields = [];
    var words = [];
    var unknown = [];
    var match;
    TOKEN.lastIndex = 0;
    while (TOKEN.lastIndex < query.length && (match = TOKEN.exec(query))) {
      if (match[0].trim() === "") break;
      var complete = TOKEN.lastIndex < query.length || /\s$/.test(query);
      if (match[2] !== undefined) {
        var name = match[2].toLowerCase();
        var raw = match[0].trim();
        if (known.indexOf(name) < 0 || match[1]) {
          unknown.push(raw);
          var value = match[3] !== undefined ? match[3] : match[4] !== undefined ? match[4] : match[5];
          if (name === "title" || !match[1]) words.push(value.replace(/\bOR\b/g, " "));
          continue;
        }
        if (match[4] !== undefined) {
          match[4].split(/\s+/).forEach(function (v) {
            if (v && v !== "OR") fields.push({ field: name, value: v, raw: raw, complete: complete });
          });
        } else {
          var v = match[3] !== undefined ? match[3] : match[5];
          fields.push({ field: name, value: v, raw: raw, complete: complete });
        }
      } else if (match[6] !== undefined) {
        words.push(match[6]);
      } else if (match[7] !== "AND") {
        words.push(match[7]);
      }
    }
    return { text: words.join(" ").trim(), fields: fields, unknown: unknown };
  }

  // -- rendering helpers ---------------------------------------------------------------------------------------

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  /* Pagefind's excerpt as DOM: its text, with only <mark> kept as markup (never parsed as the page's HTML). */
  function excerptNode(excerpt) {
    var out = el("p", "pmkb-excerpt");
    var template = document.createElement("template");
    template.innerHTML = excerpt || ""; // inert: nothing in a template runs or loads
    (function copy(from, to) {
      from.childNodes.forEach(function (child) {
        if (child.nodeType === Node.TEXT_NODE) {
          to.appendChild(document.createTextNode(child.textContent));
        } else if (child.nodeType === Node.ELEMENT_NODE && child.tagName === "MARK") {
          var mark = el("mark");
          copy(child, mark);
          to.appendChild(mark);
        } else if (child.nodeType === Node.ELEMENT_NODE) {
          copy(child, to);
        }
      });
    })(template.content, out);
    return out;
  }

  function severityChip(severity) {
    var chip = el("span", "pmkb-sev pmkb-sev--" + String(severity || "").toLowerCase(), severity);
    return chip;
  }

  function explorerUrl(query) {
    var url = new URL(explorerPath, root);
    if (query) url.search = "?q=" + encodeURIComponent(query).replace(/%20/g, "+");
    return url.href;
  }

  window.pmkbSearch = {
    root: root,
    explorerUrl: explorerUrl,
    loadPagefind: loadPagefind,
    parseQuery: parseQuery,
    FILTER_FIELDS: FILTER_FIELDS,
    el: el,
    excerptNode: excerptNode,
    severityChip: severityChip,
  };

  // -- the header box ------------------------------------------------------------------------------------------

  var MAX_RESULTS = 8;

  function headerBox() {
    var header = document.querySelector(".md-header__inner");
    if (!header || document.querySelector(".pmkb-hsearch")) return;
    var box = el("div", "pmkb-hsearch");
    box.setAttribute("role", "search");
    var form = el("form", "pmkb-hsearch__form");
    form.action = explorerUrl("");
    form.method = "get";
    var input = el("input", "pmkb-hsearch__input");
    input.type = "search";
    input.name = "q";
    input.placeholder = "Search incidents";
    input.autocomplete = "off";
    input.spellcheck = false;
    input.setAttribute("aria-label", "Search incidents");
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-controls", "pmkb-hsearch-results");
    input.setAttribute("aria-keyshortcuts", "/");
    var panel = el("div", "pmkb-hsearch__panel");
    panel.hidden = true;
    var status = el("p", "pmkb-hsearch__status");
    status.setAttribute("aria-live", "polite");
    var list = el("ul", "pmkb-hsearch__results");
    list.id = "pmkb-hsearch-results";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", "Search results");
    panel.append(status, list);
    form.append(input);
    box.append(form, panel);
    var source = header.querySelector(".md-header__source");
    header.insertBefore(box, source);

    var active = -1;
    var options = [];
    var sequence = 0;
    var timer = null;

    function setActive(index) {
      if (options.length === 0) index = -1;
      else if (index < -1) index = options.length - 1;
      else if (index >= options.length) index = -1;
      options.forEach(function (option, i) {
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
      var item = el("li", "pmkb-hsearch__result");
      item.id = id;
      item.setAttribute("role", "option");
      item.setAttribute("aria-selected", "false");
      var link = el("a", "pmkb-hsearch__link");
      link.href = href;
      link.tabIndex = -1;
      build(link);
      item.append(link);
      item.addEventListener("mousedown", function (event) {
        event.preventDefault(); // keep the focus in the box until the link is followed
      });
      return item;
    }

    function render(query, results, total) {
      list.replaceChildren();
      options = [];
      results.forEach(function (data, i) {
        var meta = data.meta || {};
        var item = option("pmkb-hsearch-result-" + i, data.url, function (link) {
          var head = el("span", "pmkb-hsearch__head");
          head.append(el("span", "pmkb-hsearch__title", meta.title || data.url));
          link.append(head);
          if (meta.date || meta.severity || meta.cause) {
            var facts = el("span", "pmkb-hsearch__facts");
            if (meta.date) facts.append(el("span", "pmkb-hsearch__date", meta.date));
            if (meta.severity) facts.append(severityChip(meta.severity));
            if (meta.cause) facts.append(el("span", "pmkb-hsearch__cause", meta.cause));
            link.append(facts);
          }
          link.append(excerptNode(data.excerpt));
        });
        list.append(item);
        options.push(item);
      });
      var all = option("pmkb-hsearch-result-all", explorerUrl(query), function (link) {
        link.classList.add("pmkb-hsearch__all");
        link.textContent = total ? "All " + total + " results in the incident explorer" : "Open the incident explorer";
      });
      list.append(all);
      options.push(all);
      status.textContent = total === 0 ? "No results for \u201c" + query + "\u201d" : total + " result" + (total === 1 ? "" : "s");
      active = -1;
      open(true);
    }

    function search() {
      var query = input.value;
      var parsed = parseQuery(query);
      var mine = ++sequence;
      if (!query.trim()) {
        open(false);
        list.replaceChildren();
        options = [];
        return;
      }
      var filters = {};
      parsed.fields.forEach(function (term) {
        if (term.field === "year" || !term.complete) return;
        var value = term.field === "severity" ? term.value.toUpperCase() : term.value.toLowerCase();
        (filters[term.field] = filters[term.field] || { any: [] }).any.push(value);
      });
      if (!parsed.text) {
        // Filters alone are the explorer's job (its metadata index answers at once; Pagefind would fetch megabytes).
        render(query, [], null);
        status.textContent = "Press Enter to filter in the incident explorer";
        return;
      }
      status.textContent = "Searching\u2026";
      open(true);
      loadPagefind()
        .then(function (pagefind) {
          return pagefind.search(parsed.text, { filters: filters });
        })
        .then(function (response) {
          if (mine !== sequence) return null;
          var top = response.results.slice(0, MAX_RESULTS);
          return Promise.all(top.map(function (r) { return r.data(); })).then(function (data) {
            if (mine === sequence) render(query, data, response.results.length);
          });
        })
        .catch(function () {
          if (mine !== sequence) return;
          list.replaceChildren();
          options = [];
          status.textContent = "Search is not available: the search index could not be loaded.";
          open(true);
        });
    }

    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(search, 90);
    });
    input.addEventListener("focus", function () {
      loadPagefind().catch(function () {});
      if (input.value.trim() && options.length) open(true);
    });
    input.addEventListener("keydown", function (event) {
      if (event.key === "ArrowDown") {
        event.preventDefault();
        if (panel.hidden && input.value.trim()) open(true);
        setActive(active + 1);
      } else if (event.key === "ArrowUp") {
        event.preventDefault();
        setActive(active - 1);
      } else if (event.key === "Enter") {
        event.preventDefault();
        var target = active >= 0 ? options[active].querySelector("a").href : explorerUrl(input.value.trim());
        location.assign(target);
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
    box.addEventListener("focusout", function (event) {
      if (!box.contains(event.relatedTarget)) open(false);
    });
    document.addEventListener("keydown", function (event) {
      var target = event.target;
      var typing = target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
      if (event.key === "/" && !typing && !event.ctrlKey && !event.metaKey && !event.altKey) {
        event.preventDefault();
        input.focus();
        input.select();
      }
    });
  }

  // The explorer opened with a query: Pagefind starts loading its files for the words now, before the explorer's
  // own script runs (it is deferred to the end of parsing).
  if (document.getElementById("pmkb-explorer")) {
    var words = parseQuery(new URLSearchParams(location.search).get("q") || "").text;
    if (words) {
      loadPagefind()
        .then(function (pagefind) { return pagefind.preload(words); })
        .catch(function () {});
    }
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", headerBox);
  else headerBox();
})();
