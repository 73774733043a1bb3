// The answer area: empty state, the streamed draft, the verified answer with clickable [n]
// markers, citation cards with the quoted span highlighted, abstentions, and errors.

import { explain } from "./api.js";
import { breadcrumb, fileName, h, highlighted, icon, pageLabel, plural } from "./dom.js";

const MARKER = /\[(\d+(?:\s*[,;]\s*\d+)*)\]/g;
const REASONS = {
  "no relevant passage": "No passage in this collection was close enough to the question.",
  "the model abstained": "The model did not find the answer in the closest passages.",
  "no sentence was supported": "The drafted sentences were not supported by the passages, so none were kept.",
};

export class AnswerView {
  /** onOpen(source, ranges) opens a passage; onRetry() asks the last question again. */
  constructor(root, { onOpen, onRetry, onExample }) {
    this.root = root;
    this.onOpen = onOpen;
    this.onRetry = onRetry;
    this.onExample = onExample;
  }

  empty(collection) {
    this.root.removeAttribute("aria-busy");
    const stats = collection
      ? `${plural(collection.documents, "document")} · ${plural(collection.chunks, "passage")} indexed`
      : "";
    this.root.replaceChildren(
      h(
        "div",
        { class: "empty-state" },
        h("div", { class: "empty-mark" }, icon("quote", "icon lg")),
        h("h2", {}, collection ? `Ask about ${collection.name}` : "Pick a collection to begin"),
        stats && h("p", { class: "muted" }, stats),
        h(
          "ul",
          { class: "how" },
          h("li", {}, icon("check"), h("span", {}, "Every sentence cites the file, page and section it came from.")),
          h("li", {}, icon("search"), h("span", {}, "Click a marker like ", h("span", { class: "cite static" }, "1"), " to see the quoted passage.")),
          h("li", {}, icon("alert"), h("span", {}, "If the documents don't hold the answer, sabio says so.")),
        ),
      ),
    );
  }

  start(question, mode) {
    this.draft = "";
    this.status = h("p", { class: "status", role: "status" }, h("span", { class: "spinner" }), "Searching the documents…");
    this.draftEl = h("p", { class: "draft", hidden: true });
    this.card = h(
      "article",
      { class: "answer-card loading", "aria-busy": "true" },
      h("header", { class: "answer-head" }, h("p", { class: "asked" }, question), modeBadge(mode)),
      this.status,
      this.draftEl,
      h("div", { class: "skeleton" }, h("span"), h("span"), h("span")),
    );
    this.root.replaceChildren(this.card);
    // Screen readers hold the live region's announcements until the answer is final, rather
    // than reading every streamed token.
    this.root.setAttribute("aria-busy", "true");
  }

  sources(list) {
    const n = list.length;
    this.setStatus(n ? `Reading ${plural(n, "passage")}…` : "No matching passages…");
  }

  token(text) {
    if (!this.draftEl) return;
    if (!this.draft) {
      this.setStatus("Writing a draft; every sentence is then checked against the passages…");
      this.card.querySelector(".skeleton")?.remove();
      this.draftEl.hidden = false;
    }
    this.draft += text;
    this.draftEl.textContent = this.draft;
  }

  setStatus(text) {
    this.status?.replaceChildren(h("span", { class: "spinner" }), text);
  }

  /** The reader pressed Stop: keep what was drafted, marked as unfinished. */
  stopped() {
    if (!this.draftEl) return;
    this.card.classList.remove("loading");
    this.card.removeAttribute("aria-busy");
    this.card.querySelector(".skeleton")?.remove();
    this.status.replaceChildren(icon("stop"), "Stopped. The draft below was not checked against the sources.");
    this.draftEl.classList.add("stopped");
    if (!this.draft) this.draftEl.remove();
    this.draftEl = null;
    this.root.removeAttribute("aria-busy");
  }

  final(answer) {
    const card = answer.abstained ? abstention(answer, this.onOpen) : verified(answer, this.onOpen);
    this.root.replaceChildren(card);
    this.root.removeAttribute("aria-busy");
    this.draftEl = null;
  }

