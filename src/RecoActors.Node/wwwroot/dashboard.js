// The RecoActors dashboard: polls this node's API and draws with plain SVG; nothing is fetched from elsewhere.
"use strict";

const state = { view: "cluster", token: sessionStorage.getItem("reco-token"), needsToken: false, last: null, rates: [], weights: [], segmentsTimer: null };
const historyLength = 150; // 5 minutes of 2-second polls
const $ = id => document.getElementById(id);
const fmt = n => n == null ? "–" : Number(n).toLocaleString("en-US", { maximumFractionDigits: 1 });
const esc = s => String(s).replace(/[&<>"']/g, c => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
const colour = k => `var(--c${k % 8})`;

class Unauthorized extends Error {}

async function api(path) {
  const headers = state.token ? { Authorization: `Bearer ${state.token}` } : {};
  const response = await fetch(path, { headers });
  if (response.status === 401) { showLogin(state.token ? "The token was not accepted." : null); throw new Unauthorized(); }
  const body = await response.json().catch(() => null);
  if (!response.ok) throw new Error(body?.detail ?? `${path}: HTTP ${response.status}`);
  return body;
}

function banner(text, error) {
  const b = $("banner");
  b.hidden = !text;
  b.textContent = text ?? "";
  b.className = error ? "error" : "";
}

function showLogin(message) {
  $("login").hidden = false;
  banner(message ?? "Enter the node's bearer token to see its data.", !!message);
}

// --- cluster -------------------------------------------------------------------------------------------------------

async function pollCluster() {
  let c;
  try { c = await api("/v1/dashboard/cluster"); }
  catch (e) { if (!(e instanceof Unauthorized)) banner(`The node did not answer: ${e.message}`, true); return; }
  $("node").textContent = `node ${c.node}`;
  banner(c.notReady ? `Not ready: ${c.notReady}. Numbers may lag until it is.` : null, false);
  if (state.last) {
    const seconds = Math.max(0.001, (c.time - state.last.time) / 1000);
    state.rates.push({ events: Math.max(0, c.eventsApplied - state.last.eventsApplied) / seconds, requests: Math.max(0, c.requests - state.last.requests) / seconds });
    if (state.rates.length > historyLength) state.rates.shift();
  }
  state.last = c;
  const rate = state.rates.at(-1);
  $("applied").textContent = fmt(c.eventsApplied);
  $("events-rate").textContent = rate ? fmt(rate.events) : "–";
  $("requests-rate").textContent = rate ? fmt(rate.requests) : "–";
  $("latency").textContent = c.latency ? `${c.latency.p50.toFixed(2)} / ${c.latency.p95.toFixed(2)} / ${c.latency.p99.toFixed(2)}` : "–";
  $("model-version").textContent = fmt(c.modelVersion);
  $("residents").textContent = fmt(c.residentUsers);
  $("dead-letters").textContent = fmt(c.deadLetters);
  lines($("rates-chart"), [state.rates.map(r => r.events), state.rates.map(r => r.requests)]);
  rows($("members"), c.members.map(m => [`${esc(m.node ?? "–")}${m.self ? " <b>(this node)</b>" : ""}`,
    `${esc(m.address)}${c.unreachable.includes(m.address) ? " <b>unreachable</b>" : ""}`, esc(m.status), esc(m.roles.join(", ")),
    fmt(m.eventsApplied), m.partitions.length ? `${m.partitions.length}: ${m.partitions.map(p => p.partition).join(" ")}` : "–"]));
  rows($("partitions"), c.members.flatMap(m => m.partitions.map(p => [esc(m.node ?? m.address), p.partition, fmt(p.position), fmt(p.checkpoint), fmt(p.lag)])));
  const codes = Object.entries(c.deadLettersByCode).sort((a, b) => b[1] - a[1]);
  rows($("dead-letter-codes"), codes.length ? codes.map(([code, n]) => [esc(code), fmt(n)]) : [["none", "0"]]);
}

function rows(table, cells) {
  table.tBodies[0].innerHTML = cells.map(r => `<tr>${r.map(c => `<td>${c}</td>`).join("")}</tr>`).join("");
}

// Polylines over a shared y scale, oldest at the left, newest at the right (stretched until the history is full).
function lines(svg, series, colours) {
  const max = Math.max(1, ...series.flat());
  const width = 600, height = 160, step = width / Math.max(1, Math.max(...series.map(v => v.length)) - 1);
  svg.innerHTML = `<text x="4" y="12" font-size="11" fill="#666">${fmt(max)}</text>` + series.map((values, s) => {
    const y = v => (height - 4 - (v / max) * (height - 20)).toFixed(1);
    const stroke = colours ? colours[s] : colour(s);
    if (values.length === 1) return `<circle cx="${width - 3}" cy="${y(values[0])}" r="3" fill="${stroke}"/>`;
    const points = values.map((v, i) => `${(i * step).toFixed(1)},${y(v)}`).join(" ");
    return `<polyline fill="none" stroke-width="2" stroke="${stroke}" points="${points}"/>`;
  }).join("");
}

// --- segments ------------------------------------------------------------------------------------------------------

async function pollSegments() {
  let s;
  try { s = await api("/v1/dashboard/segments"); }
  catch (e) { if (!(e instanceof Unauthorized)) banner(`The segments could not be read: ${e.message}`, true); return; }
  $("segments-version").textContent = fmt(s.modelVersion);
  $("folded").textContent = fmt(s.eventsFolded);
  state.weights.push(s.segments.map(g => g.weight));
  if (state.weights.length > historyLength) state.weights.shift();
  lines($("weights-chart"), s.segments.map((_, k) => state.weights.map(w => w[k] ?? 0)), s.segments.map((_, k) => colour(k)));
  $("weights-legend").innerHTML = s.segments.map(g => `<i class="c${g.segment % 8}"></i> segment ${g.segment}`).join("");
  rows($("segment-table"), s.segments.map(g => [`<i class="swatch c${g.segment % 8}"></i> ${g.segment}`, fmt(g.weight),
    `${(g.share * 100).toFixed(1)} %`, g.drift.toFixed(4), g.topItems.map(t => esc(t.title ?? t.itemId)).join(", ") || "–"]));
  map(s);
}

function map(s) {
  // The cloud's bounding box fills the square (one scale for both axes, so distances stay true).
  const points = [...s.centroids, ...s.users];
  const xs = points.map(p => p.x), ys = points.map(p => p.y);
  const cx = (Math.min(...xs) + Math.max(...xs)) / 2, cy = (Math.min(...ys) + Math.max(...ys)) / 2;
  const scale = Math.max(1e-6, Math.max(...xs) - Math.min(...xs), Math.max(...ys) - Math.min(...ys)) / 1.8;
  const X = p => ((p.x - cx) / scale).toFixed(4), Y = p => (-(p.y - cy) / scale).toFixed(4);
  const users = s.users.map(p => `<circle cx="${X(p)}" cy="${Y(p)}" r="0.018" fill="${colour(p.segment)}" opacity="0.55"><title>user ${esc(p.userId)} (segment ${p.segment})</title></circle>`);
  const centroids = s.centroids.map(p => `<g><rect x="${X(p) - 0.04}" y="${Y(p) - 0.04}" width="0.08" height="0.08" fill="${colour(p.segment)}" stroke="#000" stroke-width="0.01"/>` +
    `<text x="${+X(p) + 0.06}" y="${+Y(p) + 0.03}" font-size="0.09">${p.segment}</text></g>`);
  $("map").innerHTML = users.join("") + centroids.join("");
}

// --- user ----------------------------------------------------------------------------------------------------------

async function showUser(id) {
  const message = $("user-message");
  $("user-body").hidden = true;
  if (!id) { message.textContent = "Type a user id."; return; }
  message.textContent = `Reading user '${id}'…`;
  try {
    const recs = await api(`/v1/users/${encodeURIComponent(id)}/recommendations?n=10`);
    // An unknown user is answered with popular items, not an error: say so rather than show a profile.
    const profile = recs.coldStart ? null : await api(`/v1/users/${encodeURIComponent(id)}/profile`);
    const ids = [...recs.items.map(i => i.itemId), ...(profile?.recentItems ?? [])];
    const titles = ids.length ? (await api(`/v1/items?ids=${ids.map(encodeURIComponent).join(",")}`)).titles : {};
    const name = item => esc(titles[item] ?? item);
    message.textContent = profile ? "" : `User '${id}' has no events yet: a cold start, answered with what is popular now.`;
    $("user-events").textContent = profile ? fmt(profile.eventsApplied) : "0";
    $("user-last").textContent = profile ? new Date(profile.lastEventTime).toISOString().slice(0, 10) : "–";
    $("user-where").textContent = `${recs.partition} / ${recs.node}`;
    $("memberships").innerHTML = (profile?.memberships ?? []).map(m =>
      `<div class="membership"><span>segment ${m.segment}</span><div class="bar"><span style="width:${(m.amount * 100).toFixed(1)}%;background:${colour(m.segment)}"></span></div><span>${(m.amount * 100).toFixed(0)} %</span></div>`).join("") || "–";
    $("recent").innerHTML = (profile?.recentItems ?? []).map(i => `<li>${name(i)}</li>`).join("");
    $("cold-start").hidden = !recs.coldStart;
    const w = recs.weights;
    $("term-weights").textContent = w ? `learned weights: segments' items ${w.segments.toFixed(2)} · personal ${w.personal.toFixed(2)} · related ${w.related.toFixed(2)} · segments' neighbours ${w.local.toFixed(2)}` : "";
    const top = Math.max(1e-6, ...recs.items.map(i => i.score));
    $("recommendations").tBodies[0].innerHTML = recs.items.map((item, r) => {
      const segments = item.segments.reduce((a, s) => a + s.amount, 0);
      const parts = [segments, item.personal, item.related].map(v => Math.max(0, v) / top * 100);
      const bar = parts.map((w, k) => `<span class="c${k}" style="width:${w.toFixed(1)}%"></span>`).join("");
      return `<tr data-item="${esc(item.itemId)}" data-score="${item.score}"><td>${r + 1}</td><td>${name(item.itemId)}</td><td>${item.score.toFixed(3)}</td>` +
        `<td><div class="bar" title="segments ${segments.toFixed(3)} · personal ${item.personal.toFixed(3)} · related ${item.related.toFixed(3)}">${bar}</div></td></tr>`;
    }).join("");
    $("user-body").hidden = false;
  } catch (e) {
    if (!(e instanceof Unauthorized)) message.textContent = `User '${id}' could not be read: ${e.message}`;
  }
}

// --- wiring --------------------------------------------------------------------------------------------------------

function select(view) {
  state.view = view;
  for (const b of document.querySelectorAll("nav button")) b.classList.toggle("active", b.dataset.view === view);
  for (const s of document.querySelectorAll(".view")) s.hidden = s.id !== view;
  clearInterval(state.segmentsTimer);
  if (view === "segments") { pollSegments(); state.segmentsTimer = setInterval(pollSegments, 5000); }
}

document.querySelectorAll("nav button").forEach(b => b.addEventListener("click", () => select(b.dataset.view)));
$("user-form").addEventListener("submit", e => { e.preventDefault(); showUser($("user-id").value.trim()); });
$("login").addEventListener("submit", e => {
  e.preventDefault();
  state.token = $("token").value.trim();
  sessionStorage.setItem("reco-token", state.token);
  $("login").hidden = true;
  banner(null);
  pollCluster();
  if (state.view === "segments") pollSegments();
});

(async () => {
  // Asked once, and open: whether this node wants a token, so the page asks for it before anything fails.
  const auth = await (await fetch("/v1/auth")).json();
  state.needsToken = auth.tokenRequired;
  if (state.needsToken && !state.token) showLogin();
  else pollCluster();
  setInterval(() => { if (!state.needsToken || state.token) pollCluster(); }, 2000);
  const hash = location.hash.slice(1);
  if (["cluster", "segments", "user"].includes(hash)) select(hash);
})();
