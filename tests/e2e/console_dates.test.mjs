// Dates in the console: "Dec 28, 2026" in <time datetime="…"> elements
// whose title states the time in UTC; no raw ISO timestamp in the text of
// the main pages. A fresh org (made with the CLI) buys a plan so the
// subscription and invoices pages have dates; the demo owner's org shows
// members, API keys, activity and credits.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { BASE, openBrowser, shot, haveCli, makeOrg, makeMember, newPage, signIn, signedIn, deliverWebhooks } from "./lib.mjs";

const FAKE = process.env.OB_TEST_STRIPE_FAKE;
const ISO = /\d{4}-\d{2}-\d{2}/;
const DAY = /^(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{1,2}, \d{4}$/;
let browser;
before(async () => ({ browser } = await openBrowser()));
after(async () => browser && (await browser.close()));

// The page's main text has no ISO date; its <time> elements read as days
// with a UTC title; returns how many there are.
async function datesReadable(page, path) {
  await page.goto(`${BASE}${path}`);
  const text = await page.locator("main").innerText();
  assert.doesNotMatch(text, ISO, `${path}: ${text.match(ISO)}`);
  const times = await page.locator("main time").evaluateAll((els) =>
    els.map((e) => ({ dt: e.getAttribute("datetime"), text: e.textContent, title: e.title })));
  for (const t of times) {
    assert.match(t.dt, /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2}(\.\d+)?Z)?$/, path);
    assert.match(t.text, DAY, path);
    assert.match(t.title, /UTC/, path);
  }
  return times.length;
}

test("dates read as days, in UTC, on the main pages", { skip: (!haveCli || !FAKE) && "needs ORGBILL_CONFIG and the Stripe fake" }, async () => {
  const tag = `e2e-dates-${Date.now()}`;
  const password = "e2e-password-123";
  const org = makeOrg(tag, `Dates ${tag}`);
  const email = `billing@${tag}.test`;
  makeMember(org, { email, name: "Dee Dates", password, role: "billing", department: "Finance" });
  const { ctx, page } = await newPage(browser, { width: 1280, height: 1000 });
  await signIn(page, email, password);
  await page.goto(`${BASE}/subscription`);
  const buy = page.locator('.plan-card[data-plan="pro"] form.plan-buy');
  await buy.getByLabel("Seats").fill("2");
  await buy.getByRole("button", { name: "Choose Pro" }).click();
  await page.getByRole("button", { name: "Continue to payment" }).click();
  await page.waitForURL((u) => u.href.startsWith(`${FAKE}/c/pay/cs_`), { timeout: 15000 });
  await page.locator("input#email").fill(email);
  await page.locator("#cardNumber").fill("4242 4242 4242 4242");
  await Promise.all([page.waitForURL(/\/subscription\/checkout\/return/), page.locator("#submit").click()]);
  await deliverWebhooks();

  // The period's end, a month from today, in the hero of overview and subscription.
  const end = new Date();
  end.setUTCMonth(end.getUTCMonth() + 1);
  for (const path of ["/", "/subscription"]) {
    assert.ok(await datesReadable(page, path) >= 1, path);
    const t = page.locator('#billing-hero [data-k="period-end"] time');
    assert.match(await t.innerText(), DAY);
    assert.equal((await t.getAttribute("datetime")).slice(0, 4), String(end.getUTCFullYear()));
    assert.match(await t.getAttribute("title"), /^[A-Z][a-z]{2} \d{1,2}, \d{4}, \d{2}:\d{2} UTC$/);
    // A month ahead, in days: "in 28 days" to "in 31 days".
    assert.match(await page.locator('#billing-hero [data-k="period-end-rel"]').innerText(), /^in (2[89]|3[01]) days$/);
  }
  assert.ok(await datesReadable(page, "/invoices") >= 1);
  const first = await page.locator("#invoices tbody a").first().getAttribute("href");
  assert.ok(await datesReadable(page, first) >= 1);
  await page.screenshot({ path: shot("console-dates-invoice"), fullPage: true });
  await ctx.close();

  const owner = await signedIn(browser, "owner@acme.test", { viewport: { width: 1280, height: 1000 } });
  for (const path of ["/members", "/api-keys", "/activity", "/credits"])
    await datesReadable(owner.page, path);
  await owner.ctx.close();
});
