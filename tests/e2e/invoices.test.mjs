// Invoices and billing details as a billing manager sees them; staff refunds page.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { BASE, openBrowser, watchProblems, shot, newPage, signIn, signedIn } from "./lib.mjs";

let browser;
before(async () => ({ browser } = await openBrowser()));
after(async () => browser && (await browser.close()));

const VIEWPORT = { width: 1280, height: 900 };

test("billing manager sees invoices, edits billing details", async () => {
  const { ctx, page } = await newPage(browser, VIEWPORT);
  const problems = watchProblems(page);
  await signIn(page, "billing@acme.test");
  await page.getByRole("link", { name: "Invoices" }).click();
  await page.waitForURL(`${BASE}/invoices`);
  assert.equal(await page.locator("h1").first().innerText(), "Invoices");
  assert.equal(await page.locator("#payment-method").count(), 1);
  assert.equal(await page.getByRole("button", { name: "Update payment method" }).count(), 1);
  assert.equal(await page.locator("#invoices").count(), 1);
  assert.equal(await page.locator("#csv-export").count(), 1);
  await page.screenshot({ path: shot("invoices-billing"), fullPage: true });

  await page.getByRole("link", { name: "Billing details" }).click();
  await page.waitForURL(`${BASE}/billing/details`);
  const po = `PO-${Date.now() % 100000}`;
  await page.getByLabel("PO number").fill(po);
  await page.getByLabel("Invoice notes").fill("Payable within 30 days.");
  await page.getByLabel("Country (two letters)").fill("de");
  await page.getByRole("button", { name: "Save" }).click();
  await page.waitForURL(/done=details_saved/);
  assert.match(await page.locator(".flash-success").innerText(), /Billing details saved/);
  assert.equal(await page.getByLabel("PO number").inputValue(), po);
  assert.equal(await page.getByLabel("Country (two letters)").inputValue(), "DE");
  await page.screenshot({ path: shot("billing-details"), fullPage: true });
  assert.deepEqual(problems, []);

  // A bad country is refused (400) with a message, and the form keeps what was typed.
  await page.getByLabel("Country (two letters)").fill("1x");
  await page.getByRole("button", { name: "Save" }).click();
  assert.match(await page.locator(".flash-error").innerText(), /two-letter/);
  assert.equal(await page.getByLabel("PO number").inputValue(), po);
  await ctx.close();
});

test("a plain member cannot open the invoices page", async () => {
  const { ctx, page } = await signedIn(browser, "member@acme.test");
  const res = await page.goto(`${BASE}/invoices`);
  assert.equal(res.status(), 403);
  await ctx.close();
});

test("staff open the refunds page for an org", async () => {
  const { ctx, page } = await newPage(browser, VIEWPORT);
  const problems = watchProblems(page);
  await signIn(page, "staff@orgbill.test");
  await page.goto(`${BASE}/admin/refunds`);
  await page.getByLabel("Organization id").fill("1");
  await page.getByRole("button", { name: "Show" }).click();
  await page.waitForURL(/org_id=1/);
  assert.equal(await page.locator("#refund-form").count(), 1);
  assert.match(await page.locator("#dunning-state").innerText(), /active|past_due|restricted|suspended/);
  await page.screenshot({ path: shot("admin-refunds"), fullPage: true });
  assert.deepEqual(problems, []);
  await ctx.close();
});
