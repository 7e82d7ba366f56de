// The dApp in headless Chromium against the real stack: two investors with injected test wallets.
// Run by tests/dapp/test_browser.py, which starts the chain, the indexer and the API and passes:
// APP_URL, RPC_URL, ASSET (an active asset), KEY_A (a holder of it with revenue to claim),
// KEY_B (another investor), KEY_OPERATOR (an operator), OAUTH_CLIENT (a public OAuth client
// whose redirect URI is APP_URL/docs/oauth2-redirect), SHOTS (where screenshots go). Exits
// non-zero on the first failure.

import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { mkdirSync } from "node:fs";
import { chromium } from "playwright-core";
import { generatePrivateKey } from "viem/accounts";
import { injectWallet, rpc } from "./wallet.mjs";

const { APP_URL, RPC_URL, ASSET, KEY_A, KEY_B, KEY_OPERATOR, OAUTH_CLIENT, SHOTS } = process.env;
mkdirSync(SHOTS, { recursive: true });
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium" });
const problems = [];

// Every Content-Security-Policy violation fails the run: as the browser reports it on the console
// and as the page sees it (a `securitypolicyviolation` event, reported by a script that runs
// before the page's own; the test harness's scripts are not subject to the page's policy).
async function watch(context, sink = problems) {
  await context.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (event) => {
      console.error(`CSP violation: ${event.violatedDirective} blocked ${event.blockedURI || "inline"} in ${event.sourceFile}:${event.lineNumber}`);
    });
  });
  context.on("console", (message) => {
    const text = message.text();
    if (text.startsWith("CSP violation") || text.includes("Content Security Policy")) {
      sink.push(`${message.location().url}: ${text}`);
    }
  });
}

const SECURITY_HEADERS = (headers) => {
  const policy = Object.fromEntries(headers["content-security-policy"].split(";")
    .map((d) => d.trim().split(/\s+/)).map(([name, ...sources]) => [name, sources]));
  assert.deepEqual(policy["script-src"], ["'self'"]);
  assert.deepEqual(policy["frame-ancestors"], ["'none'"]);
  assert.deepEqual(policy["object-src"], ["'none'"]);
  assert.deepEqual(policy["base-uri"], ["'none'"]);
  assert.equal(headers["x-content-type-options"], "nosniff");
  assert.equal(headers["x-frame-options"], "DENY");
  assert.ok(headers["referrer-policy"]);
  assert.equal(headers.server, undefined);
  return policy;
};

async function user(key, viewport = { width: 1200, height: 900 }, wallet = {}) {
  const context = await browser.newContext({ viewport });
  await watch(context);
  const page = await context.newPage();
  page.setDefaultTimeout(30_000);
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  const { account, asked } = await injectWallet(page, key, RPC_URL, wallet);
  const answer = await page.goto(`${APP_URL}/app/`);
  const policy = SECURITY_HEADERS(answer.headers());
  assert.deepEqual(policy["style-src"], ["'self'"]);
  assert.deepEqual(policy["form-action"], ["'self'"]);
  const ws = APP_URL.replace(/^http/, "ws");
  assert.deepEqual(new Set(policy["connect-src"]), new Set(["'self'", APP_URL, ws, RPC_URL]));
  return { page, account, asked };
}

const shot = (page, name) => page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: true });
const notice = (page) => page.locator("#notice");

async function signIn(page) {
  await page.getByRole("button", { name: "Connect wallet" }).click();
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.locator("#account", { hasText: "signed in" }).waitFor();
}

const pages = [];

async function step(name, body) {
  const started = Date.now();
  try {
    await body();
  } catch (error) {
    for (const [i, page] of pages.entries()) {
      console.log(`not ok ${name}: page ${i} at ${page.url()} says "${await notice(page).textContent()}"`);
      await shot(page, `failed-${i}`);
    }
    throw error;
  }
  console.log(`ok ${name} (${Date.now() - started} ms)`);
}

