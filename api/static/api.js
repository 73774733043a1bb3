// The HTTP client: one place that knows the API's paths, its auth header, its JSON error shape
// ({"error": {"type", "message"}}) and how to read a server-sent-event stream from a POST.

/** An API failure carrying what the page needs to explain it: status, type, server message. */
export class ApiError extends Error {
  constructor(status, type, message, retryAfter = null) {
    super(message);
    this.status = status; // 0: the server could not be reached
    this.type = type;
    this.retryAfter = retryAfter; // seconds, from a 429's Retry-After
  }
}

export class Api {
  constructor(key) {
    this.key = key;
  }

  async request(method, path, { json, form, signal } = {}) {
    const headers = { Authorization: `Bearer ${this.key}` };
    let body;
    if (json !== undefined) {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(json);
    } else if (form !== undefined) {
      body = form; // the browser writes the multipart boundary itself
    }
    let res;
    try {
      res = await fetch(path, { method, headers, body, signal });
    } catch (err) {
      if (err.name === "AbortError") throw err;
      throw new ApiError(0, "network", "The server could not be reached.");
    }
    if (!res.ok) throw await errorFrom(res);
    if (res.status === 204) return null;
    const type = res.headers.get("Content-Type") || "";
    return type.includes("application/json") ? res.json() : res;
  }

  me() {
    return this.request("GET", "/v1/me");
  }
  collections() {
    return this.request("GET", "/v1/collections");
  }
  search(c, query, k = 5) {
    return this.request("POST", `/v1/collections/${enc(c)}/search`, { json: { query, k } });
  }
  documents(c) {
    return this.request("GET", `/v1/collections/${enc(c)}/documents`);
  }
  deleteDocument(c, id) {
    return this.request("DELETE", `/v1/collections/${enc(c)}/documents/${enc(id)}`);
  }
  job(id) {
    return this.request("GET", `/v1/jobs/${enc(id)}`);
  }

  /** Starts an ingestion job; resolves to {job_id, files}. */
  upload(c, files, aclGroups, metadata) {
    const form = new FormData();
    for (const f of files) form.append("files", f, f.name);
    if (aclGroups) form.append("acl_groups", aclGroups);
    if (metadata) form.append("metadata", metadata);
    return this.request("POST", `/v1/collections/${enc(c)}/documents`, { form });
  }

  /**
   * Asks a question and calls onEvent(name, data) for each server-sent event as it arrives.
   * EventSource cannot POST, so the stream is read from fetch's body and parsed here.
   */
  async query(c, question, mode, onEvent, signal) {
    const res = await this.request("POST", `/v1/collections/${enc(c)}/query`, {
      json: { question, mode, stream: true },
      signal,
    });
    if (!(res instanceof Response)) {
      // A server that answered with plain JSON instead of a stream: treat it as the final event.
      onEvent("answer", res);
      return;
    }
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value.replace(/\r\n?/g, "\n");
      // Events end with a blank line; the last piece may be incomplete, so keep it for later.
      const blocks = buffer.split("\n\n");
      buffer = blocks.pop();
      for (const block of blocks) dispatch(block, onEvent);
    }
    if (buffer.trim()) dispatch(buffer, onEvent);
  }
}

function dispatch(block, onEvent) {
  let name = "message";
  const data = [];
  for (const line of block.split("\n")) {
    if (line.startsWith(":")) continue; // a comment, e.g. a keep-alive
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "event") name = value;
    else if (field === "data") data.push(value);
  }
  if (!data.length) return;
  let parsed;
  try {
    parsed = JSON.parse(data.join("\n"));
  } catch {
    parsed = data.join("\n");
  }
  onEvent(name, parsed);
}

async function errorFrom(res) {
  let type = "http_error";
  let message = res.statusText || `HTTP ${res.status}`;
  try {
    const body = await res.json();
    const err = body && body.error;
    if (err) {
      type = err.type || type;
      message = err.message || message;
    } else if (body && body.detail) {
      // FastAPI's own validation shape, in case a route bypasses the error handler.
      message = Array.isArray(body.detail)
        ? body.detail.map((d) => d.msg).join("; ")
        : String(body.detail);
    }
  } catch {
    /* not JSON: keep the status text */
  }
  const retry = Number.parseInt(res.headers.get("Retry-After") || "", 10);
  return new ApiError(res.status, type, message, Number.isFinite(retry) ? retry : null);
}

const enc = encodeURIComponent;

/** A title and a sentence a person can act on, for any failure. */
export function explain(err) {
  if (!(err instanceof ApiError)) {
    return { title: "Something unexpected happened", detail: String(err?.message || err) };
  }
  const detail = err.message;
  switch (err.status) {
    case 0:
      return { title: "Can't reach sabio", detail: "Check your connection and that the server is running." };
    case 401:
      return { title: "That key was not accepted", detail: "Check the API key and sign in again." };
    case 403:
      return { title: "Not allowed with this key", detail: `${detail} Ask an admin for access if you need it.` };
    case 404:
      return { title: "Not found", detail };
    case 413:
      return { title: "That file is too large", detail };
    case 415:
      return {
        title: "That file type is not supported",
        detail: detail || "Upload PDF, Word (DOCX), HTML, Markdown or plain-text files.",
      };
    case 400:
    case 422:
      return { title: "Please check your input", detail };
    case 429: {
      const wait = err.retryAfter == null ? "a moment" : `${err.retryAfter} s`;
      return { title: "sabio is busy", detail: `Many questions are being answered right now. Try again in ${wait}.` };
    }
    case 503:
      return { title: "sabio is not ready yet", detail: `${detail} Try again in a moment.` };
    case 504:
      return { title: "That took too long", detail: `${detail} Try again, or ask a narrower question.` };
    default:
      if (err.status >= 500) {
        return { title: "The server ran into a problem", detail: `${detail} Try again in a moment.` };
      }
      return { title: `Request failed (${err.status})`, detail };
  }
}
