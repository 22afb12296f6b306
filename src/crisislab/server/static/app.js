/* crisislab web app: small vanilla JavaScript, one init function per page. */
"use strict";

const $ = (sel) => document.querySelector(sel);
const $$ = (sel) => Array.from(document.querySelectorAll(sel));

async function api(method, url, body, headers) {
  const opts = { method, headers: Object.assign({ "Content-Type": "application/json" }, headers || {}) };
  if (body !== undefined) opts.body = JSON.stringify(body);
  let res;
  try {
    res = await fetch(url, opts);
  } catch (e) {
    return { ok: false, status: 0, data: { message: "The server cannot be reached: " + e } };
  }
  let data = null;
  const text = await res.text();
  try { data = text ? JSON.parse(text) : null; } catch (e) { data = { message: text }; }
  return { ok: res.ok, status: res.status, data };
}

function esc(s) {
  return String(s === null || s === undefined ? "" : s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
}

function num(x, digits) {
  if (x === null || x === undefined || Number.isNaN(x)) return "n/a";
  if (typeof x !== "number") return esc(x);
  const a = Math.abs(x);
  if (x !== 0 && (a < 1e-3 || a >= 1e5)) return x.toExponential(2);
  return x.toFixed(digits === undefined ? 3 : digits);
}

function say(el, text, kind) {
  if (!el) return;
  el.textContent = text || "";
  el.className = "msg" + (kind ? " " + kind : "");
}

function debounce(fn, ms) {
  let t = null;
  return (...args) => { clearTimeout(t); t = setTimeout(() => fn(...args), ms); };
}

function plot(id, fig) {
  const el = document.getElementById(id);
  if (!el || !fig || !window.Plotly) return;
  Plotly.newPlot(el, fig.data, fig.layout, { responsive: true, displaylogo: false });
  el.classList.add("rendered");
}

/* Poll a job until it is done; show progress in #job. Resolves with the job. */
async function followJob(job, onDone) {
  const box = $("#job"), bar = $("#job-bar"), text = $("#job-text");
  if (box) box.classList.remove("hidden");
  for (;;) {
    const pct = Math.round(100 * (job.fraction || 0));
    if (bar) bar.style.width = pct + "%";
    if (text) text.textContent = `${job.status}: ${job.stage || ""} ${job.done}/${job.total} (${pct}%)`;
    if (job.status === "done" || job.status === "failed") break;
    await new Promise((r) => setTimeout(r, 400));
    const r = await api("GET", "/api/jobs/" + job.id);
    if (!r.ok) { if (text) text.textContent = (r.data && r.data.message) || "lost the job"; return null; }
    job = r.data;
  }
  if (job.status === "failed") { say(text, job.error, "error"); return job; }
  if (onDone) onDone(job);
  return job;
}

function jobError(r) {
  if (r.status === 429) return "Busy: " + r.data.message;
  return (r.data && r.data.message) || ("request failed (" + r.status + ")");
}

/* -- scenario editor ----------------------------------------------------------------- */
function initScenarios() {
  const ta = $("#scenario-yaml"), status = $("#validation");
  const validate = debounce(async () => {
    const r = await api("POST", "/api/scenarios/validate", { yaml: ta.value });
    if (!r.ok) { status.className = "status error"; status.textContent = jobError(r); return; }
    const d = r.data;
    if (d.ok) {
      const s = d.summary;
      status.className = "status ok";
      status.innerHTML = `✓ valid: <b>${esc(s.name)}</b>, ${s.members} members, ${s.horizon_weeks} weeks, rule ${esc(s.rule)}, adversary types ${esc(s.types.join(", "))}`;
    } else {
      status.className = "status error";
      status.innerHTML = `<b>${d.problems.length} problem${d.problems.length === 1 ? "" : "s"}</b><ul class="problems">` +
        d.problems.map((p) => `<li><code>${esc(p.location)}</code>: found ${esc(p.found)}; expected ${esc(p.expected)}</li>`).join("") + "</ul>";
    }
  }, 300);
  async function load() {
    const ref = $("#base-scenario").value;
    const r = await api("GET", "/api/scenarios/" + encodeURIComponent(ref));
    if (r.ok) { ta.value = r.data.yaml; validate(); } else { status.textContent = jobError(r); }
  }
  $("#load-scenario").addEventListener("click", load);
  ta.addEventListener("input", validate);
  $("#save-scenario").addEventListener("click", async () => {
    const name = $("#scenario-name").value.trim();
    const r = await api("PUT", "/api/scenarios/" + encodeURIComponent(name || "-"), { yaml: ta.value });
    if (r.ok) say($("#save-msg"), `saved as ${r.data.ref}: use it under Compare or Trace`, "ok");
    else say($("#save-msg"), jobError(r), "error");
  });
  load();
}

/* -- compare --------------------------------------------------------------------------- */
function initCompare() {
  $("#start-compare").addEventListener("click", async () => {
    const doctrines = $$("input[name=doctrine]:checked").map((e) => e.value);
    const body = { scenario: $("#scenario").value, doctrines, runs: Number($("#runs").value), seed: Number($("#seed").value) };
    say($("#compare-msg"), "");
    const r = await api("POST", "/api/jobs/compare", body);
    if (!r.ok) { say($("#compare-msg"), jobError(r), "error"); return; }
    followJob(r.data, (job) => {
      say($("#compare-msg"), "done: opening the result…", "ok");
      window.location.href = "/results/" + job.result;
    });
  });
}

/* -- result ------------------------------------------------------------------------------ */
async function initResult() {
  const rid = $("#result-id").dataset.rid;
  const [figs, res] = await Promise.all([api("GET", `/api/results/${rid}/figures`), api("GET", `/api/results/${rid}`)]);
  if (figs.ok) for (const [name, fig] of Object.entries(figs.data)) plot("fig-" + name, fig);
  else say($("#result-msg"), jobError(figs), "error");
  if (res.ok && res.data.summary) {
    const d = res.data, names = d.doctrines;
    const by = {};
    for (const s of d.summary) by[s.doctrine + "|" + s.metric] = s;
    let html = `<table class="grid"><thead><tr><th>metric</th>${names.map((n) => `<th>${esc(n)}</th>`).join("")}</tr></thead><tbody>`;
    for (const m of d.metrics) {
      html += `<tr><td>${esc(m)}</td>` + names.map((n) => {
        const s = by[n + "|" + m];
        if (!s || s.mean === null || s.mean === undefined) return '<td class="na">n/a</td>';
        const ci = s.ci_low === null || s.ci_high === null ? "" : ` <small>[${num(s.ci_low)}, ${num(s.ci_high)}]</small>`;
        return `<td>${num(s.mean)}${ci}</td>`;
      }).join("") + "</tr>";
    }
    $("#summary-table").innerHTML = html + "</tbody></table>"
      + '<p class="note">Mean [95% CI] per doctrine; n/a: no value (e.g. weeks_to_settlement when none of the runs settles).</p>';
  }
  $("#build-report").addEventListener("click", async () => {
    const r = await api("POST", "/api/jobs/report", { result: rid, attribution_runs: Number($("#attribution-runs").value) });
    if (!r.ok) { say($("#result-msg"), jobError(r), "error"); return; }
    followJob(r.data, () => { $("#report-link").classList.remove("hidden"); say($("#result-msg"), "report ready", "ok"); });
  });
}

/* -- trace --------------------------------------------------------------------------------- */
function initTrace() {
  $("#start-trace").addEventListener("click", async () => {
    const body = { scenario: $("#scenario").value, doctrine: $("#doctrine").value, run: Number($("#run").value), seed: Number($("#seed").value) };
    const r = await api("POST", "/api/jobs/trace", body);
    if (!r.ok) { say($("#trace-msg"), jobError(r), "error"); return; }
    followJob(r.data, (job) => { window.location.href = "/results/" + job.result; });
  });
}

async function initTraceView() {
  const rid = $("#trace-id").dataset.rid;
  const r = await api("GET", `/api/traces/${rid}`);
  if (!r.ok) { $("#week-title").textContent = jobError(r); return; }
  const info = r.data, traj = info.trajectory, weeks = traj.week.map((w) => w);
  const slider = $("#week-slider");
  const sel = $("#variable");
  sel.innerHTML = info.variables.map((v) => `<option ${v === "permanence" ? "selected" : ""}>${esc(v)}</option>`).join("");
  function trajFig(week) {
    const data = [
      { x: weeks, y: traj.rung, name: "escalation rung", mode: "lines+markers", line: { shape: "hv" } },
      { x: weeks, y: traj.cohesion, name: "cohesion", yaxis: "y2", mode: "lines" },
      { x: weeks, y: traj.final_frontline_trust, name: "frontline trust", yaxis: "y2", mode: "lines" },
      { x: weeks, y: traj.permanence, name: "sanction permanence", yaxis: "y2", mode: "lines" },
    ];
    const layout = {
      height: 360, margin: { t: 50, l: 120, r: 60, b: 40 }, template: "plotly_white",
      title: { text: `run ${info.meta.run} under ${info.meta.doctrine}`, font: { size: 14 } },
      xaxis: { title: { text: "week" } },
      yaxis: { title: { text: "escalation rung" }, range: [-0.3, 7.3], tickvals: [0, 1, 2, 3, 4, 5, 6, 7],
               ticktext: ["peace", "tension", "mobilisation", "limited cyber", "conv. war", "deep strikes", "nuclear signalling", "nuclear use"] },
      yaxis2: { title: { text: "share (0..1)" }, overlaying: "y", side: "right", range: [0, 1.05], dtick: 0.2, tickformat: ".1f", showgrid: false },
      shapes: [{ type: "line", x0: week, x1: week, y0: 0, y1: 1, yref: "paper", line: { color: "#c00", dash: "dot" } }],
      legend: { orientation: "h", y: -0.25 },
    };
    return { data, layout };
  }
  let shown = 0;
  async function show(week) {
    const mine = ++shown;
    week = Math.max(0, Math.min(Number(slider.max), week));
    slider.value = week;
    $("#week-label").textContent = "week " + week;
    $("#week-title").textContent = "What moved in week " + week;
    plot("fig-trajectory", trajFig(week));
    const w = await api("GET", `/api/traces/${rid}/week/${week}`);
    if (!w.ok || mine !== shown) return;
    const rows = w.data.rows;
    const counts = {};
    for (const x of rows) if (x.mechanism !== "core") counts[x.mechanism + " " + x.name] = (counts[x.mechanism + " " + x.name] || 0) + 1;
    $("#week-mechanisms").innerHTML = Object.entries(counts).sort((a, b) => b[1] - a[1])
      .map(([k, v]) => `<span class="chip">${esc(k)} <b>${v}</b></span>`).join("") || "<span class='meta'>no mechanism changed anything this week</span>";
    $("#trace-table tbody").innerHTML = rows.map((x) =>
      `<tr class="${x.mechanism === "core" ? "core" : ""}"><td><b>${esc(x.mechanism)}</b> ${esc(x.name)}</td><td>${esc(x.step)}</td><td>${esc(x.variable)}</td>` +
      `<td>${esc(x.member)}</td><td>${num(x.before, 4)}</td><td>${num(x.after, 4)}</td><td class="${x.delta > 0 ? "up" : "down"}">${x.delta > 0 ? "+" : ""}${num(x.delta, 4)}</td></tr>`).join("");
  }
  async function showVariable() {
    const v = sel.value;
    const s = await api("GET", `/api/traces/${rid}/variable/${encodeURIComponent(v)}`);
    if (!s.ok) return;
    const data = Object.entries(s.data.series).map(([name, ys]) => ({ x: weeks, y: ys, name, mode: "lines+markers", connectgaps: true }));
    plot("fig-variable", { data, layout: { height: 300, margin: { t: 20, l: 50, r: 20, b: 40 }, xaxis: { title: { text: "week" } }, yaxis: { title: { text: v } }, template: "plotly_white" } });
  }
  slider.addEventListener("input", () => show(Number(slider.value)));
  $("#prev-week").addEventListener("click", () => show(Number(slider.value) - 1));
  $("#next-week").addEventListener("click", () => show(Number(slider.value) + 1));
  sel.addEventListener("change", showVariable);
  show(0);
  showVariable();
}

/* -- games ------------------------------------------------------------------------------------ */
async function initGames() {
  const r = await api("GET", "/api/games");
  if (!r.ok) { say($("#game-msg"), jobError(r), "error"); return; }
  const games = r.data, gsel = $("#game");
  gsel.innerHTML = games.map((g) => `<option value="${esc(g.name)}">${esc(g.title)}</option>`).join("");
  let current = null, lastKey = null, seq = 0;
  function values() {
    const out = {};
    for (const el of $$("#game-params [data-param]")) {
      out[el.dataset.param] = el.type === "range" ? Number(el.value) : el.value;
    }
    return out;
  }
  function render(sol) {
    const rows = [];
    const flat = (obj, prefix) => {
      for (const [k, v] of Object.entries(obj)) {
        if (v && typeof v === "object" && !Array.isArray(v)) flat(v, prefix + k + ".");
        else rows.push([prefix + k, Array.isArray(v) ? v.join(", ") : v]);
      }
    };
    flat(sol.summary, "");
    $("#game-summary tbody").innerHTML = rows.map(([k, v]) => `<tr><td>${esc(k)}</td><td>${typeof v === "number" ? num(v, 4) : esc(v)}</td></tr>`).join("");
    $("#game-equilibria").innerHTML = sol.equilibria.map((eq, i) =>
      `<details ${i < 3 ? "open" : ""}><summary><b>${esc(eq.name || "equilibrium " + (i + 1))}</b> (${esc(eq.kind || "")})</summary><pre>${esc(JSON.stringify(eq, null, 1))}</pre></details>`).join("") ||
      "<p class='meta'>no equilibrium listed</p>";
    $("#game-notes").innerHTML = (sol.notes || []).map((n) => `<p>${esc(n)}</p>`).join("");
  }
  const solve = debounce(async () => {
    const mine = ++seq;  // answers to older requests are dropped: the page shows the latest sliders
    const game = current, params = values(), key = lastKey;
    const s = await api("POST", `/api/games/${game.name}/solve`, { params });
    if (mine !== seq) return;
    if (!s.ok) { say($("#game-msg"), jobError(s), "error"); return; }
    say($("#game-msg"), "");
    render(s.data);
    if (game.sweep && key) {
      const f = await api("POST", `/api/games/${game.name}/sweep`, { params, key });
      if (mine !== seq) return;
      if (f.ok) plot("fig-sweep", f.data);
    }
  }, 150);
  function build() {
    current = games.find((g) => g.name === gsel.value);
    $("#game-desc").textContent = current.description + (current.sources ? " — " + current.sources : "");
    lastKey = (current.params.find((p) => p.kind === "float") || {}).name || null;
    $("#game-params").innerHTML = current.params.map((p) => {
      if (p.kind === "choice") return `<label>${esc(p.name)} <select data-param="${esc(p.name)}">${p.choices.map((c) => `<option ${c === p.default ? "selected" : ""}>${esc(c)}</option>`).join("")}</select></label>`;
      if (p.kind === "float" || p.kind === "int") {
        return `<label title="${esc(p.description)}">${esc(p.name)} <output id="out-${esc(p.name)}">${p.default}</output>` +
          `<input type="range" data-param="${esc(p.name)}" min="${p.min}" max="${p.max}" step="${p.step}" value="${p.default}"><small>${esc(p.description)}</small></label>`;
      }
      return "";
    }).join("");
    for (const el of $$("#game-params [data-param]")) {
      el.addEventListener("input", () => {
        const out = document.getElementById("out-" + el.dataset.param);
        if (out) out.textContent = el.value;
        if (el.type === "range" && current.params.find((p) => p.name === el.dataset.param).kind === "float") lastKey = el.dataset.param;
        solve();
      });
    }
    $("#fig-sweep").innerHTML = "";
    solve();
  }
  gsel.addEventListener("change", build);
  build();
}

/* -- policy console ---------------------------------------------------------------------------- */
function initPolicy() {
  const key = () => $("#policy-select").value;
  const presets = {
    request: { source: "European Union", target: "Russian Federation", cameo: "036", forum: "talks", agenda: "" },
    attack: { source: "Russian Federation", target: "Ukraine", cameo: "190", forum: "", agenda: "" },
    deescalate: { source: "Russian Federation", target: "Ukraine", cameo: "087", forum: "", agenda: "" },
    disinfo: { source: "Russian Federation", target: "European Union", cameo: "111", forum: "talks", agenda: "" },
  };
  $("#policy-select").addEventListener("change", () => { window.location.href = "/policy?policy=" + encodeURIComponent(key()); });
  async function refresh() {
    const [st, dec, led] = await Promise.all([
      api("GET", `/api/policy/${key()}/status`), api("GET", `/api/policy/${key()}/decisions`), api("GET", `/api/policy/${key()}/ledger?limit=1000`)]);
    if (st.ok) {
      const s = st.data;
      $("#policy-status").innerHTML =
        `<b>${esc(s.title || s.name)}</b> · day ${esc(s.day || "(no events yet)")} · talks <b id="talks-state">${s.talks_open ? "open" : "closed"}</b>` +
        ` · frontline vote <b id="vote-state">${s.vote_open ? "open until " + esc(s.vote_deadline) : "none open"}</b>` +
        ` · penalty tranche ${s.tranche_level}${s.tranche ? " (" + esc(s.tranche) + ")" : ""}` +
        (s.suspended_until ? ` · talks suspended until ${esc(s.suspended_until)}` : "") +
        ` · ${s.events} events, ${s.decisions} decisions, ${s.ledger.entries} ledger entries` +
        (s.vote_open ? `<div class="chips">${s.holders.map((h) => `<span class="chip vote-${esc(h.vote)}">${esc(h.member)}: ${esc(h.vote)}</span>`).join("")}</div>` : "");
      const memberSel = $("#vote-member");
      if (!memberSel.options.length) memberSel.innerHTML = s.holders.map((h) => `<option>${esc(h.member)}</option>`).join("");
      const actors = new Set();
      for (const list of Object.values(s.actors)) for (const a of list) actors.add(a);
      $("#actors").innerHTML = Array.from(actors).map((a) => `<option value="${esc(a)}">`).join("");
      $("#agenda").innerHTML = s.agenda.map((a) => `<option value="${esc(a)}">`).join("");
      if (s.day && $("#ev-date").value < s.day) $("#ev-date").value = s.day;
    }
    if (dec.ok) {
      $("#decisions tbody").innerHTML = dec.data.map((d) =>
        `<tr class="kind-${esc(d.kind)}"><td>${esc(d.seq)}</td><td>${esc(d.date)}</td><td><b>${esc(d.kind)}</b></td><td>${esc(d.rule)}</td><td>${esc(d.summary)}</td></tr>`).join("");
    }
    if (led.ok) {
      $("#ledger tbody").innerHTML = led.data.slice().reverse().map((e) =>
        `<tr><td>${e.seq}</td><td>${esc(e.type)}</td><td>${esc(e.text)}</td><td><code>${esc(e.hash.slice(0, 12))}…</code></td><td><code>${esc(e.prev.slice(0, 12))}…</code></td></tr>`).join("");
    }
  }
  for (const b of $$("[data-preset]")) {
    b.addEventListener("click", () => {
      const p = presets[b.dataset.preset];
      $("#ev-source").value = p.source; $("#ev-target").value = p.target; $("#ev-cameo").value = p.cameo;
      $("#ev-forum").value = p.forum; $("#ev-agenda").value = p.agenda;
    });
  }
  $("#post-event").addEventListener("click", async () => {
    const body = { date: $("#ev-date").value, source: $("#ev-source").value, target: $("#ev-target").value, cameo: $("#ev-cameo").value,
      forum: $("#ev-forum").value || null, agenda: $("#ev-agenda").value || null, publisher: $("#ev-publisher").value || null };
    const r = await api("POST", `/api/policy/${key()}/events`, body);
    if (!r.ok) { say($("#ev-msg"), jobError(r), "error"); return; }
    const ds = r.data.decisions;
    say($("#ev-msg"), ds.length ? "decisions: " + ds.map((d) => d.kind).join(", ") : "recorded; no decision", "ok");
    refresh();
  });
  async function vote(kind) {
    const token = $("#vote-token").value.trim();
    const r = await api("POST", `/api/policy/${key()}/vote`, { member: $("#vote-member").value, vote: kind }, token ? { Authorization: "Bearer " + token } : {});
    if (!r.ok) { say($("#vote-msg"), jobError(r), "error"); return; }
    const ds = r.data.decisions;
    say($("#vote-msg"), `${kind} recorded` + (ds.length ? ": " + ds.map((d) => d.summary).join("; ") : ""), "ok");
    refresh();
  }
  $("#cast-veto").addEventListener("click", () => vote("veto"));
  $("#cast-consent").addEventListener("click", () => vote("consent"));
  $("#verify-ledger").addEventListener("click", async () => {
    const r = await api("POST", `/api/policy/${key()}/verify`);
    if (!r.ok) { say($("#verify-msg"), jobError(r), "error"); return; }
    const v = r.data;
    say($("#verify-msg"), v.ok ? `✓ ledger intact: ${v.entries} entries, head ${String(v.head_hash).slice(0, 12)}…` : `✗ ${v.problem}`, v.ok ? "ok" : "error");
  });
  refresh();
}

document.addEventListener("DOMContentLoaded", () => {
  const page = document.body.dataset.page;
  const init = { scenarios: initScenarios, compare: initCompare, result: initResult, trace: initTrace, traceview: initTraceView, games: initGames, policy: initPolicy }[page];
  if (init) init();
});