  error(err) {
    const { title, detail } = explain(err);
    const retry = h("button", { class: "btn", type: "button", onclick: () => this.onRetry() }, icon("refresh"), "Try again");
    // Busy is not a failure: it gets the calmer amber look, and the button waits for Retry-After.
    const busy = err.status === 429;
    this.root.replaceChildren(
      h(
        "div",
        { class: `alert ${busy ? "warn" : "error"} big`, role: "alert", "data-status": err.status },
        icon("alert", "icon alert-icon"),
        h("div", {}, h("h3", {}, title), h("p", {}, detail), h("div", { class: "actions" }, retry)),
      ),
    );
    if (err.retryAfter) countdown(retry, err.retryAfter);
    this.root.removeAttribute("aria-busy");
    this.draftEl = null;
  }
}

/** A reason without its own wording ('no document here is "the Roku manual"') as a sentence. */
function sentence(reason) {
  return reason ? `${reason[0].toUpperCase()}${reason.slice(1)}.` : "";
}

function modeBadge(mode) {
  return h(
    "span",
    { class: `badge mode-${mode}`, title: mode === "extract" ? "Sentences quoted verbatim from the passages" : "Written by the model, then checked sentence by sentence" },
    mode === "extract" ? "Extract" : "Generate",
  );
}

/** Keeps a retry button disabled until Retry-After has passed, showing the seconds left. */
function countdown(button, seconds) {
  const label = button.lastChild;
  button.disabled = true;
  let left = seconds;
  const tick = () => {
    if (!button.isConnected) return;
    if (left <= 0) {
      button.disabled = false;
      label.textContent = "Try again";
      return;
    }
    label.textContent = `Try again in ${left} s`;
    left -= 1;
    setTimeout(tick, 1000);
  };
  tick();
}

function verified(answer, onOpen) {
  const byN = new Map((answer.sources || []).map((s) => [s.n, s]));
  // Quotes grouped by the source they came from, so one card highlights all of them.
  const quotes = new Map();
  for (const sentence of answer.sentences || []) {
    for (const c of sentence.citations || []) {
      if (!quotes.has(c.n)) quotes.set(c.n, []);
      quotes.get(c.n).push(c);
    }
  }
  const cards = [...quotes.keys()].sort((a, b) => a - b).map((n) => citationCard(n, byN.get(n), quotes.get(n), onOpen));
  const seconds = answer.timings?.total_s;
  return h(
    "article",
    { class: "answer-card done" },
    h("header", { class: "answer-head" }, h("p", { class: "asked" }, answer.question), modeBadge(answer.mode)),
    h("div", { class: "answer-text", "data-testid": "answer-text" }, answerBody(answer, byN)),
    h(
      "footer",
      { class: "answer-meta" },
      answer.supported
        ? h("span", { class: "ok" }, icon("check"), "Every sentence is supported by its source")
        : h("span", { class: "warn" }, icon("alert"), "Sentences the sources did not support were removed"),
      seconds != null && h("span", { class: "muted" }, icon("clock"), `${seconds.toFixed(1)} s`),
    ),
    cards.length > 0 && h("h3", { class: "section-title" }, `Sources`, h("span", { class: "count" }, cards.length)),
    h("div", { class: "cards" }, cards),
  );
}

/** The verified sentences, those in the source's own words set as quotes, then their markers. */
function answerBody(answer, byN) {
  const sentences = answer.sentences || [];
  if (sentences.length === 0) return withMarkers(answer.answer, byN);
  return sentences.map((s, i) => [
    i > 0 && " ",
    s.verbatim ? h("q", { class: "verbatim", title: "The source's own words" }, s.text) : s.text,
    withMarkers((s.citations || []).map((c) => `[${c.n}]`).join(""), byN),
  ]);
}

/** The answer text with each [n] (or [1, 2]) turned into buttons that jump to the card. */
function withMarkers(text, byN) {
  const out = [];
  let at = 0;
  for (const m of text.matchAll(MARKER)) {
    out.push(text.slice(at, m.index).replace(/\s+$/, ""));
    for (const part of m[1].split(/\s*[,;]\s*/)) {
      const n = Number(part);
      const src = byN.get(n);
      const label = src ? `Source ${n}: ${fileName(src.source)} ${pageLabel(src.page)}`.trim() : `Source ${n}`;
      out.push(h("button", { class: "cite", type: "button", "aria-label": label, title: label, dataset: { n }, onclick: () => focusCard(n) }, String(n)));
    }
    at = m.index + m[0].length;
  }
  out.push(text.slice(at));
  return out;
}

