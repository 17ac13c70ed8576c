// Money in the console: one format ("$1,160.00": symbol, thousands
// grouped, two decimals) on the overview, subscription and invoices pages
// for the same amount; money cells right-aligned in tabular figures; plan
// limits grouped ("1,000,000"). A fresh org per run, made with the CLI,
// buys Business for 40 seats ($29.00 each: $1,160.00 a month); then its
// subscription page's billing-portal button is followed there and back.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { BASE, openBrowser, watchProblems, shot, haveCli, makeOrg, makeMember, newPage, signIn, deliverWebhooks } from "./lib.mjs";

const FAKE = process.env.OB_TEST_STRIPE_FAKE;
let browser;
before(async () => ({ browser } = await openBrowser()));
after(async () => browser && (await browser.close()));

test("the same amount reads the same everywhere, right-aligned", { skip: (!haveCli || !FAKE) && "needs ORGBILL_CONFIG and the Stripe fake" }, async () => {
  const tag = `e2e-money-${Date.now()}`;
  const password = "e2e-password-123";
  const org = makeOrg(tag, `Money ${tag}`);
  const email = `billing@${tag}.test`;
  makeMember(org, { email, name: "Mo Money", password, role: "billing", department: "Finance" });
  const { ctx, page } = await newPage(browser, { width: 1280, height: 1000 });
  const problems = watchProblems(page);
  await signIn(page, email, password);
  await page.goto(`${BASE}/subscription`);

  // Plan limits are counts people read.
  const business = page.locator('.plan-card[data-plan="business"]');
  assert.match(await business.locator(".limits").innerText(), /Executions \/ month: 1,000,000/);
  assert.doesNotMatch(await business.locator(".limits").innerText(), /\d{4}/);

  const buy = business.locator("form.plan-buy");
  await buy.getByLabel("Seats").fill("40");
  await buy.getByRole("button", { name: "Choose Business" }).click();
  await page.waitForURL(/\/subscription\/summary$/);
  assert.equal(await page.locator('#order-summary [data-k="total"]').innerText(), "$1,160.00");
  await page.getByRole("button", { name: "Continue to payment" }).click();
  await page.waitForURL((u) => u.href.startsWith(`${FAKE}/c/pay/cs_`), { timeout: 15000 });
  await page.locator("input#email").fill(email);
  await page.locator("#cardNumber").fill("4242 4242 4242 4242");
  await Promise.all([page.waitForURL(/\/subscription\/checkout\/return/), page.locator("#submit").click()]);
  await deliverWebhooks();
  problems.length = 0; // the fake's pages have no favicon

  // Overview and subscription: the hero's amount per month.
  for (const path of ["/", "/subscription"]) {
    await page.goto(`${BASE}${path}`);
    assert.equal(await page.locator('#billing-hero [data-k="amount"]').innerText(), "$1,160.00", path);
  }

  // Invoices: the first invoice's total, the same text, right-aligned in tabular figures.
  await page.goto(`${BASE}/invoices`);
  const total = page.locator("#invoices tbody tr td.num").first();
  assert.equal(await total.innerText(), "$1,160.00");
  const style = await total.evaluate((el) => {
    const s = getComputedStyle(el);
    return { align: s.textAlign, figures: s.fontVariantNumeric };
  });
  assert.equal(style.align, "right");
  assert.match(style.figures, /tabular-nums/);
  const head = page.locator("#invoices thead th.num").first();
  assert.equal(await head.evaluate((el) => getComputedStyle(el).textAlign), "right");
  await page.screenshot({ path: shot("console-money-invoices"), fullPage: true });

  // The console's client-side formatter agrees with the server's.
  assert.equal(await page.evaluate(() => window.obFormat.money(116000, "usd")), "$1,160.00");
  assert.equal(await page.evaluate(() => window.obFormat.count(1000000)), "1,000,000");
  assert.deepEqual(problems, []);

  // The subscription page's portal button leaves for Stripe's portal too
  // (the hand-off page), and the portal's return link comes back here.
  await page.goto(`${BASE}/subscription`);
  await page.getByRole("button", { name: "Update payment method (Stripe billing portal)" }).click();
  await page.waitForURL((u) => u.href.startsWith(`${FAKE}/p/session/`), { timeout: 15000 });
  await page.locator("a#return").click();
  await page.waitForURL(`${BASE}/subscription`);
  assert.equal(await page.locator('#billing-hero [data-k="amount"]').innerText(), "$1,160.00");
  await ctx.close();
});
