// Polls the dashboard's own API and fills the page; no library, no CDN.
"use strict";

const POLL_MS = 2000;
let lastGoodRead = null;
const $ = (id) => document.getElementById(id);
const number = (x, digits = 2) => x === null || x === undefined ? "–" : x.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
const percent = (x) => x === null || x === undefined ? "–" : (x * 100).toFixed(1) + "%";

function cell(text, className) {
  const td = document.createElement("td");
  td.textContent = text;
  if (className) td.className = className;
  return td;
}

function fillRows(body, rows) {
  body.replaceChildren(...rows.map((cells) => {
    const tr = document.createElement("tr");
    tr.append(...cells);
    return tr;
  }));
}

function showChain(chain, readAt) {
  const line = $("chain");
  lastGoodRead = chain.last_good_read || lastGoodRead;
  if (chain.ok) {
    line.className = "";
    line.textContent = `Live: slot ${chain.slot}, read ${new Date(readAt * 1000).toLocaleTimeString()}.`;
  } else {
    line.className = "error";
    const last = lastGoodRead ? new Date(lastGoodRead * 1000).toLocaleString() : "never";
    line.textContent = `The chain is not answering (${chain.error || "no read yet"}). Last good read: ${last}. Figures below are from then.`;
  }
}

function showReserve(reserve) {
  const cr = reserve.collateral_ratio;
  $("cr").textContent = cr === null ? "no supply" : cr.toFixed(4);
  $("cr").className = cr !== null && cr < reserve.cr_min ? "bad" : "";
  $("supply").textContent = number(reserve.supply);
  $("value").textContent = "$" + number(reserve.value);
  $("rate").textContent = reserve.redemption_rate.toFixed(4);
  $("thresholds").textContent = `Thresholds: CR_crit ${reserve.cr_crit.toFixed(2)}, CR_min ${reserve.cr_min.toFixed(2)}, CR_target ${reserve.cr_target.toFixed(2)}. Fees: mint ${(reserve.fee_mint * 100).toFixed(2)}%, redeem ${(reserve.fee_redeem * 100).toFixed(2)}%.`;
  fillRows($("assets"), reserve.assets.map((a) => [
    cell(a.symbol), cell(a.kind, "text"), cell(number(a.amount, 4)), cell("$" + number(a.conservative_price, 4)),
    cell("$" + number(a.value)), cell(percent(a.weight)), cell(percent(a.target_weight)), cell(percent(a.weight_cap)),
  ]));
  const c = reserve.capital;
  const ratio = (x) => x === null ? "n/a" : x.toFixed(3);
  $("capital").textContent = `Capital ratios: MCR ${ratio(c.minimum_capital_ratio)} (floor ${c.min_capital_ratio.toFixed(2)}), CCB ${ratio(c.countercyclical_buffer)} (floor ${c.min_countercyclical_buffer.toFixed(2)}).`;
}

function showSafety(safety) {
  $("breaker").textContent = safety.breaker_tripped ? "tripped" : "normal";
  $("breaker").className = safety.breaker_tripped ? "bad" : "good";
  $("paused").textContent = safety.paused.length ? safety.paused.join(", ") : "nothing";
  $("paused").className = safety.paused.length ? "bad" : "";
  $("insurance").textContent = number(safety.insurance_pool);
  $("backstop").textContent = number(safety.backstop_stake);
  $("mint-limit").textContent = `${number(safety.mint_limit_used, 0)} of ${number(safety.mint_limit, 0)}`;
  $("redeem-limit").textContent = `${number(safety.redeem_limit_used, 0)} of ${number(safety.redeem_limit, 0)}`;
}

// Seed 001's loan book, when the reserve holds loans.
function loanBook(book) {
  if (book.gamma === 0 && book.theta === 0) return "";
  const bound = (value) => (value > 0 ? value.toFixed(2) : "none");
  return ` Loan book per unit of the reserve's value: gamma ${book.gamma.toFixed(3)} (bound ${bound(book.max_gamma)}), theta ${book.theta.toFixed(3)} a year (bound ${bound(book.max_theta)}).`;
}

function showOracle(oracle) {
  const short = (key) => key.slice(0, 6) + "…";
  $("risk").textContent = `Last round ${oracle.last_round} (${oracle.quorum} of ${oracle.oracles} oracles finalize). sigma_p ${oracle.sigma_p.toFixed(3)}; P(CR < 1) ${percent(oracle.breach_probability)}, upper bound ${percent(oracle.breach_upper)} against epsilon ${percent(oracle.breach_epsilon)}${oracle.certified ? "" : " (allocation not certified)"}.${loanBook(oracle.loan_book)}`;
  fillRows($("rounds"), oracle.rounds.slice(0, 10).map((r) => [
    cell(String(r.round)), cell(r.status, r.status === "lapsed" ? "text bad" : "text"),
    cell(r.trigger ? `early: ${r.trigger}` : "scheduled", "text"),
    cell(r.submitted_by.map(short).join(", ") || "–", "text"), cell(r.outliers.map(short).join(", ") || "none", "text"),
    cell(percent(Math.max(0, ...r.price_spreads))),
  ]));
}

