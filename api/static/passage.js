// The passage dialog: the full passage a citation came from, with the quote highlighted and
// scrolled into view. A native <dialog> gives focus trapping and Escape-to-close for free.

import { breadcrumb, fileName, h, highlighted, icon, pageLabel } from "./dom.js";

export class PassageDialog {
  constructor(dialog) {
    this.dialog = dialog;
    // A click on the backdrop (outside the panel) closes, like most product dialogs.
    dialog.addEventListener("click", (e) => {
      if (e.target === dialog) dialog.close();
    });
  }

  open(source, ranges) {
    const passage = source.passage ?? source.text ?? "";
    const page = pageLabel(source.page ?? source.page_start, source.page_end);
    const start = source.passage_start ?? source.start;
    const title = h("h2", { id: "passage-title" }, icon("file"), fileName(source.source));
    this.dialog.replaceChildren(
      h(
        "div",
        { class: "dialog-panel" },
        h(
          "header",
          { class: "dialog-head" },
          h(
            "div",
            {},
            title,
            h("p", { class: "muted dialog-sub" }, page && h("span", { class: "page" }, page), breadcrumb(source.heading_path)),
          ),
          h("button", { class: "icon-btn", type: "button", "aria-label": "Close", onclick: () => this.dialog.close() }, icon("x")),
        ),
        h("div", { class: "passage", tabindex: "0", "data-testid": "passage" }, highlighted(passage, ranges)),
        h(
          "footer",
          { class: "dialog-foot" },
          h(
            "span",
            { class: "muted" },
            ranges.length ? "Highlighted: the words the answer cites." : "The closest passage to your question.",
            start != null && ` Characters ${start.toLocaleString()}–${(start + passage.length).toLocaleString()} of the document.`,
          ),
          h("button", { class: "btn", type: "button", onclick: () => this.dialog.close() }, "Close"),
        ),
      ),
    );
    this.dialog.setAttribute("aria-labelledby", "passage-title");
    this.dialog.showModal();
    this.dialog.querySelector("mark")?.scrollIntoView({ block: "center" });
  }
}
