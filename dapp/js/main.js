// The dApp: routes (#/, #/asset/<id>, #/portfolio, #/certificates, #/retirement/<id>,
// #/statement/<address>/<year>, #/operator, #/apps, #/authorize?<request>),
// views, actions and live updates.

import * as api from "./api.js";
import { certificatesScreen, retirementScreen } from "./certificates.js";
import { follow } from "./feed.js";
import { date, energy, esc, percent, power, short, toBase, units, whole } from "./format.js";
import { productionChart } from "./chart.js";
import { appsScreen, consentScreen } from "./apps.js";
import { statementScreen } from "./statement.js";
import { act, connect, onChange, restore, session, signIn } from "./wallet.js";

const $ = (selector) => document.querySelector(selector);
const main = $("#main");
let config = null;
let assets = new Map(); // asset id -> summary (for names and payment token decimals)
let render = null; // the current screen's render function, run again on live changes
let pending = null;

// -- notices and actions -----------------------------------------------------------------------

function notice(text, kind = "") {
  const box = $("#notice");
  box.hidden = !text;
  box.className = `notice ${kind}`;
  box.textContent = text || "";
}

let busy = false;

/** Runs an action from a button or form: reasons of failures are shown as they come. */
async function run(action, body, done) {
  if (busy) {
    notice("Wait for the action in progress to finish.", "error");
    return;
  }
  busy = true;
  main.setAttribute("aria-busy", "true");
  try {
    await act(action, body, (text) => notice(text));
    notice(done, "ok");
    await refresh({ keepTyped: false });
  } catch (error) {
    const reason = error.problem?.detail || error.message || String(error);
    notice(`Not done: ${reason}`, "error");
  } finally {
    busy = false;
    main.removeAttribute("aria-busy");
  }
}

/** What names a control across a re-render: its form, name, data attributes and text. */
function controlKey(el) {
  const form = el.form ?? el.closest("form");
  return [el.tagName, el.id, el.name, form?.id, JSON.stringify(form?.dataset ?? {}),
    JSON.stringify(el.dataset), el.getAttribute("href"), el.tagName === "BUTTON" ? el.textContent : ""].join("|");
}

/**
 * Renders the screen again (after a live event or an action) keeping what the user was doing:
 * the focused control and the values typed into fields.
 */
async function refresh({ keepTyped = true } = {}) {
  if (!render) return;
  const typed = new Map();
  for (const el of keepTyped ? main.querySelectorAll("input, select") : []) {
    const changed = el.tagName === "SELECT" ? [...el.options].some((o) => o.selected !== o.defaultSelected) : el.value !== el.defaultValue;
    if (changed) typed.set(controlKey(el), el.value);
  }
  const focused = main.contains(document.activeElement) && document.activeElement !== main
    ? controlKey(document.activeElement) : null;
  await render();
  for (const el of main.querySelectorAll("input, select")) {
    const value = typed.get(controlKey(el));
    if (value !== undefined) el.value = value;
  }
  if (focused) [...main.querySelectorAll("a, button, input, select")].find((el) => controlKey(el) === focused)?.focus({ preventScroll: true });
  await chainStatus();
}

function decimalsOf(assetId) {
  return assets.get(String(assetId))?.payment_token?.decimals ?? 6;
}

function tokenSymbol(assetId) {
  return assets.get(String(assetId))?.payment_token?.symbol ?? "";
}

async function loadAssets() {
  const list = await api.all("/assets?limit=200");
  assets = new Map(list.map((a) => [String(a.asset_id), a]));
  return list;
}

async function chainStatus() {
  const status = await api.get("/status");
  $("#chain-status").textContent = `Chain ${status.chain_id} · block ${status.indexed_block} indexed`;
}

// One refresh per commit: its messages arrive together, within a few milliseconds; the REST reads
// then already answer for the new block (the API reads the indexed block for each cached read).
const LIVE_COALESCE_MS = 25;

function live(names) {
  follow(names, () => {
    clearTimeout(pending);
    pending = setTimeout(() => refresh().catch(() => {}), LIVE_COALESCE_MS);
  });
}

// -- screens -----------------------------------------------------------------------------------

async function assetsScreen() {
  const list = await loadAssets();
  main.innerHTML = `<h1>Assets</h1>
    <div class="grid" role="list">${list.map(card).join("")}</div>`;
  fillBars(main);
}

