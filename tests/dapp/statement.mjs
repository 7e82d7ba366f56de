// A holder opens its yearly statement in headless Chromium, prints it and downloads the CSV.
// Run by tests/dapp/test_browser.py with APP_URL, RPC_URL, KEY (a holder), YEAR, SHOTS.
// Exits non-zero on the first failure.

import assert from "node:assert/strict";
import { mkdirSync, readFileSync, statSync } from "node:fs";
import { chromium } from "playwright-core";
import { injectWallet } from "./wallet.mjs";

const { APP_URL, RPC_URL, KEY, YEAR, SHOTS } = process.env;
mkdirSync(SHOTS, { recursive: true });
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium" });
const problems = [];

try {
  const context = await browser.newContext({ viewport: { width: 1200, height: 900 }, acceptDownloads: true });
  context.on("console", (m) => { if (m.text().includes("Content Security Policy")) problems.push(m.text()); });
  const page = await context.newPage();
  page.setDefaultTimeout(30_000);
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  const { address: account } = (await injectWallet(page, KEY, RPC_URL)).account;
  await page.goto(`${APP_URL}/app/#/portfolio`);
  await page.locator("h1", { hasText: "Portfolio" }).waitFor(); // the page's controls are wired
  await page.getByRole("button", { name: "Connect wallet" }).click();
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.locator("#account", { hasText: "signed in" }).waitFor();

  // From the portfolio's link to the statement of the chosen year.
  await page.locator("#statement-link").waitFor();
  await page.goto(`${APP_URL}/app/#/statement/${account}/${YEAR}`);
  await page.locator(".statement-asset").first().waitFor();
  assert.equal(await page.locator("h1").textContent(), `Statement ${YEAR}`);
  assert.ok(await page.getByText("Earned, not yet claimed at the end").first().isVisible());
  assert.ok((await page.locator(".statement-lines tbody tr").count()) > 1);
  console.log("ok the statement page shows each asset's figures and lines");

  // The printable page: no navigation, buttons or forms; a PDF of it.
  await page.emulateMedia({ media: "print" });
  assert.equal(await page.locator("header.top").isVisible(), false);
  assert.equal(await page.getByRole("button", { name: "Download CSV" }).isVisible(), false);
  assert.ok(await page.locator(".statement-asset").first().isVisible());
  await page.screenshot({ path: `${SHOTS}/statement-print.png`, fullPage: true });
  await page.pdf({ path: `${SHOTS}/statement.pdf`, format: "A4" });
  assert.ok(statSync(`${SHOTS}/statement.pdf`).size > 10_000);
  await page.emulateMedia({ media: "screen" });
  console.log("ok the statement prints without the page's controls");

  // The CSV download, fetched with the signed-in token.
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("button", { name: "Download CSV" }).click(),
  ]);
  assert.equal(download.suggestedFilename(), `statement-${account}-${YEAR}.csv`);
  const csv = readFileSync(await download.path(), "utf8");
  assert.ok(csv.startsWith("asset_id,asset,row,figure,value,unit,"), csv.slice(0, 80));
  assert.ok(csv.includes(",total,revenue_unclaimed_end,"));
  const [json] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("button", { name: "Download JSON" }).click(),
  ]);
  const statement = JSON.parse(readFileSync(await json.path(), "utf8"));
  assert.equal(statement.year, Number(YEAR));
  console.log("ok the statement downloads as CSV and JSON");

  assert.deepEqual(problems, []);
  console.log("all statement scenarios passed");
} finally {
  await browser.close();
}
