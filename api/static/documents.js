// The Documents panel: what the collection holds, and (for editors) uploading files and
// following the ingestion job until every file has a result.

import { explain } from "./api.js";
import { alertBody, fill, h, icon, plural } from "./dom.js";

const ACCEPT = ".pdf,.docx,.html,.htm,.md,.markdown,.txt";
const POLL_MS = [400, 700, 1000, 1500, 2000]; // quick at first, then gentler
const DONE = new Set(["done", "failed"]);

export class DocumentsPanel {
  /** api() returns the current client; toast(text, kind) shows a short note; onChanged() after a job. */
  constructor(root, { api, toast, onChanged }) {
    this.root = root;
    this.api = api;
    this.toast = toast;
    this.onChanged = onChanged;
    this.list = h("ul", { class: "doc-list", "aria-label": "Documents" });
    this.jobs = h("div", { class: "jobs" });
    this.count = h("span", { class: "count" });
    this.uploadBox = h("div");
    this.generation = 0; // bumps on collection change so stale polls and fetches stop
  }

  show(collection, canEdit) {
    this.collection = collection;
    this.canEdit = canEdit;
    this.generation += 1;
    fill(
      this.root,
      h(
        "div",
        { class: "panel-head" },
        h("h2", { id: "docs-title" }, "Documents"),
        this.count,
        h("button", { class: "icon-btn", type: "button", "aria-label": "Refresh documents", title: "Refresh", onclick: () => this.refresh() }, icon("refresh")),
      ),
      canEdit ? this.uploader() : null,
      this.jobs,
      this.list,
    );
    this.jobs.replaceChildren();
    return this.refresh();
  }

  async refresh() {
    const gen = this.generation;
    this.list.replaceChildren(...[0, 1, 2].map(() => h("li", { class: "doc skeleton-row" }, h("span"), h("span"))));
    try {
      const { documents } = await this.api().documents(this.collection);
      if (gen !== this.generation) return;
      this.render(documents);
    } catch (err) {
      if (gen !== this.generation) return;
      this.count.textContent = "";
      this.list.replaceChildren(h("li", { class: "alert error", role: "alert" }, alertBody(explain(err))));
    }
  }

  render(documents) {
    this.count.textContent = documents.length ? String(documents.length) : "";
    if (!documents.length) {
      this.list.replaceChildren(
        h(
          "li",
          { class: "empty-docs" },
          icon("folder", "icon lg"),
          h("p", {}, "No documents yet."),
          h("p", { class: "muted" }, this.canEdit ? "Add PDF, Word, HTML, Markdown or text files above." : "An editor can add some."),
        ),
      );
      return;
    }
    const sorted = [...documents].sort((a, b) => label(a).localeCompare(label(b)));
    this.list.replaceChildren(...sorted.map((d) => this.item(d)));
  }

  item(doc) {
    const name = fileOf(doc.source);
    const title = doc.title && doc.title !== name ? doc.title : null;
    const facts = [
      doc.pages ? plural(doc.pages, "page") : null,
      plural(doc.chunks ?? 0, "passage"),
      doc.version > 1 ? `v${doc.version}` : null,
      doc.indexed_at ? since(doc.indexed_at) : null,
    ].filter(Boolean);
    return h(
      "li",
      { class: "doc", dataset: { id: doc.id } },
      h("span", { class: `fmt fmt-${(doc.format || "").toLowerCase()}` }, formatLabel(doc)),
      h(
        "div",
        { class: "doc-body" },
        h("p", { class: "doc-name", title: doc.source }, name),
        title && h("p", { class: "doc-title muted" }, title),
        h(
          "p",
          { class: "doc-facts" },
          facts.join(" · "),
          (doc.acl_groups || []).map((g) => h("span", { class: "chip", title: "Only keys in this group can see it" }, icon("lock"), g)),
        ),
      ),
      this.canEdit && this.deleteButton(doc, name),
    );
  }

