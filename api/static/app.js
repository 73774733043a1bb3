// The page's entry point: signing in with an API key, choosing a collection, asking questions
// (streamed), and wiring the answer view, the passage dialog and the documents panel together.

import { AnswerView } from "./answer.js";
import { Api, ApiError, explain } from "./api.js";
import { DocumentsPanel } from "./documents.js";
import { $, alertBody, fill, h, icon } from "./dom.js";
import { PassageDialog } from "./passage.js";

const STORE = { key: "sabio.key", collection: "sabio.collection", mode: "sabio.mode" };
const EDITORS = new Set(["editor", "admin"]);
// An `error` event arrives after the 200 status line, so its status comes from its type.
const STATUS_OF = { QueueFull: 429, Timeout: 504, Unavailable: 503, Forbidden: 403, NotFound: 404, InvalidRequest: 422 };

const state = { api: null, me: null, collections: [], collection: null, controller: null, last: null };

const dialog = new PassageDialog($("#passage-dialog"));
const view = new AnswerView($("#answer"), {
  onOpen: (source, ranges) => dialog.open(source, ranges),
  onRetry: () => state.last && ask(state.last.question, state.last.mode),
});
const documents = new DocumentsPanel($("#documents"), {
  api: () => state.api,
  toast,
  onChanged: refreshCollections,
});

// -- signing in and out ------------------------------------------------------------------------

async function signIn(key, { remembered = false } = {}) {
  const api = new Api(key);
  const button = $("#signin-form button[type=submit]");
  button.disabled = true;
  button.classList.add("busy");
  try {
    const [me, { collections }] = await Promise.all([api.me(), api.collections()]);
    Object.assign(state, { api, me, collections });
    localStorage.setItem(STORE.key, key);
    showWorkspace();
  } catch (err) {
    // A remembered key that stopped working: forget it and ask for a new one.
    if (err instanceof ApiError && err.status === 401) localStorage.removeItem(STORE.key);
    showSignIn(remembered && err.status === 401 ? { title: "Please sign in again", detail: "The saved key is no longer accepted." } : explain(err));
  } finally {
    button.disabled = false;
    button.classList.remove("busy");
  }
}

function signOut(message = null) {
  state.controller?.abort();
  localStorage.removeItem(STORE.key);
  Object.assign(state, { api: null, me: null, collections: [], collection: null, last: null });
  $("#api-key").value = "";
  showSignIn(message);
}

function showSignIn(message = null) {
  $("#workspace").hidden = true;
  $("#session").hidden = true;
  $("#signin").hidden = false;
  const box = $("#signin-error");
  box.hidden = !message;
  if (message) fill(box, alertBody(message));
  $("#api-key").focus();
}

function showWorkspace() {
  const { me } = state;
  $("#signin").hidden = true;
  $("#session").hidden = false;
  $("#workspace").hidden = false;
  $("#user-name").textContent = me.name;
  $("#user-role").textContent = me.role;
  $("#avatar").textContent = (me.name || "?").trim().charAt(0).toUpperCase();
  fillCollections();
  const saved = localStorage.getItem(STORE.collection);
  const names = state.collections.map((c) => c.name);
  selectCollection(names.includes(saved) ? saved : names[0] ?? null);
}

// -- collections --------------------------------------------------------------------------------

function fillCollections() {
  const select = $("#collection");
  select.replaceChildren(...state.collections.map((c) => h("option", { value: c.name }, c.name)));
  select.disabled = state.collections.length === 0;
}

function selectCollection(name) {
  state.collection = name;
  state.controller?.abort();
  $("#collection").value = name ?? "";
  const info = state.collections.find((c) => c.name === name);
  $("#question").disabled = $("#ask-button").disabled = !info;
  if (!info) {
    view.root.replaceChildren(
      h(
        "div",
        { class: "empty-state" },
        icon("folder", "icon lg"),
        h("h2", {}, "No collections yet"),
        h("p", { class: "muted" }, "This key cannot see any collection. Ask an admin for access, or index documents with ", h("code", {}, "ingest run"), "."),
      ),
    );
    $("#documents").hidden = true;
    return;
  }
  localStorage.setItem(STORE.collection, name);
  $("#question").placeholder = `Ask a question about ${name}…`;
  $("#documents").hidden = false;
  view.empty(info);
  documents.show(name, EDITORS.has(state.me.role));
}

/** After an upload or delete: new counts for the picker and the empty state. */
async function refreshCollections() {
  try {
    const { collections } = await state.api.collections();
    state.collections = collections;
    const info = collections.find((c) => c.name === state.collection);
    if (info && view.root.querySelector(".empty-state")) view.empty(info);
  } catch {
    /* the counts are a nicety; the documents list already shows the truth */
  }
}

