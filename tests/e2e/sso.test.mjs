// Single sign-on in headless Chromium against the real OpenID provider the
// test stack runs (tests/oidc, OB_TEST_OIDC_URL): an owner connects the org
// through the API, a new person signs in with SSO and lands in the console
// as a member; with SSO required, the password form points to SSO.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import {
  BASE, openBrowser, watchProblems, shot, haveCli, cli, makeOrg, makeMember,
  signedIn, newPage, resetSignInLimits, submitSignIn,
} from "./lib.mjs";

const OIDC = process.env.OB_TEST_OIDC_URL;
const skip = !haveCli || !OIDC ? "needs the test stack's CLI and OpenID provider" : false;

let browser;
before(async () => { if (!skip) ({ browser } = await openBrowser()); });
after(async () => browser && (await browser.close()));

const tag = `${process.pid}-${Date.now()}`;
const slug = `sso-e2e-${tag}`;
const domain = `sso-e2e-${tag}.test`;
const ownerEmail = `owner-${tag}@example.test`;
const ownerPassword = "a-long-password-1";
let orgId;

async function providerNext(account) {
  const res = await fetch(`${OIDC}/_test/account`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(account),
  });
  assert.equal(res.status, 200);
}

// PUT the org's connection from the owner's signed-in page (session + CSRF).
async function connect(page, orgId, required) {
  const csrf = await page.locator('input[name="csrf"]').first().getAttribute("value");
  return page.evaluate(async ({ orgId, csrf, issuer, domain, required }) => {
    const r = await fetch(`/api/v1/org-billing/${orgId}/sso`, {
      method: "PUT",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify({
        issuer, client_id: "orgbill-rs", client_secret: "orgbill-rs-secret",
        allowed_domains: [domain], sso_required: required,
      }),
    });
    return { status: r.status, body: await r.text() };
  }, { orgId, csrf, issuer: OIDC, domain, required });
}

test("a new person signs in with SSO and lands in the console as a member", { skip }, async () => {
  orgId = makeOrg(slug, "SSO Browser Co");
  makeMember(orgId, { email: ownerEmail, name: "Owner", password: ownerPassword, role: "owner", department: "" });
  const owner = await signedIn(browser, ownerEmail, { password: ownerPassword });
  const put = await connect(owner.page, orgId, false);
  assert.equal(put.status, 200, put.body);
  await owner.ctx.close();
  // An owner's domain routes nobody until the operator verifies it.
  cli(["sso", "verify-domain", "--org", orgId, "--domain", domain]);

  const email = `pat@${domain}`;
  await providerNext({ sub: `pat-${tag}`, email, email_verified: true });
  const { ctx, page } = await newPage(browser);
  const problems = watchProblems(page);
  resetSignInLimits();
  await page.goto(`${BASE}/login`);
  await page.getByRole("link", { name: "Sign in with SSO" }).click();
  await page.waitForURL(`${BASE}/sso`);
  await page.getByLabel("Work e-mail or organization").fill(email);
  await page.getByRole("button", { name: "Continue" }).click();
  // The hand-off page moves on to the provider, which signs the test
  // account in and sends the browser back to our callback, then to /.
  await page.waitForURL(`${BASE}/`, { timeout: 20000 });
  await page.screenshot({ path: shot("sso-signed-in"), fullPage: true });
  await page.goto(`${BASE}/members`);
  assert.ok((await page.locator("main").innerText()).includes(email));
  assert.deepEqual(problems.filter((p) => !p.includes("favicon")), []);
  await ctx.close();
});

test("with SSO required, the password form says to use SSO", { skip }, async () => {
  assert.ok(orgId, "the first test made the org");
  const owner = await signedIn(browser, ownerEmail, { password: ownerPassword });
  const put = await connect(owner.page, orgId, true);
  assert.equal(put.status, 200, put.body);
  await owner.ctx.close();

  const { ctx, page } = await newPage(browser);
  resetSignInLimits();
  await submitSignIn(page, ownerEmail, ownerPassword);
  await page.getByText(/requires single sign-on/).waitFor();
  assert.match(await page.locator("body").innerText(), /Sign in with SSO/);
  await page.screenshot({ path: shot("sso-required") });
  await ctx.close();
});