  /** Two clicks to delete: the first arms the button for a few seconds, so a slip costs nothing. */
  deleteButton(doc, name) {
    const button = h("button", { class: "icon-btn danger", type: "button", "aria-label": `Delete ${name}`, title: "Delete" }, icon("trash"));
    let armed = null;
    button.addEventListener("click", async () => {
      if (!armed) {
        button.classList.add("armed");
        button.replaceChildren(icon("trash"), "Delete?");
        armed = setTimeout(() => {
          armed = null;
          button.classList.remove("armed");
          button.replaceChildren(icon("trash"));
        }, 4000);
        return;
      }
      clearTimeout(armed);
      button.disabled = true;
      try {
        await this.api().deleteDocument(this.collection, doc.id);
        this.toast(`${name} was removed.`, "ok");
        await this.refresh();
        this.onChanged();
      } catch (err) {
        const { title, detail } = explain(err);
        this.toast(`${title}. ${detail}`, "error");
        button.disabled = false;
      }
    });
    return button;
  }

  uploader() {
    const input = h("input", { type: "file", id: "upload-files", multiple: true, accept: ACCEPT, class: "visually-hidden" });
    const chosen = h("ul", { class: "chosen", "aria-live": "polite" });
    const groups = h("input", { id: "upload-acl", type: "text", placeholder: "Everyone with access — or e.g. legal, support", autocomplete: "off" });
    const meta = h("textarea", { id: "upload-meta", rows: "2", placeholder: '{"department": "legal"}', spellcheck: "false" });
    const error = h("div", { class: "alert error", role: "alert", hidden: true });
    const submit = h("button", { class: "btn primary", type: "submit", disabled: true }, icon("upload"), "Upload and index");
    let files = [];
    const choose = (list) => {
      files = [...list];
      chosen.replaceChildren(...files.map((f) => h("li", {}, icon("file"), h("span", { class: "name" }, f.name), h("span", { class: "muted" }, size(f.size)))));
      submit.disabled = !files.length;
      options.hidden = !files.length;
      error.hidden = true;
    };
    input.addEventListener("change", () => choose(input.files));
    const drop = h(
      "label",
      { class: "dropzone", for: "upload-files" },
      icon("upload", "icon lg"),
      h("span", {}, h("strong", {}, "Add documents"), " — drop files here or browse"),
      h("span", { class: "muted small" }, "PDF, DOCX, HTML, Markdown, text"),
    );
    // Dragging files over the zone highlights it; dropping hands them to the same chooser.
    for (const type of ["dragenter", "dragover"]) drop.addEventListener(type, (e) => (e.preventDefault(), drop.classList.add("over")));
    for (const type of ["dragleave", "drop"]) drop.addEventListener(type, () => drop.classList.remove("over"));
    drop.addEventListener("drop", (e) => (e.preventDefault(), choose(e.dataTransfer.files)));
    // The options appear once files are chosen, so the panel stays quiet until then.
    const options = h(
      "div",
      { class: "upload-options", hidden: true },
      chosen,
      h(
        "div",
        { class: "field" },
        h("label", { for: "upload-acl" }, "Limit to groups ", h("span", { class: "muted" }, "· optional")),
        groups,
      ),
      h(
        "details",
        { class: "more" },
        h("summary", {}, "Metadata"),
        h("div", { class: "field" }, h("label", { for: "upload-meta" }, "A JSON object stored with each file"), meta),
      ),
      error,
      submit,
    );
    const form = h("form", { class: "uploader", "aria-label": "Upload documents" }, input, drop, options);
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const metadata = meta.value.trim();
      if (metadata && !isObject(metadata)) {
        fill(error, alertBody({ title: "Metadata must be a JSON object", detail: 'For example {"department": "legal"}.' }));
        error.hidden = false;
        return;
      }
      submit.disabled = true;
      try {
        const job = await this.api().upload(this.collection, files, groups.value.trim(), metadata);
        form.reset();
        choose([]);
        this.follow(job.job_id, job.files);
      } catch (err) {
        fill(error, alertBody(explain(err)));
        error.hidden = false;
        submit.disabled = false;
      }
    });
    return form;
  }

  /** Polls the job until it is done or failed, redrawing its card each time. */
  async follow(jobId, files) {
    const gen = this.generation;
    const card = h("section", { class: "job", "aria-live": "polite", dataset: { job: jobId } });
    this.jobs.prepend(card);
    let job = { id: jobId, status: "queued", files_total: (files || []).length, files_done: 0, results: [] };
    for (let i = 0; ; i++) {
      drawJob(card, job, () => card.remove());
      if (DONE.has(job.status)) break;
      await new Promise((r) => setTimeout(r, POLL_MS[Math.min(i, POLL_MS.length - 1)]));
      if (gen !== this.generation) return;
      try {
        job = await this.api().job(jobId);
      } catch (err) {
        card.replaceChildren(h("div", { class: "alert error", role: "alert" }, alertBody(explain(err))));
        return;
      }
    }
    const failed = (job.results || []).filter((r) => r.status === "failed").length;
    if (job.status === "failed") this.toast("The upload could not be indexed.", "error");
    else if (failed) this.toast(`Indexed with ${plural(failed, "problem")}.`, "warn");
    else this.toast("Your documents are ready to ask about.", "ok");
    await this.refresh();
    this.onChanged();
  }
}

