// Small DOM helpers. Text always goes in through text nodes, never innerHTML, because document
// text and server messages are untrusted.

/** h("div", {class: "x", onclick: fn}, "text", child, [more]) -> an element. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value == null || value === false) continue;
    if (name.startsWith("on")) el.addEventListener(name.slice(2), value);
    else if (name === "class") el.className = value;
    else if (name === "dataset") Object.assign(el.dataset, value);
    else if (value === true) el.setAttribute(name, "");
    else el.setAttribute(name, value);
  }
  append(el, children);
  return el;
}

/** Like el.replaceChildren, but skips null/false, so `cond && node` can be passed as is. */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child == null || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : String(child));
  }
}

/** An inline SVG icon from the sprite in index.html. */
export function icon(name, cls = "icon") {
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("class", cls);
  svg.setAttribute("aria-hidden", "true");
  const use = document.createElementNS(ns, "use");
  use.setAttribute("href", `#i-${name}`);
  svg.append(use);
  return svg;
}

export const $ = (sel, root = document) => root.querySelector(sel);

/** The inside of an .alert: an icon, a bold title and the sentence that says what to do. */
export function alertBody({ title, detail }) {
  return [icon("alert"), h("div", {}, h("strong", {}, title), detail && h("p", {}, detail))];
}

/** The file name of a stored source path ("/x/y/Contract.pdf" -> "Contract.pdf"). */
export function fileName(source) {
  const s = String(source || "");
  return s.split(/[\\/]/).filter(Boolean).pop() || s;
}

export function pageLabel(start, end = start) {
  if (start == null) return "";
  return end != null && end !== start ? `pp. ${start}–${end}` : `p. ${start}`;
}

export function plural(n, one, many = `${one}s`) {
  return `${n.toLocaleString()} ${n === 1 ? one : many}`;
}

/** A heading path as a breadcrumb element: "Connections › Internet › Wired". */
export function breadcrumb(path) {
  if (!path || !path.length) return null;
  const parts = [];
  path.forEach((p, i) => {
    if (i) parts.push(h("span", { class: "sep", "aria-hidden": "true" }, "›"));
    parts.push(h("span", {}, p));
  });
  return h("span", { class: "crumbs", title: path.join(" › ") }, parts);
}

/**
 * `text` with the given [from, to) ranges wrapped in <mark>; ranges are clipped to the text and
 * merged, so overlapping quotes highlight once.
 */
export function highlighted(text, ranges, markAttrs = {}) {
  const spans = ranges
    .map(([a, b]) => [Math.max(0, a), Math.min(text.length, b)])
    .filter(([a, b]) => b > a)
    .sort((x, y) => x[0] - y[0]);
  const merged = [];
  for (const r of spans) {
    const last = merged[merged.length - 1];
    if (last && r[0] <= last[1]) last[1] = Math.max(last[1], r[1]);
    else merged.push([...r]);
  }
  const out = [];
  let at = 0;
  for (const [a, b] of merged) {
    if (a > at) out.push(text.slice(at, a));
    out.push(h("mark", markAttrs, text.slice(a, b)));
    at = b;
  }
  if (at < text.length) out.push(text.slice(at));
  return out;
}
