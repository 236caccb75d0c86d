// The support console: the API in a browser, with the key the person typed. A
// project's key works the customer endpoints; a team key, the team's queue.
// Everything people typed is rendered with textContent, never as HTML.
"use strict";

const KEY = "zumik_api_key"; // sessionStorage: gone when the tab closes
const SURFACE = "zumik_surface";
const SURFACES = {
  customer: { list: "/v2/support/tickets", tickets: "/v2/support/tickets", title: "Tickets", you: "customer" },
  team: { list: "/v2/staff/support/queue", tickets: "/v2/staff/support/tickets", title: "Queue", you: "support" },
};
const surface = () => SURFACES[sessionStorage.getItem(SURFACE)] || SURFACES.customer;
const $ = (id) => document.getElementById(id);
const SECTIONS = ["sign-in", "list", "new", "ticket"];
const page = { status: "", cursor: null }; // cursor: {starting_after} or {ending_before}

class ApiError extends Error {}

async function refusalOf(response) {
  const data = await response.json().catch(() => null);
  const error = data && data.error ? data.error : { message: `HTTP ${response.status}` };
  return new ApiError(error.param ? `${error.message} (${error.param})` : error.message);
}

async function api(method, path, body, idempotencyKey) {
  const headers = { Authorization: `Bearer ${sessionStorage.getItem(KEY)}` };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (idempotencyKey) headers["Idempotency-Key"] = idempotencyKey;
  const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  if (!response.ok) {
    const refusal = await refusalOf(response);
    if (response.status === 401) forgetKey(); // a revoked key; the message still shows why
    throw refusal;
  }
  return response.json();
}

function show(section) {
  for (const id of SECTIONS) $(id).hidden = id !== section;
  $("sign-out").hidden = section === "sign-in";
}

function fail(error) {
  $("error").textContent = error instanceof ApiError ? error.message : "Something went wrong; try again.";
  $("error").hidden = false;
  if (!(error instanceof ApiError)) console.error(error);
}

function when(iso) {
  return iso ? new Date(iso).toLocaleString() : "–";
}

function cell(row, text, className) {
  const td = row.insertCell();
  td.textContent = text;
  if (className) td.className = className;
}

async function showList() {
  const query = new URLSearchParams({ limit: "20" });
  if (page.status) query.set("status", page.status);
  if (page.cursor) for (const [name, id] of Object.entries(page.cursor)) query.set(name, id);
  const list = await api("GET", `${surface().list}?${query}`);
  const body = $("tickets");
  body.replaceChildren();
  for (const ticket of list.data) {
    const row = body.insertRow();
    row.dataset.id = ticket.id;
    cell(row, ticket.subject);
    cell(row, ticket.status);
    cell(row, ticket.priority);
    cell(row, ticket.sla_breached ? "overdue" : ticket.sla.first_response_target, ticket.sla_breached ? "breached" : "");
    cell(row, String(ticket.message_count));
    cell(row, when(ticket.updated_at));
  }
  $("empty").hidden = list.data.length > 0;
  const backwards = page.cursor && "ending_before" in page.cursor;
  const first = list.data[0];
  const last = list.data[list.data.length - 1];
  $("older").disabled = !(backwards ? last : list.has_more && last);
  $("newer").disabled = !(backwards ? list.has_more && first : page.cursor && first);
  $("older").onclick = () => turn({ starting_after: last.id });
  $("newer").onclick = () => turn({ ending_before: first.id });
  show("list");
}

function turn(cursor) {
  page.cursor = cursor;
  showList().catch(fail);
}

function fact(list, name, value, className) {
  const dt = document.createElement("dt");
  const dd = document.createElement("dd");
  dt.textContent = name;
  dd.textContent = value;
  if (className) dd.className = className;
  list.append(dt, dd);
}

function renderTicket(ticket) {
  $("ticket-subject").textContent = ticket.subject;
  const facts = $("ticket-facts");
  facts.replaceChildren();
  fact(facts, "Ticket", ticket.id);
  fact(facts, "Status", ticket.status);
  fact(facts, "Priority", ticket.priority);
  fact(facts, "Plan", `${ticket.plan_tier} · ${ticket.sla.first_response_target}`);
  fact(facts, "First response due", when(ticket.sla.first_response_due_at));
  fact(facts, "First response", ticket.first_response_at ? when(ticket.first_response_at) : ticket.sla_breached ? "overdue" : "waiting", ticket.sla_breached ? "breached" : "");
  if (ticket.contact_email) fact(facts, "Contact", ticket.contact_email);
  const messages = $("messages");
  messages.replaceChildren();
  for (const message of ticket.messages) {
    const item = document.createElement("li");
    item.className = message.author;
    const meta = document.createElement("div");
    meta.className = "meta";
    const who = message.author === surface().you ? "You" : message.author === "support" ? "Zumik support" : "Customer";
    meta.textContent = `${who} · ${when(message.created_at)}`;
    item.append(meta, document.createTextNode(message.body));
    messages.append(item);
  }
  const closed = ticket.status === "closed";
  $("reply-form").hidden = closed;
  const team = surface() === SURFACES.team;
  for (const button of $("status-actions").querySelectorAll("button")) {
    button.hidden = closed || button.dataset.status === ticket.status || ("team" in button.dataset && !team);
  }
  $("ticket").dataset.id = ticket.id;
  show("ticket");
}

