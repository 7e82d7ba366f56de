// A yearly statement (#/statement/<address>/<year>): a printable page, and CSV / JSON downloads.
// Definitions of every figure: docs/architecture/api/statements.md.

import * as api from "./api.js";
import { date, energy, esc, short, units } from "./format.js";

const path = (address, year) => `/accounts/${address}/statements/${year}`;

/** Saves `text` as a file named `name` (a link to a Blob: no navigation, nothing inline). */
function save(text, type, name) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = document.createElement("a");
  link.href = url;
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

function row(label, value) {
  return `<tr><th scope="row">${esc(label)}</th><td class="num">${value}</td></tr>`;
}

function tx(line) {
  return `<span class="tx" title="${esc(line.tx_hash)}">${esc(short(line.tx_hash))} · ${line.block_number}/${line.log_index}</span>`;
}

function lines(section, money) {
  const t = section.trades;
  const out = [];
  const add = (kind, line, shares, amount, detail = "") => out.push({ kind, line, shares, amount, detail });
  for (const p of t.purchases) add("Purchase", p, p.shares, money(p.cost), `at ${money(p.price_per_share)}`);
  for (const r of t.refunds) add("Refund", r, r.shares, money(r.amount));
  for (const b of t.market_buys) add("Market buy", b, b.shares, money(b.paid), `at ${money(b.price_per_share)} from ${short(b.counterparty)}`);
  for (const s of t.market_sells) add("Market sell", s, s.shares, money(s.proceeds), `at ${money(s.price_per_share)}, fee ${money(s.fee)}, to ${short(s.counterparty)}`);
  for (const i of t.transfers_in) add("Transfer in", i, i.shares, "", `from ${short(i.counterparty)}`);
  for (const o of t.transfers_out) add("Transfer out", o, o.shares, "", `to ${short(o.counterparty)}`);
  for (const d of section.revenue.deposits) add("Revenue earned", d, d.shares, money(d.earned), `deposit #${d.deposit_id}`);
  for (const c of section.revenue.claims) add("Revenue claimed", c, "", money(c.amount), `to ${short(c.recipient)}`);
  for (const e of section.energy.reports) add("Energy", e, e.shares, energy(e.attributed_wh), `report #${e.report_id}, ${date(e.period_start)}–${date(e.period_end)}`);
  out.sort((a, b) => a.line.block_number - b.line.block_number || a.line.log_index - b.line.log_index);
  return out;
}

function assetSection(section, decimals, symbol) {
  const money = (v) => `${units(v, decimals)} ${esc(symbol)}`;
  const s = section.shares;
  const r = section.revenue;
  const c = section.certificates;
  const items = lines(section, money);
  return `<section class="statement-asset" aria-labelledby="asset-${section.asset_id}">
    <h2 id="asset-${section.asset_id}">${esc(section.name)} <span class="muted">(${esc(section.symbol)})</span></h2>
    <div class="statement-figures">
      <table><caption>Shares</caption><tbody>
        ${row("At the start", units(s.start))}${row("Purchased", units(s.purchased))}${row("Refunded", units(s.refunded))}
        ${row("Bought on the market", units(s.bought))}${row("Sold on the market", units(s.sold))}
        ${row("Transferred in", units(s.transferred_in))}${row("Transferred out", units(s.transferred_out))}
        ${row("At the end", units(s.end))}</tbody></table>
      <table><caption>Money</caption><tbody>
        ${row("Purchases paid", money(section.trades.purchases_cost))}${row("Refunds received", money(section.trades.refunds_amount))}
        ${row("Market buys paid", money(section.trades.market_buys_paid))}${row("Market sells received", money(section.trades.market_sells_proceeds))}
        ${row("Market fees on sells", money(section.trades.market_sells_fees))}</tbody></table>
      <table><caption>Revenue</caption><tbody>
        ${row("Unclaimed at the start", money(r.unclaimed_start))}${row("Earned", money(r.earned))}
        ${row("Claimed", money(r.claimed))}${row("Earned, not yet claimed at the end", money(r.unclaimed_end))}</tbody></table>
      <table><caption>Energy and certificates</caption><tbody>
        ${row("Energy attributed", energy(section.energy.attributed_wh))}
        ${c.available ? row("Certificates claimed", energy(c.claimed_wh)) + row("Certificates retired", energy(c.retired_wh))
          : row("Certificates", "none on this platform yet")}</tbody></table>
    </div>
    <div class="scroll"><table class="statement-lines"><caption>Every line, with its transaction (block/log)</caption>
      <thead><tr><th>Date</th><th>What</th><th class="num">Shares</th><th class="num">Amount</th><th>Detail</th><th>Transaction</th></tr></thead>
      <tbody>${items.map((i) => `<tr><td>${date(i.line.timestamp)}</td><td>${i.kind}</td><td class="num">${i.shares === "" ? "" : units(i.shares)}</td><td class="num">${i.amount}</td><td>${esc(i.detail)}</td><td>${tx(i.line)}</td></tr>`).join("")
        || `<tr><td colspan="6" class="muted">No lines this year.</td></tr>`}</tbody></table></div>
  </section>`;
}

