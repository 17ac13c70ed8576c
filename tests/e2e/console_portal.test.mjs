// The billing portal from the console: "Update payment method" leaves the
// console for Stripe's portal (past the CSP's form-action 'self', through
// our hand-off page) and the portal's return link brings the person back.
// A fresh org per run, made with the CLI.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { BASE, openBrowser, watchProblems, shot, haveCli, makeOrg, makeMember, newPage, signIn } from "./lib.mjs";

const FAKE = process.env.OB_TEST_STRIPE_FAKE;
let browser;
before(async () => ({ browser } = await openBrowser()));
after(async () => browser && (await browser.close()));

test("update payment method opens the portal and comes back", { skip: (!haveCli || !FAKE) && "needs ORGBILL_CONFIG and the Stripe fake" }, async () => {
  const tag = `e2e-portal-${Date.now()}`;
  const password = "e2e-password-123";
  const org = makeOrg(tag, `Portal ${tag}`);
  const email = `billing@${tag}.test`;
  makeMember(org, { email, name: "Pat Portal", password, role: "billing", department: "Finance" });
  const { ctx, page } = await newPage(browser, { width: 1280, height: 900 });
  const problems = watchProblems(page);
  await signIn(page, email, password);
  await page.goto(`${BASE}/invoices`);

  // The fake's page has no favicon (its 404 is not ours to judge): only
  // what happens on the console's pages counts.
  assert.deepEqual(problems, []);
  await page.getByRole("button", { name: "Update payment method" }).click();
  await page.waitForURL((u) => u.href.startsWith(`${FAKE}/p/session/`), { timeout: 15000 });
  assert.match(await page.locator("h1").innerText(), /Billing portal/);
  await page.screenshot({ path: shot("console-portal"), fullPage: true });

  problems.length = 0;
  await page.locator("a#return").click();
  await page.waitForURL(`${BASE}/billing/invoices`);
  assert.equal(await page.locator("h1").first().innerText(), "Invoices");
  assert.deepEqual(problems, []);
  await ctx.close();
});