/** Sizes progress bars from their `data-fill` percentage: through the CSSOM, which the page's
 * Content-Security-Policy allows (an inline `style` attribute it refuses). */
function fillBars(root) {
  for (const bar of root.querySelectorAll("[data-fill]")) bar.style.width = `${bar.dataset.fill}%`;
}

function card(a) {
  const sold = Math.min(10000, a.funding.sold_bps);
  return `<article class="card" role="listitem">
    <a class="stretch" href="#/asset/${a.asset_id}">
      <h3>${esc(a.name)}</h3>
      <p class="muted">${esc(a.location)} · ${power(a.capacity_watts)}</p>
      <span class="tag">${esc(a.kind)}</span><span class="tag">${esc(a.status)}</span>
      <div class="progress" role="progressbar" aria-label="Funding of ${esc(a.name)}"
        aria-valuemin="0" aria-valuemax="100" aria-valuenow="${(sold / 100).toFixed(0)}"><span data-fill="${sold / 100}"></span></div>
      <p class="muted">${percent(sold)} funded · ${a.holder_count} holders · ${energy(a.energy_wh)} produced</p>
    </a></article>`;
}

async function assetScreen(id) {
  await loadAssets();
  const [a, production, deposits, holders, proposals, listings] = await Promise.all([
    api.get(`/assets/${id}`),
    api.get(`/assets/${id}/production?bucket=month&order=desc&limit=24`),
    api.get(`/assets/${id}/revenue/deposits?order=desc&limit=12`),
    api.get(`/assets/${id}/holders?limit=20`),
    api.get(`/assets/${id}/proposals?limit=20`),
    api.get(`/market/listings?asset_id=${id}&status=open&sort=price&limit=50`),
  ]);
  const d = a.payment_token.decimals ?? 6;
  const sym = a.payment_token.symbol ?? "";
  const me = session.address?.toLowerCase();
  const mine = holders.data.find((h) => h.account.toLowerCase() === me);
  main.innerHTML = `
    <h1>${esc(a.name)} <span class="tag">${esc(a.kind)}</span><span class="tag">${esc(a.status)}</span></h1>
    <div class="stats">
      <div class="stat">Capacity<b>${power(a.capacity_watts)}</b></div>
      <div class="stat">Location<b>${esc(a.location)}</b></div>
      <div class="stat">Funding<b>${percent(a.funding.sold_bps)}</b>${units(a.funding.shares_sold)} of ${units(a.funding.total_shares)} shares</div>
      <div class="stat">Share price<b>${units(a.share_price, d)} ${esc(sym)}</b>last trade ${a.last_price ? units(a.last_price, d) : "–"}</div>
      <div class="stat">Produced<b>${energy(a.production.energy_wh ?? a.energy_wh)}</b></div>
      <div class="stat">Revenue distributed<b>${units(a.revenue_distributed, d)} ${esc(sym)}</b></div>
      <div class="stat">Holders<b>${a.holder_count}</b></div>
      <div class="stat">Your shares<b id="my-shares">${mine ? units(mine.balance) : "0"}</b>claimable ${mine ? units(mine.claimable, d) : "0"} ${esc(sym)}</div>
    </div>
    <h2>Act</h2>
    ${actionsFor(a)}
    <h2>Production per month</h2>
    ${productionChart([...production.data].reverse())}
    <h2>Market</h2>
    <div class="scroll"><table><caption class="muted">Open listings, cheapest first</caption>
      <thead><tr><th>Listing</th><th>Seller</th><th class="num">Shares left</th><th class="num">Price</th><th>Expires</th><th>Action</th></tr></thead>
      <tbody>${listings.data.map((l) => listingRow(l, d)).join("") || `<tr><td colspan="6" class="muted">No open listing.</td></tr>`}</tbody></table></div>
    <h2>Proposals</h2>
    <div class="scroll"><table><thead><tr><th>Proposal</th><th>State</th><th class="num">For</th><th class="num">Against</th><th class="num">Abstain</th><th>Vote</th></tr></thead>
      <tbody>${proposals.data.map(proposalRow).join("") || `<tr><td colspan="6" class="muted">No proposal yet.</td></tr>`}</tbody></table></div>
    <h2>Revenue deposits</h2>
    <div class="scroll"><table><thead><tr><th>Date</th><th class="num">Gross</th><th class="num">To holders</th><th class="num">Fee</th><th class="num">Reserve</th></tr></thead>
      <tbody>${deposits.data.map((x) => `<tr><td>${date(x.block_timestamp)}</td><td class="num">${units(x.gross, d)}</td><td class="num">${units(x.distributed, d)}</td><td class="num">${units(x.fee, d)}</td><td class="num">${units(x.reserve, d)}</td></tr>`).join("") || `<tr><td colspan="5" class="muted">No deposit yet.</td></tr>`}</tbody></table></div>
    <h2>Holders</h2>
    <div class="scroll"><table><thead><tr><th>Holder</th><th class="num">Shares</th><th class="num">Of supply</th><th class="num">Votes</th></tr></thead>
      <tbody>${holders.data.map((h) => `<tr><td title="${esc(h.account)}">${short(h.account)}</td><td class="num">${units(h.balance)}</td><td class="num">${percent(h.supply_bps)}</td><td class="num">${units(h.votes)}</td></tr>`).join("")}</tbody></table></div>`;
  wireAsset(a);
  live([`asset:${id}`, ...(session.address ? [`account:${session.address}`] : [])]);
}