function focusCard(n) {
  const card = document.querySelector(`.cite-card[data-n="${n}"]`);
  if (!card) return;
  card.scrollIntoView({ behavior: "smooth", block: "nearest" });
  card.focus({ preventScroll: true });
  card.classList.remove("flash");
  void card.offsetWidth; // restart the animation
  card.classList.add("flash");
}

/** Where each citation's quote sits in the source's passage, as [from, to) offsets. */
export function quoteRanges(source, citations) {
  const passage = passageOf(source);
  const base = source.passage != null ? source.passage_start : source.start;
  const ranges = [];
  for (const c of citations) {
    let a = c.start - base;
    let b = c.end - base;
    // The offsets hold when the quote comes from this very chunk; otherwise find the text.
    if (c.chunk_id !== source.chunk_id || passage.slice(a, b) !== c.quote) {
      a = passage.indexOf(c.quote);
      b = a + c.quote.length;
    }
    if (a >= 0) ranges.push([a, b]);
  }
  return ranges;
}

const passageOf = (source) => source.passage ?? source.text ?? "";

function citationCard(n, source, citations, onOpen) {
  if (!source) {
    // A citation whose source is missing from the answer: show the quote on its own.
    const c = citations[0];
    source = { ...c, text: c.quote, passage: c.quote, passage_start: c.start };
  }
  const ranges = quoteRanges(source, citations);
  const open = () => onOpen(source, ranges);
  return sourceCard(n, source, ranges, open, { cls: "cite-card", label: "Open passage" });
}

export function sourceCard(n, source, ranges, open, { cls, label, relevance } = {}) {
  const page = pageLabel(source.page ?? source.page_start, source.page_end);
  return h(
    "article",
    {
      class: `card ${cls}`,
      tabindex: "-1",
      dataset: { n },
      onclick: (e) => {
        if (!e.target.closest("button") && !window.getSelection().toString()) open();
      },
    },
    h(
      "header",
      { class: "card-head" },
      h("span", { class: "cite static" }, String(n)),
      h("span", { class: "file", title: source.source }, icon("file"), fileName(source.source)),
      page && h("span", { class: "page" }, page),
      relevance != null && h("span", { class: "relevance", title: `Relevance ${relevance.toFixed(2)}` }, h("span", { style: `--r:${Math.max(0.05, Math.min(1, relevance))}` })),
    ),
    breadcrumb(source.heading_path),
    h("blockquote", { class: "excerpt" }, excerpt(passageOf(source), ranges)),
    h("button", { class: "link", type: "button", onclick: open }, label, icon("arrow")),
  );
}

/** A window of the passage around the highlighted ranges, cut at word boundaries. */
function excerpt(text, ranges, before = 110, after = 150) {
  if (!ranges.length) {
    return text.length > 360 ? `${text.slice(0, 320).replace(/\s+\S*$/, "")} …` : text;
  }
  const first = Math.min(...ranges.map((r) => r[0]));
  const last = Math.max(...ranges.map((r) => r[1]));
  let from = Math.max(0, first - before);
  let to = Math.min(text.length, last + after);
  if (from > 0) {
    const space = text.indexOf(" ", from);
    if (space >= 0 && space < first) from = space + 1;
  }
  if (to < text.length) {
    const space = text.lastIndexOf(" ", to);
    if (space > last) to = space;
  }
  const shifted = ranges.map(([a, b]) => [a - from, b - from]);
  return [from > 0 ? "… " : "", highlighted(text.slice(from, to), shifted), to < text.length ? " …" : ""];
}

function abstention(answer, onOpen) {
  const sources = answer.sources || [];
  return h(
    "article",
    { class: "answer-card abstained", "data-testid": "abstention" },
    h("header", { class: "answer-head" }, h("p", { class: "asked" }, answer.question), modeBadge(answer.mode)),
    h(
      "div",
      { class: "abstain-body" },
      icon("compass", "icon lg"),
      h(
        "div",
        {},
        h("p", { class: "answer-text" }, answer.answer || "I could not find this in the documents."),
        h("p", { class: "muted" }, REASONS[answer.reason] || sentence(answer.reason) || "The documents do not seem to hold the answer."),
      ),
    ),
    sources.length > 0 && h("h3", { class: "section-title" }, "Closest passages", h("span", { class: "count" }, sources.length)),
    h(
      "div",
      { class: "cards" },
      sources.map((s) => sourceCard(s.n, s, [], () => onOpen(s, []), { cls: "near-card", label: "Read passage", relevance: s.relevance })),
    ),
  );
}
