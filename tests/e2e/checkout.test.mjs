// A new subscription bought from the console through Stripe Checkout:
// plan, cycle and seats chosen on the subscription page, the order
// summary shown before leaving, the hand-off to the fake's hosted payment
// page (past the CSP's form-action 'self'), a declined card then a good
// one, and the return page showing the order pending until the webhook is
// delivered, then active. A fresh org per run, made with the CLI (another
// org's view of the order is checked by the integration suite).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { BASE, openBrowser, watchProblems, shot, haveCli, makeOrg, makeMember, newPage, signIn, deliverWebhooks } from "./lib.mjs";

const FAKE = process.env.OB_TEST_STRIPE_FAKE;
let browser;
before(async () => ({ browser } = await openBrowser()));
after(async () => browser && (await browser.close()));

test("billing manager subscribes through Checkout with a card", { skip: (!haveCli || !FAKE) && "needs ORGBILL_CONFIG and the Stripe fake" }, async () => {
  const tag = `e2e-co-${Date.now()}`;
  const password = "e2e-password-123";
  const org = makeOrg(tag, `Checkout ${tag}`);
  const email = `billing@${tag}.test`;
  makeMember(org, { email, name: "Cass Checkout", password, role: "billing", department: "Finance" });
  const { ctx, page } = await newPage(browser, { width: 1280, height: 1000 });
  const problems = watchProblems(page);
  await signIn(page, email, password);
  await page.goto(`${BASE}/subscription`);

  // Business, 3 seats, annual: the order summary before anything is charged.
  const buy = page.locator('.plan-card[data-plan="business"] form.plan-buy');
  await buy.getByLabel("Seats").fill("3");
  await buy.getByLabel("Cycle").selectOption("year");
  await buy.getByRole("button", { name: "Choose Business" }).click();
  await page.waitForURL(/\/subscription\/summary$/);
  assert.equal(await page.locator("h1").first().innerText(), "Order summary");
  const sum = page.locator("#order-summary");
  assert.equal(await sum.locator('[data-k="plan"]').innerText(), "Business");
  assert.equal(await sum.locator('[data-k="seats"]').innerText(), "3");
  assert.equal(await sum.locator('[data-k="cycle"]').innerText(), "Annual");
  // $29/month, 10 % off for a year: $313.20 a seat; three seats $939.60.
  assert.match(await sum.locator('[data-k="unit"]').innerText(), /\$313\.20 \/ year/);
  assert.equal(await sum.locator('[data-k="subtotal"]').innerText(), "$939.60");
  assert.equal(await sum.locator('[data-k="tax"]').count(), 0);
  assert.equal(await sum.locator('[data-k="total"]').innerText(), "$939.60");
  await page.screenshot({ path: shot("checkout-summary"), fullPage: true });

  // Continue: our hand-off page, then Stripe's hosted page.
  await sum.getByRole("button", { name: "Continue to payment" }).click();
  await page.waitForURL((u) => u.href.startsWith(`${FAKE}/c/pay/cs_`), { timeout: 15000 });
  const csId = new URL(page.url()).pathname.split("/").pop();
  assert.match(csId, /^cs_test_/);

  // Still nothing: the subscription page says no plan.
  const hero = async () => {
    const r = await page.context().request.get(`${BASE}/subscription`);
    assert.equal(r.status(), 200);
    return r.text();
  };
  assert.match(await hero(), /No plan/);

  // The org has no billing e-mail yet, so Checkout asks for one.
  await page.locator("input#email").fill(email);
  // A declined card: the page again (402), nothing made.
  await page.locator("#cardNumber").fill("4000 0000 0000 0002");
  const [declined] = await Promise.all([
    page.waitForResponse((r) => r.url().includes("/c/pay/") && r.request().method() === "POST"),
    page.locator("#submit").click(),
  ]);
  assert.equal(declined.status(), 402);
  await page.waitForLoadState();
  assert.match(await page.locator("#error").innerText(), /declined/i);
  if (await page.locator("input#email").count()) await page.locator("input#email").fill(email);
  // The good card: back to our return page, pending until the webhook.
  await page.locator("#cardNumber").fill("4242 4242 4242 4242");
  await Promise.all([
    page.waitForURL(/\/subscription\/checkout\/return\?session_id=cs_test_/),
    page.locator("#submit").click(),
  ]);
  assert.equal(new URL(page.url()).searchParams.get("session_id"), csId);
  assert.equal(await page.locator("#checkout-result").getAttribute("data-status"), "pending");
  assert.match(await page.locator('[data-k="status"]').innerText(), /pending/);
  assert.match(await hero(), /No plan/);

  // Stripe's events arrive: the order is active, the hero shows Business, 0 / 3 seats.
  await deliverWebhooks();
  await page.reload();
  assert.equal(await page.locator("#checkout-result").getAttribute("data-status"), "active");
  await page.screenshot({ path: shot("checkout-return-active"), fullPage: true });
  await page.goto(`${BASE}/subscription`);
  assert.match(await page.locator("#billing-hero").innerText(), /Business/);
  assert.match(await page.locator('#billing-hero [data-k="seats"]').innerText(), /0 \/ 3/);

  // The fake's pages have no favicon (404) and answer a declined card with 402.
  assert.deepEqual(problems.filter((p) => !/status of 40[24]/.test(p)), []);
  await ctx.close();
});
