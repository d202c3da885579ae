// Small pieces of the page that the header box and the explorer share. Every text that comes from a postmortem is
// set with textContent; Pagefind's excerpts are rebuilt from text nodes and <mark> only.

export function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

/* Pagefind's excerpt as DOM: its text, with only <mark> kept as markup (never parsed as the page's HTML). */
export function excerptNode(excerpt) {
  const out = el("p", "pmkb-excerpt");
  const template = document.createElement("template");
  template.innerHTML = excerpt || ""; // inert: nothing in a template runs or loads
  (function copy(from, to) {
    from.childNodes.forEach((child) => {
      if (child.nodeType === Node.TEXT_NODE) {
        to.appendChild(document.createTextNode(child.textContent));
      } else if (child.nodeType === Node.ELEMENT_NODE && child.tagName === "MARK") {
        const mark = el("mark");
        copy(child, mark);
        to.appendChild(mark);
      } else if (child.nodeType === Node.ELEMENT_NODE) {
        copy(child, to);
      }
    });
  })(template.content, out);
  return out;
}

// The chips' tones, as on the static pages (pmkb.site.views.SEVERITY_TONES): rank 0 (the most severe) is tone 1,
// every rank from the fourth on shares tone 4.
const SEVERITY_TONES = 4;

/* A severity's chip, coloured by its rank in the taxonomy in force (-1: unknown, the neutral chip). */
export function severityChip(severity, rank) {
  const tone = rank >= 0 ? " pmkb-sev--" + Math.min(rank + 1, SEVERITY_TONES) : "";
  return el("span", "pmkb-sev" + tone, severity);
}

/* The label of a "Show more" button: how many the next click adds, `page` at most. */
export function moreLabel(total, shown, page) {
  return "Show " + Math.min(page, total - shown) + " more";
}
