// Energy certificates: an account's (claim, retire), and the printable proof of a retirement.
// Every certificate unit is 1 Wh of one asset's production over one period (its vintage).

import * as api from "./api.js";
import { date, energy, esc, short, whole } from "./format.js";
import { session } from "./wallet.js";

const vintage = (c) => `${esc(c.asset_name)} · ${date(c.period_start)} to ${date(c.period_end)}`;

/** The connected account's certificates: claimable parts, holdings per vintage, retirements. */
export async function certificatesScreen({ main, run, live, notice }) {
  if (!session.address) {
    main.innerHTML = `<h1>Certificates</h1><p>Connect your wallet to see your energy certificates.</p>`;
    return;
  }
  const address = session.address;
  const c = await api.get(`/accounts/${address}/certificates`);
  const held = c.holdings.filter((h) => BigInt(h.balance_wh) > 0n);
  main.innerHTML = `<h1>Certificates</h1>
    <p class="muted">Each accepted production report becomes certificates for the holders of the asset at that moment,
      pro rata to their shares: 1 certificate = 1 Wh of one asset's production over one period.</p>
    <div class="stats">
      <div class="stat">Held<b id="held-wh">${energy(c.held_wh)}</b></div>
      <div class="stat">To claim<b id="claimable-wh">${energy(c.claimable_wh)}</b>${c.claimable.length} reports</div>
      <div class="stat">Claimed<b>${energy(c.claimed_wh)}</b></div>
      <div class="stat">Retired<b>${energy(c.retired_wh)}</b></div>
    </div>
    <h2>To claim</h2>
    ${c.claimable.length ? `<button id="claim-certificates" type="button">Claim all (${energy(c.claimable_wh)})</button>` : `<p class="muted">Nothing to claim.</p>`}
    <div class="scroll"><table><thead><tr><th>Report</th><th>Vintage</th><th class="num">Your shares</th><th class="num">Yours</th></tr></thead>
    <tbody>${c.claimable.slice(0, 50).map((p) => `<tr><td>#${p.report_id}</td><td>${vintage(p)}</td><td class="num">${p.shares} / ${p.supply}</td><td class="num">${energy(p.claimable_wh)}</td></tr>`).join("") || `<tr><td colspan="4" class="muted">None.</td></tr>`}</tbody></table></div>
    <h2>Held</h2>
    <div class="scroll"><table id="certificate-holdings"><thead><tr><th>Vintage</th><th class="num">Held</th><th class="num">Claimed</th><th class="num">Retired</th></tr></thead>
    <tbody>${c.holdings.map((h) => `<tr data-token="${h.token_id}"><td>${vintage(h)}</td><td class="num">${energy(h.balance_wh)}</td><td class="num">${energy(h.claimed_wh)}</td><td class="num">${energy(h.retired_wh)}</td></tr>`).join("") || `<tr><td colspan="4" class="muted">No certificates yet.</td></tr>`}</tbody></table></div>
    ${held.length ? `<h2>Retire</h2>
    <p class="muted">Retiring burns certificates for a beneficiary: they can never move again, and the retirement is a public proof.</p>
    <form class="inline" id="retire-form">
      <label>Vintage<select name="token">${held.map((h) => `<option value="${h.token_id}">${vintage(h)} (${energy(h.balance_wh)})</option>`).join("")}</select></label>
      <label>Energy (Wh)<input name="wh" inputmode="numeric" required value="1000"></label>
      <label>Beneficiary<input name="beneficiary" required placeholder="Escola Básica de Évora"></label>
      <label>Purpose<input name="purpose" placeholder="2028 electricity consumption"></label>
      <label>Location of consumption<input name="location" placeholder="Évora, PT"></label>
      <button>Retire</button></form>` : ""}
    <h2>Your retirements</h2>
    <div class="scroll"><table id="retirements"><thead><tr><th>Proof</th><th>Date</th><th>Beneficiary</th><th>Vintage</th><th class="num">Energy</th></tr></thead>
    <tbody>${c.retirements.map((r) => `<tr><td><a href="#/retirement/${r.retirement_id}">Proof #${r.retirement_id}</a></td><td>${date(r.retired_at)}</td><td>${esc(r.beneficiary)}</td><td>${vintage(r)}</td><td class="num">${energy(r.energy_wh)}</td></tr>`).join("") || `<tr><td colspan="5" class="muted">None yet.</td></tr>`}</tbody></table></div>`;
  main.querySelector("#claim-certificates")?.addEventListener("click", () => run("certificates/claim", {}, "Certificates claimed."));
  main.querySelector("#retire-form")?.addEventListener("submit", (event) => {
    event.preventDefault();
    const f = new FormData(event.target);
    let wh;
    try { wh = whole(f.get("wh"), "Energy"); } catch (error) { notice(`Not done: ${error.message}`, "error"); return; }
    run("certificates/retire", {
      token_id: f.get("token"), energy_wh: wh, beneficiary: f.get("beneficiary"),
      purpose: f.get("purpose") ?? "", location: f.get("location") ?? "",
    }, "Certificates retired.");
  });
  live([`account:${address}`, "retirements"]);
}

/** A retirement's public proof, laid out to be printed. */
export async function retirementScreen({ main }, id) {
  const r = await api.get(`/certificates/retirements/${id}`);
  main.innerHTML = `<article class="proof" aria-labelledby="proof-title">
    <h1 id="proof-title">Retirement proof #${r.retirement_id}</h1>
    <p>${energy(r.energy_wh)} of renewable energy (${r.energy_wh} Wh) from <b>${esc(r.asset_name)}</b>,
      produced from ${date(r.period_start)} to ${date(r.period_end)}, were retired on ${date(r.retired_at)}
      for <b class="beneficiary">${esc(r.beneficiary)}</b>.</p>
    <dl>
      <dt>Beneficiary</dt><dd>${esc(r.beneficiary)}</dd>
      <dt>Purpose</dt><dd>${esc(r.purpose) || "–"}</dd>
      <dt>Location of consumption</dt><dd>${esc(r.location) || "–"}</dd>
      <dt>Energy</dt><dd>${r.energy_wh} Wh</dd>
      <dt>Asset</dt><dd>#${r.asset_id} ${esc(r.asset_name)}</dd>
      <dt>Vintage</dt><dd>${date(r.period_start)} to ${date(r.period_end)} (certificate id ${r.token_id})</dd>
      <dt>Retired by</dt><dd title="${esc(r.account)}">${esc(r.account)}</dd>
      <dt>Transaction</dt><dd class="hash">${esc(r.tx_hash)} (block ${r.block_number})</dd>
      <dt>Claim hash</dt><dd class="hash">${esc(r.claim_hash)}</dd>
    </dl>
    <p class="muted">Anyone can check this proof: the transaction emitted <code>CertificatesRetired</code> with these
      details, and the certificates contract keeps the retirement (its <code>retirement(${r.retirement_id})</code> view) with
      the hash of the beneficiary, purpose and location. Retired by ${short(r.account)}.</p>
    <button id="print" type="button" class="no-print">Print</button>
  </article>`;
  main.querySelector("#print").addEventListener("click", () => window.print());
}