function actionsFor(a) {
  const open = a.funding.state === "open";
  const failed = a.funding.state === "failed";
  const active = a.status === "active";
  return `<div class="actions">
    ${open ? `<form class="inline" id="buy-form"><label>Shares to buy<input name="shares" inputmode="numeric" required value="10"></label>
      <label>Pay with<select name="method"><option value="permit">a signed permit, then one transaction</option><option value="approve">an approval transaction, then the purchase</option></select></label>
      <button>Buy shares</button></form>` : ""}
    ${failed ? `<button id="refund" type="button">Take my refund</button>` : ""}
    <button id="claim" type="button">Claim revenue</button>
    <button id="delegate" type="button" class="secondary">Vote with my shares (self-delegate)</button>
  </div>
  ${active ? `<form class="inline" id="list-form">
      <label>Shares to sell<input name="shares" inputmode="numeric" required value="5"></label>
      <label>Price per share (${esc(a.payment_token.symbol ?? "")})<input name="price" inputmode="decimal" required value="${units(a.last_price ?? a.share_price, a.payment_token.decimals ?? 6)}"></label>
      <label>Days listed<input name="days" inputmode="numeric" required value="7"></label>
      <button>List on the market</button></form>
    <form class="inline" id="propose-form">
      <label>New proposal<input name="description" required placeholder="Replace the inverters in 2029"></label>
      <button>Propose</button></form>` : ""}`;
}

function listingRow(l, d) {
  const me = session.address?.toLowerCase();
  const own = me && l.seller.toLowerCase() === me;
  const action = own
    ? `<button type="button" class="secondary" data-cancel="${l.listing_id}" aria-label="Cancel listing #${l.listing_id}">Cancel</button>`
    : `<form class="inline fill-form" data-listing="${l.listing_id}"><label>Shares<input name="shares" inputmode="numeric" value="${l.remaining}" aria-label="Shares to buy from listing ${l.listing_id}"></label><button aria-label="Buy from listing #${l.listing_id}">Buy</button></form>`;
  return `<tr><td>#${l.listing_id}</td><td title="${esc(l.seller)}">${short(l.seller)}</td><td class="num">${units(l.remaining)}</td><td class="num">${units(l.price_per_share, d)}</td><td>${date(l.expires_at)}</td><td>${action}</td></tr>`;
}

function proposalRow(p) {
  const t = p.tally;
  const vote = p.state === "active"
    ? ["for", "against", "abstain"].map((s) => `<button type="button" class="secondary" data-vote="${s}" data-proposal="${p.proposal_id}" aria-describedby="proposal-${p.proposal_id}">${s}</button>`).join(" ")
    : "";
  return `<tr><td id="proposal-${p.proposal_id}">${esc(p.description.split("\n")[0].slice(0, 80))}</td><td>${esc(p.state)}</td><td class="num">${units(t.for_votes)}</td><td class="num">${units(t.against_votes)}</td><td class="num">${units(t.abstain_votes)}</td><td>${vote}</td></tr>`;
}