/**
 * Renders the statement of `address` for `year` into `main`.
 * `payment(assetId)` gives { decimals, symbol } of the asset's payment token.
 */
export async function statementScreen(main, { address, year, signedIn, payment, notice }) {
  const heading = `<h1>Statement ${esc(year)}</h1>`;
  if (!signedIn) {
    main.innerHTML = `${heading}<p>Connect your wallet and sign in: statements are private to their account and to the addresses it grants.</p>`;
    return;
  }
  const other = `<form class="inline no-print" id="statement-form">
      <label>Account<input name="address" value="${esc(address)}" size="44" required></label>
      <label>Year<input name="year" value="${esc(year)}" inputmode="numeric" size="6" required></label>
      <button class="secondary">Open</button></form>`;
  const nav = `<p class="actions no-print"><a href="#/statement/${esc(address)}/${Number(year) - 1}">← ${Number(year) - 1}</a>
      <a href="#/statement/${esc(address)}/${Number(year) + 1}">${Number(year) + 1} →</a></p>`;
  let statement;
  try {
    statement = await api.get(path(address, year));
  } catch (error) {
    main.innerHTML = `${heading}${other}${nav}<p class="notice error">No statement: ${esc(error.problem?.detail || error.message)}</p>`;
    wire(main, address, year, notice);
    return;
  }
  const p = statement.period;
  main.innerHTML = `${heading}
    <p class="statement-meta">Account <span class="account">${esc(statement.account)}</span><br>
      ${date(p.start)} to ${date(p.end - 1)} (UTC)${p.complete ? "" : ` · <strong>year in progress</strong>: figures at the end are as of indexed block ${statement.indexed_block}`}<br>
      <span class="muted">Every amount is traceable to its transaction; definitions in ${esc(statement.definitions)}.</span></p>
    <p class="actions no-print">
      <button type="button" id="download-csv">Download CSV</button>
      <button type="button" id="download-json" class="secondary">Download JSON</button>
      <button type="button" id="print" class="secondary">Print</button></p>
    ${other}${nav}
    ${statement.assets.map((s) => {
      const pay = payment(s.asset_id);
      return assetSection(s, pay.decimals, pay.symbol);
    }).join("") || `<p class="muted">Nothing to state for ${esc(year)}: no shares, trades, revenue or energy.</p>`}`;
  const name = `statement-${statement.account}-${year}`;
  main.querySelector("#download-csv").addEventListener("click", async () => {
    try {
      save(await api.getText(`${path(address, year)}?format=csv`, "text/csv"), "text/csv", `${name}.csv`);
    } catch (error) { notice(`Not downloaded: ${error.problem?.detail || error.message}`, "error"); }
  });
  main.querySelector("#download-json").addEventListener("click", () => {
    save(JSON.stringify(statement, null, 2), "application/json", `${name}.json`);
  });
  main.querySelector("#print").addEventListener("click", () => window.print());
  wire(main, address, year, notice);
}

function wire(main, address, year, notice) {
  main.querySelector("#statement-form")?.addEventListener("submit", (event) => {
    event.preventDefault();
    const f = new FormData(event.target);
    const account = String(f.get("address")).trim();
    const when = String(f.get("year")).trim();
    if (!/^0x[0-9a-fA-F]{40}$/.test(account) || !/^\d{4}$/.test(when)) {
      notice("Not opened: an account is 0x and 40 hexadecimal digits, a year four digits.", "error");
      return;
    }
    location.hash = `#/statement/${account}/${when}`;
  });
}