function drawJob(card, job, dismiss) {
  const total = job.files_total || 0;
  const done = job.files_done || 0;
  const pct = total ? Math.round((100 * done) / total) : 0;
  const finished = DONE.has(job.status);
  const title = finished
    ? job.status === "failed"
      ? "Indexing failed"
      : `Indexed ${plural(total, "file")}`
    : `Indexing ${plural(total, "file")}…`;
  card.className = `job job-${job.status}`;
  card.dataset.status = job.status;
  fill(
    card,
    h(
      "header",
      { class: "job-head" },
      finished ? icon(job.status === "failed" ? "alert" : "check") : h("span", { class: "spinner" }),
      h("strong", {}, title),
      h("span", { class: `pill pill-${job.status}` }, job.status),
      finished && h("button", { class: "icon-btn", type: "button", "aria-label": "Dismiss", onclick: dismiss }, icon("x")),
    ),
    h(
      "div",
      { class: "progress", role: "progressbar", "aria-valuemin": "0", "aria-valuemax": String(total), "aria-valuenow": String(done), "aria-label": "Files indexed" },
      h("span", { style: `width:${finished ? 100 : Math.max(pct, 4)}%` }),
    ),
    h("p", { class: "muted small" }, `${done} of ${total} files`),
    job.error && h("p", { class: "alert error" }, job.error),
    (job.results || []).length > 0 &&
      h(
        "ul",
        { class: "results" },
        job.results.map((r) =>
          h(
            "li",
            { class: `result result-${r.status}` },
            icon(r.status === "failed" ? "alert" : "check"),
            h(
              "div",
              {},
              h("span", { class: "name" }, fileOf(r.source)),
              h("span", { class: "muted" }, " ", resultLine(r)),
              r.error && h("p", { class: "result-error" }, r.error),
              (r.diagnostics || []).map((d) => h("p", { class: "muted small" }, d)),
            ),
          ),
        ),
      ),
  );
}

function resultLine(r) {
  if (r.status === "failed") return "— not indexed";
  const parts = [r.status];
  if (r.pages) parts.push(plural(r.pages, "page"));
  if (r.chunks != null) parts.push(plural(r.chunks, "passage"));
  if (r.seconds != null) parts.push(`${Number(r.seconds).toFixed(1)} s`);
  return `— ${parts.join(" · ")}`;
}

const fileOf = (source) => String(source || "").split(/[\\/]/).filter(Boolean).pop() || String(source || "");
const label = (d) => fileOf(d.source).toLowerCase();

function formatLabel(doc) {
  const f = (doc.format || fileOf(doc.source).split(".").pop() || "").toUpperCase();
  return { MARKDOWN: "MD", TEXT: "TXT", PLAIN: "TXT" }[f] || f.slice(0, 4);
}

function size(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(0)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

function isObject(text) {
  try {
    const v = JSON.parse(text);
    return v !== null && typeof v === "object" && !Array.isArray(v);
  } catch {
    return false;
  }
}

/** "just now", "5 min ago", "3 days ago"; the exact time stays in the title. */
function since(iso) {
  const t = typeof iso === "number" ? iso * 1000 : Date.parse(iso);
  if (!Number.isFinite(t)) return null;
  const s = (Date.now() - t) / 1000;
  if (s < 60) return "just now";
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  if (s < 7 * 86400) return `${Math.floor(s / 86400)} d ago`;
  return new Date(t).toLocaleDateString(undefined, { day: "numeric", month: "short", year: "numeric" });
}