function wireAsset(a) {
  const id = a.asset_id;
  const d = a.payment_token.decimals ?? 6;
  const form = (selector, handler) => {
    const el = main.querySelector(selector);
    if (el) el.addEventListener("submit", (event) => { event.preventDefault(); handler(new FormData(el)); });
  };
  const click = (selector, handler) => {
    for (const el of main.querySelectorAll(selector)) el.addEventListener("click", () => handler(el));
  };
  form("#buy-form", (f) => run("buy", { asset_id: id, shares: f.get("shares"), method: f.get("method") }, "Shares bought."));
  click("#refund", () => run("refund", { asset_id: id }, "Refund taken."));
  click("#claim", () => run("claim", { asset_id: id }, "Revenue claimed."));
  click("#delegate", () => run("delegate", { asset_id: id, delegatee: session.address }, "Your shares now vote."));
  form("#list-form", (f) => {
    let price;
    try { price = toBase(f.get("price"), d); } catch (error) { notice(`Not done: ${error.message}`, "error"); return; }
    const expires = Number(a.indexed_at) + Number(f.get("days")) * 86400;
    run("market/list", { asset_id: id, shares: f.get("shares"), price_per_share: price, expires_at: String(expires) }, "Listed.");
  });
  form("#propose-form", (f) => run("propose", {
    asset_id: id, targets: [a.share_token], values: ["0"], calldatas: ["0x"], description: f.get("description"),
  }, "Proposal made."));
  for (const el of main.querySelectorAll(".fill-form")) {
    el.addEventListener("submit", (event) => {
      event.preventDefault();
      run("market/fill", { listing_id: el.dataset.listing, shares: new FormData(el).get("shares") }, "Shares bought on the market.");
    });
  }
  click("[data-cancel]", (el) => run("market/cancel", { listing_id: el.dataset.cancel }, "Listing withdrawn."));
  click("[data-vote]", (el) => run("vote", { asset_id: id, proposal_id: el.dataset.proposal, support: el.dataset.vote }, "Vote cast."));
}

async function portfolioScreen() {
  if (!session.address) {
    main.innerHTML = `<h1>Portfolio</h1><p>Connect your wallet to see your holdings.</p>`;
    return;
  }
  await loadAssets();
  const address = session.address;
  const [p, history] = await Promise.all([
    api.get(`/accounts/${address}`),
    api.get(`/accounts/${address}/history?limit=20`),
  ]);
  const statementYear = history.data.length ? new Date(history.data[0].timestamp * 1000).getUTCFullYear() : new Date().getUTCFullYear();
  main.innerHTML = `<h1>Portfolio</h1>
    <p class="muted">${esc(address)} · as of block ${p.indexed_block}</p>
    <p><a id="statement-link" href="#/statement/${address}/${statementYear}">Yearly statement ${statementYear}</a> <span class="muted">(sign-in needed; printable, CSV and JSON)</span></p>
    <div class="scroll"><table id="holdings"><thead><tr><th>Asset</th><th class="num">Shares</th><th class="num">Value</th><th class="num">Claimable</th><th class="num">Energy yours</th><th class="num">Votes</th><th>Action</th></tr></thead>
    <tbody>${p.holdings.map((h) => {
      const d = decimalsOf(h.asset_id);
      return `<tr data-asset="${h.asset_id}"><td><a href="#/asset/${h.asset_id}">${esc(h.name)}</a></td><td class="num balance">${units(h.balance)}</td><td class="num">${units(h.value, d)} ${esc(tokenSymbol(h.asset_id))}</td><td class="num claimable">${units(h.claimable, d)}</td><td class="num">${energy(h.energy_wh)}</td><td class="num">${units(h.votes)}</td><td>${BigInt(h.claimable) > 0n ? `<button type="button" data-claim="${h.asset_id}" aria-label="Claim revenue of ${esc(h.name)}">Claim</button>` : ""}</td></tr>`;
    }).join("") || `<tr><td colspan="7" class="muted">No shares yet: pick an asset and buy some.</td></tr>`}</tbody></table></div>
    <h2>History</h2>
    <div class="scroll"><table><thead><tr><th>Date</th><th>What</th><th>Asset</th><th class="num">Shares</th><th class="num">Amount</th></tr></thead>
    <tbody>${history.data.map((x) => `<tr><td>${date(x.timestamp)}</td><td>${esc(x.kind)}</td><td>${esc(assets.get(String(x.asset_id))?.name ?? x.asset_id)}</td><td class="num">${x.shares ? units(x.shares) : ""}</td><td class="num">${x.amount ? units(x.amount, decimalsOf(x.asset_id)) : ""}</td></tr>`).join("")}</tbody></table></div>`;
  for (const el of main.querySelectorAll("[data-claim]")) {
    el.addEventListener("click", () => run("claim", { asset_id: el.dataset.claim }, "Revenue claimed."));
  }
  // The account's own events, and its assets' (a price or a deposit changes what it holds).
  live([`account:${address}`, ...p.holdings.slice(0, 30).map((h) => `asset:${h.asset_id}`)]);
}

