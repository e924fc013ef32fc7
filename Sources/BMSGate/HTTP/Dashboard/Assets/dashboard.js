"use strict";
(function () {
  let site = null;
  let lastHistory = 0;
  const $ = (id) => document.getElementById(id);
  const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
  const num = (v, digits, unit) => (v === null || v === undefined || Number.isNaN(v)) ? "–" : `${Number(v).toFixed(digits)} ${unit}`;
  const field = (name, v, digits, unit) => `<span data-field="${name}" data-value="${v === null || v === undefined ? "" : v}">${num(v, digits, unit)}</span>`;

  // Age of the pack's data: from its last good reading (a failed poll carries reading_time).
  function ageSeconds(pack) {
    const t = pack.error ? pack.reading_time : pack.time;
    if (!site || !t) return null;
    return Math.max(0, (Date.parse(site.time) - Date.parse(t)) / 1000);
  }
  function ageText(s) {
    if (s === null) return "never";
    if (s < 90) return `${Math.round(s)} s`;
    if (s < 5400) return `${Math.round(s / 60)} min`;
    return `${(s / 3600).toFixed(1)} h`;
  }
  function packState(p) {
    if (!p.online) return ["STALE", "bad"];
    if ((p.alarms || []).length) return ["ALARM", "bad"];
    return ["OK", "ok"];
  }
  function bankState(b) {
    if (b.state === "offline") return ["OFFLINE", "bad"];
    if ((b.alarms || []).length) return ["ALARM", "bad"];
    if (b.state === "degraded") return ["DEGRADED", "warn"];
    return ["OK", "ok"];
  }

  function renderAlerts() {
    const items = [];
    for (const b of site.banks || []) {
      for (const a of b.alarms || []) items.push(`Bank ${esc(b.bank)}: ${esc(a.replace(/_/g, " "))}`);
    }
    for (const p of site.packs || []) {
      const age = ageSeconds(p);
      if (!p.online) items.push(`Pack ${esc(p.pack)} is stale: ${age === null ? "no good reading yet" : "no good reading for " + ageText(age)}${p.error ? " (" + esc(p.error) + ")" : ""}`);
      for (const a of p.alarms || []) items.push(`Pack ${esc(p.pack)}: ${esc(a.replace(/_/g, " "))}`);
    }
    $("alerts").innerHTML = items.map((t) => `<div class="alert" role="alert">${t}</div>`).join("");
  }

  function renderBanks() {
    const cards = (site.banks || []).map((b) => {
      const [state, cls] = bankState(b);
      const l = b.limits || {};
      const reasons = (l.reasons || []).map((r) => `<li>${esc(typeof r === "string" ? r : (r.text || r.reason || JSON.stringify(r)))}</li>`).join("");
      return `<div class="card" data-bank="${esc(b.bank)}">
        <h3><span>Bank ${esc(b.bank)}</span><span class="badge ${cls}" data-field="state">${state}</span></h3>
        <div class="big">${field("soc", b.soc, 1, "%")}</div>
        <dl>
          <dt>Voltage</dt><dd>${field("voltage", b.voltage, 2, "V")}</dd>
          <dt>Current</dt><dd>${field("current", b.current, 1, "A")}</dd>
          <dt>Power</dt><dd>${field("power", b.power, 0, "W")}</dd>
          <dt>Packs online</dt><dd>${(b.online_packs || []).length} of ${(b.packs || []).length}</dd>
          <dt>Charge limit</dt><dd>${field("charge_current", l.charge_current, 1, "A")}</dd>
          <dt>Discharge limit</dt><dd>${field("discharge_current", l.discharge_current, 1, "A")}</dd>
          <dt>Charge voltage</dt><dd>${field("charge_voltage", l.charge_voltage, 2, "V")}</dd>
          <dt>Charge phase</dt><dd data-field="phase">${esc((l.phase || {}).name || "-")}${(l.phase || {}).seconds != null ? " for " + ageText(l.phase.seconds) : ""}</dd>
          <dt>Last full charge</dt><dd data-field="last_full_charge">${(l.phase || {}).last_full_charge ? esc(new Date(l.phase.last_full_charge).toLocaleString()) : "not yet"}</dd>
          <dt>Temperature</dt><dd>${num(b.temperature_min, 1, "°C")} … ${num(b.temperature_max, 1, "°C")}</dd>
        </dl>
        ${reasons ? `<div class="muted">Limits lowered because:</div><ul class="reasons" data-field="reasons">${reasons}</ul>` : `<div class="muted" data-field="reasons">Limits at their configured maximum.</div>`}
      </div>`;
    });
    $("banks").innerHTML = cards.length ? `<h2>Banks</h2><div class="cards">${cards.join("")}</div>` : "";
  }

  function renderLinks() {
    const links = (site.sinks || []).filter((s) => s.status && (s.status.summary || s.status.inverter !== undefined));
    $("links").innerHTML = links.length ? `<h2>Inverter links and outputs</h2><div class="cards">${links.map((s) =>
      `<div class="card"><h3><span>${esc(s.sink)}</span></h3><div>${esc(s.status.summary || "")}</div></div>`).join("")}</div>` : "";
  }

  function renderPacks() {
    const rows = (site.packs || []).map((p) => {
      const [state, cls] = packState(p);
      const temps = (p.temperatures || []);
      const t = temps.length ? `${num(Math.min(...temps), 1, "°C")} … ${num(Math.max(...temps), 1, "°C")}` : "–";
      return `<tr data-pack="${esc(p.pack)}" class="${p.online ? "" : "stale"}" tabindex="0">
        <td><a href="#pack=${encodeURIComponent(p.pack)}">${esc(p.pack)}</a> <span class="muted">${esc(p.driver || "")}</span></td>
        <td><span class="badge ${cls}" data-field="state">${state}</span></td>
        <td>${field("voltage", p.voltage, 2, "V")}</td>
        <td>${field("current", p.current, 1, "A")}</td>
        <td>${field("soc", p.soc, 1, "%")}</td>
        <td>${field("cell_min", p.cell_min, 3, "V")} / ${field("cell_max", p.cell_max, 3, "V")}</td>
        <td>${t}</td>
        <td data-field="age">${ageText(ageSeconds(p))}</td>
      </tr>`;
    });
    $("packs").tBodies[0].innerHTML = rows.join("");
  }

  function renderPackView() {
    const m = location.hash.match(/^#pack=(.+)$/);
    const view = $("pack-view");
    if (!m) { view.hidden = true; return; }
    const id = decodeURIComponent(m[1]);
    const p = (site.packs || []).find((x) => x.pack === id);
    if (!p) { view.hidden = true; return; }
    view.hidden = false;
    const cells = p.cells || [];
    const balancing = new Set(p.balancing || []);
    const lo = Math.min(...cells), hi = Math.max(...cells);
    const floor = lo - Math.max(0.02, (hi - lo));
    const bars = cells.map((v, i) => {
      const h = hi > floor ? 15 + 85 * (v - floor) / (hi - floor) : 50;
      const cls = ["cellbar", v === lo ? "min" : "", v === hi ? "max" : "", balancing.has(i + 1) ? "balancing" : ""].join(" ");
      const tag = `${v === lo ? " lowest" : ""}${v === hi ? " highest" : ""}${balancing.has(i + 1) ? " balancing" : ""}`;
      return `<div class="${cls}" style="height:${h.toFixed(1)}%" data-cell="${i + 1}" data-value="${v}" title="cell ${i + 1}: ${v.toFixed(3)} V${tag}" aria-label="cell ${i + 1} ${v.toFixed(3)} V${tag}"></div>`;
    }).join("");
    const labels = cells.map((_, i) => `<span>${i + 1}</span>`).join("");
    const ident = p.identity || {};
    const extras = p.extras || {};
    const [state, cls] = packState(p);
    view.innerHTML = `<h2>Pack ${esc(p.pack)} <span class="badge ${cls}">${state}</span> <a class="muted" href="#">close</a></h2>
      <div class="cards">
        <div class="card" style="grid-column: 1 / -1">
          <h3><span>Cells</span><span class="muted">min ${num(p.cell_min, 3, "V")} · max ${num(p.cell_max, 3, "V")} · delta ${field("cell_delta_mv", p.cell_delta === undefined ? null : p.cell_delta * 1000, 0, "mV")}</span></h3>
          <div class="cellbars" id="cellbars">${bars}</div>
          <div class="celllabels">${labels}</div>
          <div class="legend muted"><span>■ blue: lowest cell</span><span>■ red: highest cell</span><span>▨ striped: balancing</span></div>
        </div>
        <div class="card"><h3>Temperatures</h3><dl>${(p.temperatures || []).map((t, i) => `<dt>Probe ${i + 1}</dt><dd>${num(t, 1, "°C")}</dd>`).join("")}
          ${p.mos_temperature !== undefined ? `<dt>MOSFET</dt><dd>${num(p.mos_temperature, 1, "°C")}</dd>` : ""}</dl></div>
        <div class="card"><h3>Identity</h3><dl>${Object.entries(ident).map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`).join("")}
          <dt>driver</dt><dd>${esc(p.driver || "")}</dd><dt>data age</dt><dd>${ageText(ageSeconds(p))}</dd></dl></div>
        <div class="card"><h3>Driver extras</h3><dl>${Object.entries(extras).map(([k, v]) => `<dt>${esc(k.replace(/_/g, " "))}</dt><dd>${esc(v)}</dd>`).join("")}</dl></div>
      </div>
      <h2>Cell spread, last 24 h</h2><div class="charts" id="pack-charts"></div>`;
    loadHistory("pack:" + p.pack, $("pack-charts"), [
      { title: "Cell min / max (V)", fields: ["cell_min", "cell_max"], digits: 3 },
    ]);
  }

  function chart(title, series, times, digits) {
    const all = series.flatMap((s) => s.values).filter((v) => v !== null && v !== undefined);
    if (!all.length) return `<div class="card"><h3>${esc(title)}</h3><div class="muted">no data yet</div></div>`;
    let lo = Math.min(...all), hi = Math.max(...all);
    if (hi === lo) { hi += 1; lo -= 1; }
    const w = 600, h = 150, pad = 32;
    const t0 = times[0], t1 = times[times.length - 1] || t0 + 60;
    const x = (t) => pad + (w - pad - 4) * (t1 === t0 ? 1 : (t - t0) / (t1 - t0));
    const y = (v) => h - 14 - (h - 28) * (v - lo) / (hi - lo);
    const colors = ["#2f6fb3", "#c0392b", "#1b7f3b", "#a05a00"];
    const dashes = ["", "6 3", "2 2", "8 3 2 3"];
    const lines = series.map((s, k) => {
      const pts = s.values.map((v, i) => v === null || v === undefined ? null : `${x(times[i]).toFixed(1)},${y(v).toFixed(1)}`).filter(Boolean).join(" ");
      const dots = s.values.length <= 3 ? s.values.map((v, i) => v === null || v === undefined ? "" : `<circle cx="${x(times[i]).toFixed(1)}" cy="${y(v).toFixed(1)}" r="3" fill="${colors[k % 4]}"/>`).join("") : "";
      return `<polyline fill="none" stroke="${colors[k % 4]}" stroke-width="2" stroke-dasharray="${dashes[k % 4]}" points="${pts}"><title>${esc(s.name)}</title></polyline>${dots}`;
    }).join("");
    const legend = series.map((s, k) => `<tspan fill="${colors[k % 4]}">${k ? " · " : ""}${esc(s.name)}</tspan>`).join("");
    const time = (t) => new Date(t * 1000).toTimeString().slice(0, 5);
    return `<svg class="chart" viewBox="0 0 ${w} ${h}" role="img" aria-label="${esc(title)}">
      <text x="4" y="11">${esc(title)}: ${legend}</text>
      <text x="2" y="${y(hi) + 4}">${hi.toFixed(digits)}</text><text x="2" y="${y(lo)}">${lo.toFixed(digits)}</text>
      <text x="${pad}" y="${h - 2}">${time(t0)}</text><text x="${w - 40}" y="${h - 2}">${time(t1)}</text>
      <line x1="${pad}" x2="${w}" y1="${h - 14}" y2="${h - 14}" stroke="#d9dde3"/>${lines}</svg>`;
  }

  function loadHistory(id, target, plots) {
    fetch("/api/history/" + encodeURIComponent(id)).then((r) => r.ok ? r.json() : null).then((hist) => {
      if (!hist || !target) return;
      target.innerHTML = plots.map((p) => chart(p.title, p.fields.map((f) => ({ name: f.replace(/_/g, " "), values: hist.values[f] || [] })), hist.time, p.digits)).join("");
    }).catch(() => {});
  }

  function renderHistory() {
    const now = Date.now();
    if (now - lastHistory < 60000 && $("history").innerHTML) return;
    lastHistory = now;
    const banks = site.banks || [];
    $("history").innerHTML = banks.map((b) => `<h2>Bank ${esc(b.bank)}, last 24 h</h2><div class="charts" id="hist-${esc(b.bank)}"></div>`).join("");
    for (const b of banks) {
      loadHistory("bank:" + b.bank, document.getElementById("hist-" + b.bank), [
        { title: "SoC (%)", fields: ["soc"], digits: 1 },
        { title: "Voltage (V)", fields: ["voltage"], digits: 2 },
        { title: "Current (A)", fields: ["current"], digits: 1 },
        { title: "Limits (A)", fields: ["charge_current_limit", "discharge_current_limit"], digits: 0 },
      ]);
    }
  }

  function render() {
    if (!site) return;
    document.title = `bmsgate · ${site.site}`;
    $("site").textContent = `bmsgate · ${site.site}`;
    $("updated").textContent = `updated ${new Date(Date.parse(site.time)).toLocaleTimeString()}`;
    renderAlerts();
    renderBanks();
    renderLinks();
    renderPacks();
    renderPackView();
    renderHistory();
  }

  function setConn(text, cls) {
    const c = $("conn");
    c.textContent = text;
    c.className = "badge " + cls;
  }

  function connect() {
    if (!window.EventSource) { setInterval(poll, 2000); poll(); return; }
    const es = new EventSource("/api/events");
    es.addEventListener("site", (e) => { site = JSON.parse(e.data); setConn("live", "ok"); render(); });
    es.onopen = () => setConn("live", "ok");
    es.onerror = () => setConn("reconnecting", "bad");
  }
  function poll() {
    fetch("/api/site").then((r) => r.json()).then((s) => { site = s; setConn("polling", "warn"); render(); }).catch(() => setConn("offline", "bad"));
  }

  $("packs").addEventListener("click", (e) => {
    const row = e.target.closest("tr[data-pack]");
    if (row) location.hash = "pack=" + encodeURIComponent(row.dataset.pack);
  });
  window.addEventListener("hashchange", renderPackView);
  fetch("/api/site").then((r) => r.ok ? r.json() : null).then((s) => { if (s && !site) { site = s; render(); } }).catch(() => {});
  connect();
})();