async function showTicket(id) {
  renderTicket(await api("GET", `${surface().tickets}/${encodeURIComponent(id)}`));
}

// One key per filled-in form: a double click or a retry after a lost answer
// opens one ticket, not two. A new key once the server has taken the form; a
// refused form records nothing, so it keeps its key for the corrected try.
const pending = new WeakMap();
function keyFor(form) {
  if (!pending.has(form)) pending.set(form, crypto.randomUUID());
  return pending.get(form);
}

async function submitNew(form) {
  const fields = Object.fromEntries(new FormData(form));
  if (!fields.contact_email) delete fields.contact_email;
  const ticket = await api("POST", SURFACES.customer.tickets, fields, keyFor(form));
  pending.delete(form);
  form.reset();
  location.hash = `#/tickets/${ticket.id}`;
}

async function submitReply(form) {
  const id = $("ticket").dataset.id;
  const path = `${surface().tickets}/${id}/messages`;
  const ticket = await api("POST", path, { body: form.elements.body.value }, keyFor(form));
  pending.delete(form);
  form.reset();
  renderTicket(ticket);
}

async function setStatus(status) {
  const id = $("ticket").dataset.id;
  renderTicket(await api("PATCH", `${surface().tickets}/${id}`, { status }));
}

function route() {
  $("error").hidden = true;
  if (!sessionStorage.getItem(KEY)) return show("sign-in");
  dress();
  const [, where, id] = location.hash.split("/");
  if (where === "new") return show("new");
  if (where === "tickets" && id) return showTicket(id).catch(fail);
  return showList().catch(fail);
}

function forgetKey() {
  sessionStorage.removeItem(KEY);
  sessionStorage.removeItem(SURFACE);
  show("sign-in");
}

function signOut() {
  forgetKey();
  location.hash = "";
}

// Which surface the key opens: a project's tickets, else the team's queue. When
// neither takes it, the customer API's refusal is the one shown.
async function signIn(key) {
  let refusal = null;
  for (const name of ["customer", "team"]) {
    const response = await fetch(`${SURFACES[name].list}?limit=1`, { headers: { Authorization: `Bearer ${key}` } });
    if (response.ok) {
      sessionStorage.setItem(KEY, key);
      sessionStorage.setItem(SURFACE, name);
      Object.assign(page, { status: "", cursor: null }); // nothing carried over from another key
      $("status-filter").value = "";
      return;
    }
    refusal = refusal || (await refusalOf(response));
  }
  throw refusal;
}

function dress() {
  const team = surface() === SURFACES.team;
  $("list-title").textContent = surface().title;
  $("status-filter-label").hidden = team;
  $("new-link").hidden = team;
  $("back-link").textContent = team ? "Queue" : "All tickets";
}

function onSubmit(form, action) {
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    $("error").hidden = true;
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    action(form).catch(fail).finally(() => { button.disabled = false; });
  });
}

document.addEventListener("DOMContentLoaded", () => {
  onSubmit($("sign-in-form"), async () => {
    await signIn($("api-key").value.trim());
    $("api-key").value = "";
    if (location.hash === "#/tickets") route();
    else location.hash = "#/tickets"; // hashchange routes
  });
  onSubmit($("new-form"), submitNew);
  onSubmit($("reply-form"), submitReply);
  $("sign-out").addEventListener("click", signOut);
  $("status-filter").addEventListener("change", (event) => {
    page.status = event.target.value;
    turn(null);
  });
  $("tickets").addEventListener("click", (event) => {
    const row = event.target.closest("tr");
    if (row) location.hash = `#/tickets/${row.dataset.id}`;
  });
  $("status-actions").addEventListener("click", (event) => {
    const status = event.target.dataset && event.target.dataset.status;
    if (status) setStatus(status).catch(fail);
  });
  window.addEventListener("hashchange", route);
  route();
});