async function operatorScreen() {
  if (!session.signedIn) {
    main.innerHTML = `<h1>Operator</h1><p>Connect and sign in with an operator's account.</p>`;
    return;
  }
  const [dash, readings] = await Promise.all([api.get("/operator/assets"), api.get("/operator/readings"), loadAssets()]);
  const list = dash.assets ?? dash.data ?? [];
  main.innerHTML = `<h1>Operator</h1>
    <h2>Your assets</h2>
    <form class="inline" id="deposit-form"><label>Asset<select name="asset">${list.map((a) => `<option value="${a.asset_id}">${esc(a.name)}</option>`).join("")}</select></label>
      <label>Revenue to deposit<input name="amount" inputmode="decimal" required value="1000"></label><button>Deposit revenue</button></form>
    <h2>Meter readings waiting</h2>
    <div class="scroll"><table><thead><tr><th>Asset</th><th>Meter</th><th>Period</th><th class="num">Energy</th><th>Action</th></tr></thead>
    <tbody>${(readings.data ?? readings).map((r) => `<tr><td>${esc(r.asset_id)}</td><td>${short(r.meter)}</td><td>${date(r.period_start)}–${date(r.period_end)}</td><td class="num">${energy(r.energy_wh)}</td><td><button type="button" data-meter="${r.meter}" data-start="${r.period_start}">Submit on chain</button></td></tr>`).join("") || `<tr><td colspan="5" class="muted">None.</td></tr>`}</tbody></table></div>
    <h2>Register an asset</h2>
    <form class="inline" id="register-form">
      <label>Name<input name="name" required></label><label>Symbol<input name="symbol" required></label>
      <label>Kind<select name="kind"><option>solar</option><option>wind</option><option>hydro</option><option>storage</option></select></label>
      <label>Capacity (kW)<input name="kw" inputmode="numeric" required value="1000"></label>
      <label>Location<input name="location" required value="PT:Évora"></label>
      <label>Shares<input name="shares" inputmode="numeric" required value="10000"></label>
      <label>Price per share<input name="price" inputmode="decimal" required value="100"></label>
      <label>Sale days<input name="days" inputmode="numeric" required value="30"></label>
      <button>Register</button></form>`;
  main.querySelector("#deposit-form")?.addEventListener("submit", (event) => {
    event.preventDefault();
    const f = new FormData(event.target);
    try {
      run("revenue/deposit", { asset_id: f.get("asset"), amount: toBase(f.get("amount"), decimalsOf(f.get("asset"))) }, "Revenue deposited.");
    } catch (error) { notice(`Not done: ${error.message}`, "error"); }
  });
  for (const el of main.querySelectorAll("[data-meter]")) {
    el.addEventListener("click", () => run("readings/submit", { meter: el.dataset.meter, period_start: Number(el.dataset.start) }, "Reading submitted."));
  }
  main.querySelector("#register-form")?.addEventListener("submit", async (event) => {
    event.preventDefault();
    const f = new FormData(event.target);
    const status = await api.get("/status");
    const block = await window.ethereum.request({ method: "eth_getBlockByNumber", params: [`0x${status.chain_head.toString(16)}`, false] });
    const now = parseInt(block.timestamp, 16);
    let shares, price, kw, days;
    try {
      shares = BigInt(whole(f.get("shares"), "Shares"));
      kw = Number(whole(f.get("kw"), "Capacity"));
      days = Number(whole(f.get("days"), "Sale days"));
      price = BigInt(toBase(f.get("price"), 6));
    } catch (error) { notice(`Not done: ${error.message}`, "error"); return; }
    run("assets/register", {
      kind: f.get("kind"), capacity_watts: kw * 1000, name: f.get("name"), symbol: f.get("symbol"),
      location: f.get("location"), metadata_uri: "", reserve_bps: 500,
      sale: { total_shares: shares.toString(), share_price: price.toString(), start: String(now + 60),
        end: String(now + days * 86400), min_raise: ((shares * price) / 2n).toString(),
        max_shares_per_buyer: shares.toString(), treasury: session.address },
      governance: { voting_delay: 86_400, voting_period: 7 * 86_400, proposal_threshold: "1", quorum_percent: 10, timelock_delay: 2 * 86_400 },
    }, "Asset registered.");
  });
}

