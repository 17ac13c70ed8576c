// The console's credit purchase charges once however often its form is
// sent: the form carries a one-time key made when the page was rendered,
// used as the purchase's Idempotency-Key. A double click (the form
// submitted twice at once) and a later resubmission of the same form data
// make one purchase, one charge at the Stripe fake, and raise the balance
// once. A fresh org per run, made with the CLI; its card is attached at the
// fake.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { BASE, openBrowser, watchProblems, shot, haveCli, makeOrg, makeMember, newPage, signIn, deliverWebhooks } from "./lib.mjs";

const FAKE = process.env.OB_TEST_STRIPE_FAKE;
const KEY = process.env.STRIPE_SECRET_KEY || "sk_test_fake";
let browser;
before(async () => ({ browser } = await openBrowser()));
after(async () => browser && (await browser.close()));

// A Stripe API call at the fake; its JSON answer (status 200 checked).
async function stripe(method, path, form) {
  const r = await fetch(`${FAKE}${path}`, {
    method,
    headers: { authorization: `Bearer ${KEY}`, "content-type": "application/x-www-form-urlencoded" },
    body: form ? new URLSearchParams(form).toString() : undefined,
  });
  assert.equal(r.status, 200, `${method} ${path}: ${r.status}`);
  return r.json();
}

test("a purchase form sent twice buys and charges once", { skip: (!haveCli || !FAKE) && "needs ORGBILL_CONFIG and the Stripe fake" }, async () => {
  const tag = `e2e-po-${Date.now()}`;
  const password = "e2e-password-123";
  const org = makeOrg(tag, `Purchase ${tag}`);
  const email = `billing@${tag}.test`;
  makeMember(org, { email, name: "Pat Purchase", password, role: "billing", department: "Finance" });
  const { ctx, page } = await newPage(browser, { width: 1280, height: 1000 });
  const problems = watchProblems(page);
  await signIn(page, email, password);

  // Billing details make the org's Stripe customer; a visa card becomes its default.
  await page.goto(`${BASE}/billing/details`);
  await page.getByLabel("Billing e-mail").fill(email);
  await page.getByLabel("Country (two letters)").fill("us");
  await page.getByRole("button", { name: "Save" }).click();
  await page.waitForURL(/done=details_saved/);
  const customers = await stripe("GET", `/v1/customers?email=${encodeURIComponent(email)}`);
  assert.equal(customers.data.length, 1);
  const cus = customers.data[0].id;
  const pm = await stripe("POST", "/v1/payment_methods/pm_card_visa/attach", { customer: cus });
  await stripe("POST", `/v1/customers/${cus}`, { "invoice_settings[default_payment_method]": pm.id });

  const status = async () => {
    const r = await page.context().request.get(`${BASE}/api/v1/org-billing/credits/${org}`);
    assert.equal(r.status(), 200);
    return r.json();
  };
  const before = (await status()).granted;

  // The purchase form, as rendered: its one-time key is in a hidden field.
  await page.goto(`${BASE}/billing/invoices`);
  const form = page.locator('form[action="/billing/credits/purchase"]');
  const idem = await form.locator('input[name="idem"]').inputValue();
  assert.match(idem, /^[0-9a-f]{32}$/);
  await form.getByLabel("Credits").fill("1234");

  // A double click: the form is submitted twice at once.
  const answers = [];
  page.on("response", (r) => {
    if (r.url() === `${BASE}/billing/credits/purchase`) answers.push(r.status());
  });
  await Promise.all([
    page.waitForURL(/done=credits_bought/, { timeout: 20000 }),
    form.evaluate((f) => { f.requestSubmit(); f.requestSubmit(); }),
  ]);

  // Later, the same form data sent again (back and resubmit).
  const csrf = await page.locator('form[action="/billing/credits/purchase"] input[name="csrf"]').inputValue();
  const again = await page.context().request.post(`${BASE}/billing/credits/purchase`, {
    form: { csrf, idem, credits: "1234" },
    headers: { origin: new URL(BASE).origin },
    maxRedirects: 0,
  });
  assert.equal(again.status(), 303);
  assert.match(again.headers().location, /done=credits_bought/);

  // One purchase, one charge; the payment's webhooks grant the credits once.
  const charges = await stripe("GET", `/v1/charges?customer=${cus}&limit=100`);
  assert.equal(charges.data.length, 1, "one charge at Stripe");
  assert.equal(charges.data[0].amount > 0, true);
  await deliverWebhooks();
  await deliverWebhooks();
  assert.equal((await status()).granted, before + 1234, "the balance rose once");
  const list = await page.context().request.get(`${BASE}/api/v1/org-billing/credit-purchases/${org}`);
  assert.equal(list.status(), 200);
  const purchases = (await list.json()).data;
  assert.equal(purchases.length, 1, "one purchase");
  assert.equal(purchases[0].credits, 1234);
  assert.equal(purchases[0].status, "granted");
  await page.goto(`${BASE}/billing/invoices`);
  await page.screenshot({ path: shot("purchase-once"), fullPage: true });
  assert.ok(answers.length >= 1);
  assert.deepEqual(problems, []);
  await ctx.close();
});