try {
  const a = await user(KEY_A);
  // On a phone, with a wallet on Ethereum mainnet that has never seen the local chain.
  const b = await user(KEY_B, { width: 390, height: 844 }, { awayOn: 1 });
  pages.push(a.page, b.page);

  await step("the asset list shows cards with funding progress", async () => {
    await a.page.locator("article.card").first().waitFor();
    assert.ok((await a.page.locator("article.card").count()) >= 5);
    assert.ok((await a.page.getByRole("progressbar").count()) >= 5);
    await shot(a.page, "assets");
    await shot(b.page, "assets-phone");
  });

  await step("connect (the phone's wallet adds and switches to the chain) and sign in", async () => {
    await signIn(a.page);
    await signIn(b.page);
    const chain = await b.page.evaluate(() => window.ethereum.request({ method: "eth_chainId" }));
    assert.equal(chain, await rpc(RPC_URL, "eth_chainId"));
  });

  await step("claim revenue from the portfolio", async () => {
    await a.page.goto(`${APP_URL}/app/#/portfolio`);
    const row = a.page.locator(`#holdings tr[data-asset="${ASSET}"]`);
    await row.waitFor();
    await shot(a.page, "portfolio");
    assert.notEqual(await row.locator(".claimable").textContent(), "0.00");
    await row.getByRole("button", { name: "Claim" }).click();
    await notice(a.page).filter({ hasText: "Revenue claimed." }).waitFor();
    await a.page.locator(`#holdings tr[data-asset="${ASSET}"] .claimable`, { hasText: /^0\.00$/ }).waitFor();
  });

  await step("claim and retire energy certificates, then open the printable proof", async () => {
    await a.page.goto(`${APP_URL}/app/#/certificates`);
    await a.page.getByRole("button", { name: /^Claim all/ }).click();
    await notice(a.page).filter({ hasText: "Certificates claimed." }).waitFor();
    await a.page.locator("#retire-form select option").first().waitFor({ state: "attached" });
    await shot(a.page, "certificates");
    const form = a.page.locator("#retire-form");
    await form.getByLabel("Energy (Wh)").fill("1500");
    await form.getByLabel("Beneficiary").fill("Café da Praça, browser test");
    await form.getByLabel("Purpose").fill("Espresso machine, 2028");
    await form.getByLabel("Location of consumption").fill("Évora, PT");
    await form.getByRole("button", { name: "Retire" }).click();
    await notice(a.page).filter({ hasText: "Certificates retired." }).waitFor();
    const link = a.page.locator("#retirements a", { hasText: /^Proof #\d+$/ }).first();
    await link.click();
    const proof = a.page.locator("article.proof");
    await proof.locator(".beneficiary", { hasText: "Café da Praça, browser test" }).waitFor();
    assert.match(await proof.textContent(), /1500 Wh/);
    assert.match(await proof.textContent(), /0x[0-9a-f]{64}/);
    await a.page.emulateMedia({ media: "print" });
    assert.equal(await a.page.locator("header.top").isVisible(), false); // the proof prints alone
    await shot(a.page, "certificate-proof");
    await a.page.emulateMedia({ media: "screen" });
  });

  let before;
  await step("list shares on the market", async () => {
    await a.page.goto(`${APP_URL}/app/#/asset/${ASSET}`);
    await a.page.locator("#list-form").waitFor();
    before = await a.page.locator("#my-shares").textContent();
    await a.page.getByLabel("Shares to sell").fill("5");
    await a.page.getByRole("button", { name: "List on the market" }).click();
    await notice(a.page).filter({ hasText: "Listed." }).waitFor();
    await a.page.getByRole("button", { name: "Cancel" }).first().waitFor();
    await shot(a.page, "asset");
  });

  await step("another investor fills it; the seller's asset page and portfolio update live", async () => {
    // The seller also has its portfolio open in another tab (connected from the first one).
    const portfolio = await a.page.context().newPage();
    portfolio.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
    await injectWallet(portfolio, KEY_A, RPC_URL);
    await portfolio.goto(`${APP_URL}/app/#/portfolio`);
    const balance = portfolio.locator(`#holdings tr[data-asset="${ASSET}"] .balance`);
    assert.equal(await balance.textContent(), before);
    await b.page.goto(`${APP_URL}/app/#/asset/${ASSET}`);
    const form = b.page.locator(".fill-form").first();
    await form.waitFor();
    const typing = a.page.getByLabel("New proposal"); // the seller is typing when the update lands
    await typing.fill("Half-written");
    await form.getByRole("textbox").fill("5");
    await form.getByRole("button", { name: "Buy" }).click();
    await notice(b.page).filter({ hasText: "Shares bought on the market." }).waitFor();
    const after = (Number(before.replaceAll(",", "")) - 5).toLocaleString("en-US");
    await a.page.locator("#my-shares", { hasText: new RegExp(`^${after}$`) }).waitFor(); // no reload
    await balance.filter({ hasText: new RegExp(`^${after}$`) }).waitFor();
    await portfolio.close();
    assert.equal(await typing.inputValue(), "Half-written");
    assert.equal(await a.page.evaluate(() => document.activeElement?.name), "description");
    await shot(b.page, "asset-phone");
  });

  await step("a failing action shows its reason", async () => {
    await b.page.getByRole("button", { name: "Claim revenue" }).click();
    const shown = notice(b.page).filter({ hasText: "Not done:" });
    await shown.waitFor();
    const text = await shown.textContent();
    assert.ok(text.length > "Not done: ".length + 10, text);
    console.log(`  reason shown: ${text}`);
    await shot(b.page, "failure");
  });

  await step("propose, then vote once voting opens", async () => {
    await a.page.getByLabel("New proposal").fill("Replace the inverters in 2029");
    await a.page.getByRole("button", { name: "Propose" }).click();
    await notice(a.page).filter({ hasText: "Proposal made." }).waitFor();
    // The voting delay passes: a day of chain time and a few blocks.
    await rpc(RPC_URL, "evm_increaseTime", 86_400 * 3);
    await rpc(RPC_URL, "anvil_mine", "0x5");
    await a.page.reload();
    const vote = a.page.getByRole("button", { name: "for", exact: true }).first();
    await vote.waitFor();
    await vote.click();
    await notice(a.page).filter({ hasText: "Vote cast." }).waitFor();
    // The tally counts the voter's shares (all of them, delegated to itself).
    const shares = await a.page.locator("#my-shares").textContent();
    const tally = a.page.locator("tr", { hasText: "Replace the inverters in 2029" }).locator("td.num").first();
    await tally.filter({ hasText: new RegExp(`^${shares}$`) }).waitFor();
    await shot(a.page, "voted");
  });

  let op;
  await step("an operator registers an asset and an investor buys in its sale", async () => {
    op = await user(KEY_OPERATOR);
    pages.push(op.page);
    await signIn(op.page);
    await op.page.goto(`${APP_URL}/app/#/operator`);
    await op.page.locator("#register-form").waitFor();
    await op.page.getByLabel("Name").fill("Évora Solar");
    await op.page.getByLabel("Symbol").fill("EVSUN");
    await op.page.getByLabel("Shares", { exact: true }).fill("ten thousand"); // bad input, said so
    await op.page.getByRole("button", { name: "Register" }).click();
    await notice(op.page).filter({ hasText: 'Not done: Shares: "ten thousand" is not a whole number' }).waitFor();
    await op.page.getByLabel("Shares", { exact: true }).fill("10000");
    await op.page.getByRole("button", { name: "Register" }).click();
    await notice(op.page).filter({ hasText: "Asset registered." }).waitFor();
    await shot(op.page, "operator");
    // The sale opens a minute after registration.
    await rpc(RPC_URL, "evm_increaseTime", 120);
    await rpc(RPC_URL, "anvil_mine", "0x1");
    await b.page.goto(`${APP_URL}/app/#/`);
    await b.page.getByRole("link", { name: /Évora Solar/ }).click();
    await b.page.getByLabel("Shares to buy").fill("10");
    b.asked.length = 0;
    await b.page.getByRole("button", { name: "Buy shares" }).click(); // paying with a permit
    await notice(b.page).filter({ hasText: "Shares bought." }).waitFor();
    const signed = b.asked.filter((m) => m === "eth_signTypedData_v4" || m === "eth_sendTransaction");
    assert.deepEqual(signed, ["eth_signTypedData_v4", "eth_sendTransaction"]);
    await b.page.locator("#my-shares", { hasText: /^10$/ }).waitFor();
    await shot(b.page, "bought-phone");
  });

  await step("the operator deposits revenue; a holder's claimable revenue grows live", async () => {
    await a.page.goto(`${APP_URL}/app/#/asset/${ASSET}`);
    const claimable = a.page.locator(".stat", { has: a.page.locator("#my-shares") });
    await claimable.filter({ hasText: /claimable 0\.00 / }).waitFor(); // claimed earlier
    await op.page.goto(`${APP_URL}/app/#/operator`);
    // (a select's name also carries its chosen option: "Asset Alentejo Solar Share")
    await op.page.getByRole("combobox", { name: /^Asset/ }).selectOption(ASSET);
    await op.page.getByLabel("Revenue to deposit").fill("500");
    await op.page.getByRole("button", { name: "Deposit revenue" }).click();
    await notice(op.page).filter({ hasText: "Revenue deposited." }).waitFor();
    await claimable.filter({ hasText: /claimable [1-9]\d*\.\d\d / }).waitFor(); // no reload
  });

  await step("a new wallet gets test mUSDC and gas from the local chain's faucet", async () => {
    const fresh = await user(generatePrivateKey());
    pages.push(fresh.page);
    assert.equal(await rpc(RPC_URL, "eth_getBalance", fresh.account.address, "latest"), "0x0");
    await fresh.page.getByRole("button", { name: "Connect wallet" }).click();
    await fresh.page.locator("#account", { hasText: /0x/ }).waitFor();
    await fresh.page.getByRole("button", { name: "Get test mUSDC" }).click();
    await notice(fresh.page).filter({ hasText: "Received 10,000.00 test mUSDC and test ETH for gas" }).waitFor();
    assert.notEqual(await rpc(RPC_URL, "eth_getBalance", fresh.account.address, "latest"), "0x0");
    await shot(fresh.page, "faucet");
    await fresh.page.getByRole("button", { name: "Get test mUSDC" }).click(); // too soon
    await notice(fresh.page).filter({ hasText: "No test mUSDC: one tap per address every 60 s" }).waitFor();
  });

  await step("a holder approves an app on the consent screen, sees it under Apps and revokes it", async () => {
    const redirect = `${APP_URL}/docs/oauth2-redirect`;
    const authorize = (state, verifier) => `${APP_URL}/oauth/authorize?${new URLSearchParams({
      response_type: "code", client_id: OAUTH_CLIENT, redirect_uri: redirect, scope: "read:portfolio",
      state, code_challenge: createHash("sha256").update(verifier).digest("base64url"),
      code_challenge_method: "S256" })}`;
    const verifier = randomBytes(48).toString("base64url");
    await a.page.goto(authorize("state-approve", verifier));
    await a.page.locator("#consent-client", { hasText: "Acme Tax Tool" }).waitFor();
    assert.equal(await a.page.locator("#consent-redirect").textContent(), redirect);
    assert.match(await a.page.locator("#consent-scopes").textContent(), /read:portfolio/);
    await shot(a.page, "consent");
    await a.page.getByRole("button", { name: "Approve" }).click();
    await a.page.waitForURL((url) => url.href.startsWith(`${redirect}?`));
    const back = new URL(a.page.url()).searchParams;
    assert.equal(back.get("state"), "state-approve");
    const token = await (await fetch(`${APP_URL}/oauth/token`, { method: "POST", body: new URLSearchParams({
      grant_type: "authorization_code", code: back.get("code"), redirect_uri: redirect,
      client_id: OAUTH_CLIENT, code_verifier: verifier }) })).json();
    assert.equal(token.scope, "read:portfolio");
    const read = await fetch(`${APP_URL}/me/portfolio`, { headers: { Authorization: `Bearer ${token.access_token}` } });
    assert.equal(read.status, 200);

    await a.page.goto(authorize("state-deny", randomBytes(48).toString("base64url")));
    await a.page.getByRole("button", { name: "Deny" }).click();
    await a.page.waitForURL((url) => url.href.startsWith(`${redirect}?`));
    assert.equal(new URL(a.page.url()).searchParams.get("error"), "access_denied");

    await a.page.goto(`${APP_URL}/app/#/apps`);
    const row = a.page.locator(`#apps tr[data-client="${OAUTH_CLIENT}"]`);
    await row.filter({ hasText: "Acme Tax Tool" }).waitFor();
    assert.match(await row.textContent(), /read:portfolio/);
    await shot(a.page, "apps");
    await row.getByRole("button", { name: "Revoke Acme Tax Tool" }).click();
    await notice(a.page).filter({ hasText: "App revoked." }).waitFor();
    await row.waitFor({ state: "detached" });
    const after = await fetch(`${APP_URL}/me/portfolio`, { headers: { Authorization: `Bearer ${token.access_token}` } });
    assert.equal(after.status, 401);
    await a.page.goto(`${APP_URL}/app/`);
  });

  await step("the API's docs, ReDoc and GraphiQL work offline under their policy", async () => {
    const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
    const violations = [];
    await watch(context, violations);
    // Nothing may be fetched from anywhere but the API: any other request fails the step.
    const elsewhere = [];
    await context.route("**/*", (route) => {
      const url = route.request().url();
      if (url.startsWith(APP_URL) || url.startsWith("data:") || url.startsWith("blob:")) return route.continue();
      elsewhere.push(url);
      return route.abort();
    });
    const page = await context.newPage();
    page.on("pageerror", (error) => problems.push(`page error on ${page.url()}: ${error.message}`));
    for (const [path, ready] of [["/docs", ".swagger-ui .opblock"], ["/redoc", "[role=search], .menu-content"],
      ["/graphql", ".graphiql-container .graphiql-editor, .graphiql-container .CodeMirror"]]) {
      const answer = await page.goto(`${APP_URL}${path}`);
      SECURITY_HEADERS(answer.headers());
      await page.locator(ready).first().waitFor();
      await shot(page, `docs${path.replaceAll("/", "-")}`);
    }
    await context.close();
    assert.deepEqual(elsewhere, []);
    // ReDoc's bundle always links its vendor's logo from a CDN (an <img> that hides itself when
    // it fails): the policy blocks that request, as it should. Nothing else may be blocked.
    const logo = "https://cdn.redoc.ly/redoc/logo-mini.svg";
    const others = violations.filter((v) => !(v.includes(logo) && v.includes("img-src")));
    assert.deepEqual(others, []);
  });

  assert.deepEqual(problems, []);
  console.log("all browser scenarios passed");
} finally {
  await browser.close();
}
