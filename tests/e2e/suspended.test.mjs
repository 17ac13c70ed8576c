// A suspended org's console: the banner, the read-only note, and no forms
// for what the gate would refuse (docs/SECURITY.md, "Suspended organizations").
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { BASE, openBrowser, watchProblems, shot, haveCli, makeOrg, makeMember, newPage, signIn } from "./lib.mjs";

let browser;
before(async () => ({ browser } = await openBrowser()));
after(async () => browser && (await browser.close()));

function sql(statement) {
  execFileSync("psql", [process.env.DATABASE_URL, "-q", "-v", "ON_ERROR_STOP=1", "-c", statement]);
}

const ready = haveCli && !!process.env.DATABASE_URL;

test("a suspended org's owner sees the banner and no management forms", { skip: !ready && "needs ORGBILL_CONFIG and DATABASE_URL" }, async () => {
  const tag = `e2e-susp-${Date.now()}`;
  const password = "e2e-password-123";
  const org = makeOrg(tag, `Susp ${tag}`);
  const email = `owner@${tag}.test`;
  makeMember(org, { email, name: "Otto Owner", password, role: "owner", department: "Ops" });
  const { ctx, page } = await newPage(browser, { width: 1280, height: 900 });
  const problems = watchProblems(page);
  await signIn(page, email, password);

  // In good standing: the members page offers the invite form.
  await page.goto(`${BASE}/members`);
  assert.equal(await page.getByRole("button", { name: "Invite" }).count(), 1);
  assert.equal(await page.locator("#read-only-note").count(), 0);

  sql(`UPDATE organizations SET billing_state = 'suspended', status = 'suspended', suspended_reason = 'billing: e2e' WHERE id = ${Number(org)}`);
  await page.goto(`${BASE}/members`);
  assert.match(await page.locator("#billing-banner").innerText(), /Organization suspended/);
  assert.match(await page.locator("#read-only-note").innerText(), /read-only/);
  assert.equal(await page.getByRole("button", { name: "Invite" }).count(), 0);
  assert.equal(await page.getByRole("button", { name: "Remove" }).count(), 0);
  await page.screenshot({ path: shot("suspended-members"), fullPage: true });

  // Paying stays open: the invoices page still offers the payment method.
  await page.goto(`${BASE}/invoices`);
  assert.equal(await page.getByRole("button", { name: "Update payment method" }).count(), 1);
  assert.deepEqual(problems, []);

  sql(`UPDATE organizations SET billing_state = 'active', status = 'active', suspended_reason = NULL WHERE id = ${Number(org)}`);
  await ctx.close();
});
