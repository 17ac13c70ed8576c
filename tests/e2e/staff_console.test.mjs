// The staff console's main flows (docs/ADMIN.md): a support person finds a
// customer, re-syncs it from Stripe and suspends it; a finance person
// refunds a payment and changes the seat quantity. Screenshots under build/e2e.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import {
  BASE, openBrowser, watchProblems, shot, newPage, signIn, cli, makeOrg, deliverWebhooks, haveCli,
} from "./lib.mjs";

let browser;
before(async () => ({ browser } = await openBrowser()));
after(async () => browser && (await browser.close()));

const VIEWPORT = { width: 1280, height: 900 };
const TAG = `${process.pid}${Date.now() % 100000}`;
let orgId;

// An org with a Business subscription of 3 monthly seats paid by card (its first invoice paid).
async function customerWithSubscription(page) {
  orgId = makeOrg(`staffe2e-${TAG}`, `Staffe2e ${TAG}`);
  const key = cli(["apikey", "create", "--org", orgId, "--scopes", "admin"]).split("\n")[0].trim();
  const api = page.context().request;
  const auth = { Authorization: `Bearer ${key}` };
  const r = await api.post(`${BASE}/api/v1/org-billing/subscriptions/${orgId}`, {
    headers: auth, data: { plan: "business", seats: 3, cycle: "month", payment_method: "pm_card_visa",
      email: `billing-${TAG}@example.test` },
  });
  assert.equal(r.status(), 201, await r.text());
  await deliverWebhooks();
}

test("support finds a customer, re-syncs it and suspends it", { skip: !haveCli }, async () => {
  const { ctx, page } = await newPage(browser, VIEWPORT);
  const problems = watchProblems(page);
  await customerWithSubscription(page);
  await signIn(page, "support@orgbill.test");
  await page.goto(`${BASE}/admin`);
  await page.locator("#main").getByRole("link", { name: "Customers" }).click();
  await page.waitForURL(`${BASE}/admin/customers`);
  assert.equal(await page.locator("#summary [data-card=organizations]").count(), 1);
  await page.locator("#f-q").fill(`Staffe2e ${TAG}`);
  await page.getByRole("button", { name: "Search" }).click();
  await page.waitForURL(/q=Staffe2e/);
  const row = page.locator(`#customers tr[data-org="${orgId}"]`);
  assert.equal(await row.count(), 1);
  assert.match(await row.innerText(), /\$87\.00/);
  await page.screenshot({ path: shot("staff-customers"), fullPage: true });
  await row.getByRole("link").click();
  await page.waitForURL(`${BASE}/admin/customers/${orgId}`);
  assert.match(await page.locator("#subscription").innerText(), /business/);

  await page.locator("#sy-reason").fill("ticket 4711: check the mirror");
  await page.getByRole("button", { name: "Re-sync from Stripe" }).click();
  await page.waitForURL(/done=synced/);
  assert.match(await page.locator(".flash-success").innerText(), /Re-synced/);

  await page.locator("#su-reason").fill("abuse report 4712");
  await page.locator("#suspend-form input[name=confirm]").check();
  await page.getByRole("button", { name: "Suspend organization" }).click();
  await page.waitForURL(/done=suspended/);
  assert.equal(await page.locator("#org-status").getAttribute("data-status"), "suspended");
  assert.match(await page.locator("#audit").innerText(), /org\.suspend/);
  await page.screenshot({ path: shot("staff-customer-suspended"), fullPage: true });

  // Support has no seat or refund powers: the server says 403.
  await page.locator("#sq-quantity").fill("4");
  await page.locator("#sq-reason").fill("should not work");
  await page.locator("#seats-form input[name=confirm]").check();
  const [resp] = await Promise.all([
    page.waitForResponse((r) => r.url().endsWith(`/admin/customers/${orgId}/seats`)),
    page.getByRole("button", { name: "Change seats" }).click(),
  ]);
  assert.equal(resp.status(), 403);
  assert.deepEqual(problems.filter((p) => !/403/.test(p)), []);
  await ctx.close();
});

test("finance refunds a payment and changes the seat quantity", { skip: !haveCli }, async () => {
  const { ctx, page } = await newPage(browser, VIEWPORT);
  await signIn(page, "finance@orgbill.test");
  await page.goto(`${BASE}/admin/customers/${orgId}`);
  await page.locator("#ac-reason").fill("resolved with the customer");
  await page.locator("#activate-form input[name=confirm]").check();
  await page.getByRole("button", { name: "Activate organization" }).click();
  await page.waitForURL(/done=activated/);

  // Refund 10.00 of the first invoice.
  const form = page.locator("form.refund-form").first();
  await form.locator("input[name=amount]").fill("1000");
  await form.locator("input[name=reason]").fill("goodwill for the outage");
  await form.getByRole("button", { name: "Refund" }).click();
  await page.waitForURL(/done=refunded/);
  await page.goto(`${BASE}/admin/customers/${orgId}`);
  assert.match(await page.locator("#refunds").innerText(), /\$10\.00/);

  // Preview, then change to 5 seats.
  await page.locator("#pv-seats").fill("5");
  await page.getByRole("button", { name: "Preview proration" }).click();
  await page.waitForURL(/preview_seats=5/);
  assert.match(await page.locator("#seat-preview").innerText(), /\$145\.00/);
  await page.screenshot({ path: shot("staff-seat-preview"), fullPage: true });
  await page.locator("#sq-quantity").fill("5");
  await page.locator("#sq-reason").fill("customer asked by phone");
  await page.locator("#seats-form input[name=confirm]").check();
  await page.getByRole("button", { name: "Change seats" }).click();
  await page.waitForURL(/done=seats/);
  await deliverWebhooks();
  await page.goto(`${BASE}/admin/customers/${orgId}`);
  assert.match(await page.locator("#subscription [data-k=seats]").innerText(), /^5 /);
  await page.screenshot({ path: shot("staff-customer-finance"), fullPage: true });
  await ctx.close();
});