function showGovernance(governance) {
  fillRows($("proposals"), governance.proposals.slice(0, 10).map((p) => [
    cell(String(p.id)), cell(p.what, "text"), cell(p.status, "text"),
    cell(p.mean !== null ? p.mean.toFixed(4) : p.yes_share !== null ? percent(p.yes_share) + " yes" : "–"),
    cell(`${percent(p.turnout)} / ${percent(p.quorum)}`), cell(String(p.timelock_slots_left)),
  ]));
}

// Draws `series` ({slot, value} points) into the svg `id`, with dashed
// `levels` ({name, value, colour}) and a caption that `describe` ends.
function drawChart(id, series, levels, describe) {
  const svg = $(id);
  const title = svg.querySelector("title");
  svg.replaceChildren(title);
  if (series.length < 2) {
    $(id + "-caption").textContent = "Not enough history yet.";
    return;
  }
  const [w, h, pad] = [600, 220, 36];
  const ys = series.map((p) => p.value).concat(levels.map((l) => l.value));
  let [low, high] = [Math.min(...ys), Math.max(...ys)];
  const margin = Math.max((high - low) * 0.05, Math.abs(high) * 0.01, 1e-9);
  // Amounts that cannot go negative keep their axis at or above zero.
  [low, high] = [low >= 0 ? Math.max(0, low - margin) : low - margin, high + margin];
  const [first, last] = [series[0].slot, series[series.length - 1].slot];
  const x = (slot) => pad + (w - 2 * pad) * (slot - first) / Math.max(1, last - first);
  const y = (v) => h - pad + (2 * pad - h) * (v - low) / (high - low);
  const make = (tag, attributes, text) => {
    const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
    for (const [k, v] of Object.entries(attributes)) node.setAttribute(k, v);
    if (text) node.textContent = text;
    svg.append(node);
  };
  levels.forEach((level, i) => {
    make("line", { x1: pad, x2: w - pad, y1: y(level.value), y2: y(level.value), stroke: level.colour, class: "threshold" });
    make("text", { x: pad + 4 + i * 110, y: y(level.value) - 4 }, level.name);
  });
  make("polyline", { class: "line", points: series.map((p) => `${x(p.slot)},${y(p.value)}`).join(" ") });
  make("text", { x: 2, y: y(high) + 10 }, number(high, 2));
  make("text", { x: 2, y: y(low) }, number(low, 2));
  $(id + "-caption").textContent = `${series.length} reads from slot ${first} to ${last}; ${describe(series[series.length - 1].value)}.`;
}

function drawCharts(points, reserve) {
  const of = (field) => points.filter((p) => p[field] !== null).map((p) => ({ slot: p.slot, value: p[field] }));
  const thresholds = [
    { name: "CR_crit", value: reserve.cr_crit, colour: "#a4161a" },
    { name: "CR_min", value: reserve.cr_min, colour: "#b35c00" },
    { name: "CR_target", value: reserve.cr_target, colour: "#1d6b35" },
  ];
  drawChart("cr-chart", of("collateral_ratio"), thresholds, (v) => `latest CR ${v.toFixed(4)}`);
  drawChart("supply-chart", of("supply"), [], (v) => `supply now ${number(v)}`);
  drawChart("insurance-chart", of("insurance_pool"), [], (v) => `insurance pool now ${number(v)}`);
}

function showNodes(nodes) {
  $("nodes-section").hidden = nodes.length === 0;
  fillRows($("nodes"), nodes.map((node) => {
    const name = node.audit.split("/").pop();
    const w = node.windows[0];
    if (!w) return [cell(name), cell("–"), cell(node.error || "no window yet", "text bad"), cell("–"), cell("–"), cell("–"), cell("–", "text")];
    return [
      cell(name), cell(String(w.window)), cell(w.status + (w.error ? `: ${w.error}` : ""), "text"),
      cell(w.sigma_p === null ? "–" : w.sigma_p.toFixed(3)), cell(w.breach_upper === null ? "–" : percent(w.breach_upper)),
      cell(w.cash_share === null ? "–" : percent(w.cash_share)), cell(w.input_hash ? w.input_hash.slice(0, 12) + "…" : "–", "text"),
    ];
  }));
}

function showEvents(events) {
  $("events").replaceChildren(...events.slice(0, 15).map((e) => {
    const item = document.createElement("li");
    item.textContent = `slot ${e.slot}: ${e.what}`;
    return item;
  }));
  if (!events.length) $("events").replaceChildren(Object.assign(document.createElement("li"), { textContent: "None seen yet." }));
}

async function refresh() {
  try {
    const [snapshot, history, events, nodes] = await Promise.all(
      ["/api/v1/snapshot", "/api/v1/history?limit=500", "/api/v1/events", "/api/v1/nodes"].map((path) => fetch(path)));
    const body = await snapshot.json();
    showChain(body.chain, body.read_at);
    if (body.data) {
      showReserve(body.data.reserve);
      showSafety(body.data.safety);
      showOracle(body.data.oracle);
      showGovernance(body.data.governance);
      if (history.ok) drawCharts((await history.json()).data, body.data.reserve);
      if (events.ok) showEvents((await events.json()).data);
      if (nodes.ok) showNodes((await nodes.json()).data);
    }
  } catch (error) {
    showChain({ ok: false, error: "the dashboard itself is not answering", last_good_read: null });
  } finally {
    setTimeout(refresh, POLL_MS);
  }
}

refresh();