// -- asking ---------------------------------------------------------------------------------------

async function ask(question, mode) {
  state.controller?.abort();
  const controller = new AbortController();
  state.controller = controller;
  state.last = { question, mode };
  setAsking(true);
  view.start(question, mode);
  let answered = false;
  try {
    await state.api.query(
      state.collection,
      question,
      mode,
      (event, data) => {
        if (event === "sources") view.sources(data.sources || []);
        else if (event === "token") view.token(data.text ?? "");
        else if (event === "answer") {
          answered = true;
          view.final(data);
        } else if (event === "error") {
          const e = data.error || {};
          throw new ApiError(STATUS_OF[e.type] ?? 500, e.type || "error", e.message || "The answer could not be finished.");
        }
      },
      controller.signal,
    );
    if (!answered) throw new ApiError(502, "stream", "The answer stream ended before the answer arrived.");
  } catch (err) {
    if (err.name === "AbortError") return;
    if (err instanceof ApiError && err.status === 401) {
      signOut({ title: "Please sign in again", detail: "Your key is no longer accepted." });
      return;
    }
    view.error(err);
  } finally {
    if (state.controller === controller) {
      state.controller = null;
      setAsking(false);
    }
  }
}

function setAsking(on) {
  const button = $("#ask-button");
  button.classList.toggle("stop", on);
  button.replaceChildren(on ? icon("stop") : icon("send"), on ? "Stop" : "Ask");
  button.type = on ? "button" : "submit";
  button.setAttribute("aria-label", on ? "Stop answering" : "Ask");
}

function currentMode() {
  return document.querySelector("input[name=mode]:checked")?.value ?? "generate";
}

// -- small things -----------------------------------------------------------------------------

function toast(text, kind = "ok") {
  const names = { ok: "check", warn: "alert", error: "alert" };
  const el = h("div", { class: `toast toast-${kind}`, role: kind === "error" ? "alert" : "status" }, icon(names[kind] || "check"), h("span", {}, text));
  $("#toasts").append(el);
  setTimeout(() => el.classList.add("leaving"), 4500);
  setTimeout(() => el.remove(), 5000);
}

function autosize(area) {
  area.style.height = "auto";
  area.style.height = `${Math.min(area.scrollHeight, 220)}px`;
}

// -- wiring -------------------------------------------------------------------------------------

$("#signin-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const key = $("#api-key").value.trim();
  if (!key) {
    showSignIn({ title: "Enter your API key", detail: "An admin can create one with rag keys create." });
    return;
  }
  signIn(key);
});

$("#toggle-key").addEventListener("click", () => {
  const input = $("#api-key");
  const show = input.type === "password";
  input.type = show ? "text" : "password";
  $("#toggle-key").textContent = show ? "Hide" : "Show";
  $("#toggle-key").setAttribute("aria-pressed", String(show));
});

$("#sign-out").addEventListener("click", () => signOut());
$("#collection").addEventListener("change", (e) => selectCollection(e.target.value));

$("#ask-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const question = $("#question").value.trim();
  if (!question) {
    $("#question").focus();
    $("#ask-form").classList.add("nudge");
    setTimeout(() => $("#ask-form").classList.remove("nudge"), 400);
    return;
  }
  ask(question, currentMode());
});

$("#ask-button").addEventListener("click", (e) => {
  // While an answer streams, the button stops it instead of asking again.
  if (state.controller) {
    e.preventDefault();
    state.controller.abort();
    state.controller = null;
    setAsking(false);
    view.stopped();
  }
});

$("#question").addEventListener("keydown", (e) => {
  // Enter asks; Shift+Enter is a new line; IME composition keeps its own Enter.
  if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
    e.preventDefault();
    $("#ask-form").requestSubmit();
  }
});
$("#question").addEventListener("input", (e) => autosize(e.target));
window.addEventListener("resize", () => autosize($("#question")));

for (const radio of document.querySelectorAll("input[name=mode]")) {
  radio.addEventListener("change", () => localStorage.setItem(STORE.mode, currentMode()));
}
const savedMode = localStorage.getItem(STORE.mode);
if (savedMode) {
  const radio = document.querySelector(`input[name=mode][value=${savedMode}]`);
  if (radio) radio.checked = true;
}

// "/" jumps to the question box, as in most search products.
document.addEventListener("keydown", (e) => {
  const typing = e.target.closest("input, textarea, select, [contenteditable]");
  if (e.key === "/" && !typing && !$("#workspace").hidden && !$("#passage-dialog").open) {
    e.preventDefault();
    $("#question").focus();
  }
});

const remembered = localStorage.getItem(STORE.key);
if (remembered) signIn(remembered, { remembered: true });
else showSignIn();
