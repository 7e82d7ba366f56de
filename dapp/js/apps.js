// Third-party apps (OAuth 2.0): the consent screen an app sends the holder to, and the list of
// apps the holder has authorised, each revocable.

import * as api from "./api.js";
import { esc } from "./format.js";
import { session } from "./wallet.js";

/** The consent screen of an authorization request (`query`: its query string, as received). */
export async function consentScreen(main, query, notice) {
  const request = await api.get(`/oauth/authorize/request?${query}`);
  const ready = session.signedIn;
  main.innerHTML = `<h1>Authorise ${esc(request.client_name)}</h1>
    <section id="consent" class="card">
      <p>The app <strong id="consent-client">${esc(request.client_name)}</strong> asks to:</p>
      <ul id="consent-scopes">${request.scopes.map((s) => `<li><code>${esc(s.name)}</code>: ${esc(s.description)}</li>`).join("")}</ul>
      <p>Your answer is sent back to <code id="consent-redirect">${esc(request.redirect_uri)}</code>.</p>
      <p class="muted">No app can prepare or sign transactions for you: those stay in your wallet. You can revoke it at any time under <a href="#/apps">Apps</a>.</p>
      ${ready ? "" : `<p id="consent-signin">Connect your wallet and sign in to answer.</p>`}
      <p><button id="approve" type="button" ${ready ? "" : "disabled"}>Approve</button>
         <button id="deny" type="button" ${ready ? "" : "disabled"}>Deny</button></p>
    </section>`;
  const decide = async (approve) => {
    try {
      const answer = await api.post("/oauth/authorize", { query, approve });
      notice(approve ? `Approved: returning to ${request.client_name}…` : "Denied.", "ok");
      location.assign(answer.redirect_to);
    } catch (error) {
      notice(`Not done: ${error.problem?.detail || error.message}`, "error");
    }
  };
  main.querySelector("#approve").addEventListener("click", () => decide(true));
  main.querySelector("#deny").addEventListener("click", () => decide(false));
}

/** The apps the signed-in holder authorised, with their scopes and last use; each revocable. */
export async function appsScreen(main, notice, again) {
  if (!session.signedIn) {
    main.innerHTML = `<h1>Apps</h1><p>Connect and sign in to see the apps you authorised.</p>`;
    return;
  }
  const apps = await api.get("/me/apps");
  const when = (text) => (text ? new Date(text).toLocaleString() : "never");
  main.innerHTML = `<h1>Apps</h1>
    <p class="muted">Apps you let read your data. Revoking one stops its tokens at once.</p>
    <div class="scroll"><table id="apps"><thead><tr><th>App</th><th>Scopes</th><th>Authorised</th><th>Last used</th><th>Action</th></tr></thead>
    <tbody>${apps.map((a) => `<tr data-client="${esc(a.client_id)}"><td>${esc(a.name)}</td><td>${a.scopes.map((s) => `<code>${esc(s)}</code>`).join(" ")}</td><td>${when(a.granted_at)}</td><td>${when(a.last_used_at)}</td><td><button type="button" data-revoke="${esc(a.client_id)}" aria-label="Revoke ${esc(a.name)}">Revoke</button></td></tr>`).join("")
      || `<tr><td colspan="5" class="muted">No app holds an authorisation of yours.</td></tr>`}</tbody></table></div>`;
  for (const el of main.querySelectorAll("[data-revoke]")) {
    el.addEventListener("click", async () => {
      try {
        await api.del(`/me/apps/${encodeURIComponent(el.dataset.revoke)}`);
        notice("App revoked.", "ok");
        await again();
      } catch (error) {
        notice(`Not revoked: ${error.problem?.detail || error.message}`, "error");
      }
    });
  }
}