// -- routing and the wallet bar ----------------------------------------------------------------

async function route() {
  const hash = location.hash || "#/";
  for (const link of document.querySelectorAll("nav a")) {
    link.toggleAttribute("aria-current", link.getAttribute("href") === hash);
    if (link.hasAttribute("aria-current")) link.setAttribute("aria-current", "page");
  }
  const asset = hash.match(/^#\/asset\/(\d+)$/);
  const statement = hash.match(/^#\/statement\/(0x[0-9a-fA-F]{40})\/(\d{1,4})$/);
  const consent = hash.match(/^#\/authorize\?(.*)$/);
  const proof = hash.match(/^#\/retirement\/(\d+)$/);
  const screen = { main, run, live, notice };
  render = asset ? () => assetScreen(asset[1])
    : consent ? () => consentScreen(main, consent[1], notice)
    : statement ? () => loadAssets().then(() => statementScreen(main, {
      address: statement[1], year: statement[2], signedIn: session.signedIn, notice,
      payment: (id) => ({ decimals: decimalsOf(id), symbol: tokenSymbol(id) }),
    }))
    : proof ? () => retirementScreen(screen, proof[1])
    : hash === "#/certificates" ? () => certificatesScreen(screen)
    : hash === "#/portfolio" ? portfolioScreen
    : hash === "#/operator" ? operatorScreen
    : hash === "#/apps" ? () => appsScreen(main, notice, () => refresh())
    : assetsScreen;
  if (!asset && !statement && !proof && hash !== "#/portfolio" && hash !== "#/certificates") {
    live(["blocks"]);
  }
  try {
    await render();
  } catch (error) {
    main.innerHTML = `<p class="notice error">Could not load this page: ${esc(error.message)}</p>`;
  }
  const heading = main.querySelector("h1")?.firstChild?.textContent.trim();
  document.title = heading ? `${heading} · Energy co-ownership` : "Energy co-ownership";
  main.focus({ preventScroll: true });
}

function walletBar() {
  $("#account").textContent = session.address ? `${short(session.address)}${session.signedIn ? " · signed in" : ""}` : "";
  $("#connect").textContent = session.address ? "Reconnect" : "Connect wallet";
  $("#signin").hidden = !session.address || session.signedIn;
  // Local chains only: the API says whether its faucet serves this chain.
  $("#faucet").hidden = !config?.faucet || !session.address;
}

/** Test mUSDC for the connected account from the local chain's faucet (no wallet prompt). */
async function tapFaucet() {
  const button = $("#faucet");
  button.disabled = true;
  try {
    const tap = await api.post("/faucet", { address: session.address });
    const gas = tap.gas_topped_up ? " and test ETH for gas" : "";
    notice(`Received ${units(tap.amount, 6)} test mUSDC${gas}: you now hold ${units(tap.balance, 6)} mUSDC.`, "ok");
    await refresh({ keepTyped: true });
  } catch (error) {
    notice(`No test mUSDC: ${error.problem?.detail || error.message}`, "error");
  } finally {
    button.disabled = false;
  }
}

async function start() {
  config = await api.get("/dapp/config");
  await chainStatus();
  onChange(() => { walletBar(); refresh().catch(() => {}); });
  $("#connect").addEventListener("click", async () => {
    try {
      await connect(config);
      notice("Wallet connected. Sign in to act as this account.", "ok");
    } catch (error) {
      notice(`Could not connect: ${error.message}`, "error");
    }
  });
  $("#signin").addEventListener("click", async () => {
    try {
      await signIn();
      notice("Signed in.", "ok");
    } catch (error) {
      notice(`Could not sign in: ${error.problem?.detail || error.message}`, "error");
    }
  });
  $("#faucet").addEventListener("click", tapFaucet);
  // Disabled in the page until here: a click before the handler existed did nothing at all.
  $("#connect").disabled = false;
  window.addEventListener("hashchange", route);
  await restore(config).catch(() => {});
  walletBar();
  await route();
}

start().catch((error) => notice(`The platform is not reachable: ${error.message}`, "error"));
