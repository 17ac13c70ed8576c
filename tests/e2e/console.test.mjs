// Signing in, the org switcher, members and API keys — as a person would.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { BASE, openBrowser, watchProblems, shot, newPage, submitSignIn, signIn, signedIn } from "./lib.mjs";

let browser, context;
before(async () => ({ browser, context } = await openBrowser()));
after(async () => browser && (await browser.close()));

test("a wrong password gets one uniform message", async () => {
  const page = await context.newPage();
  await submitSignIn(page, "owner@acme.test", "not-the-password");
  assert.match(await page.locator(".flash-error").innerText(), /Incorrect email or password\./);
  assert.equal(await page.getByLabel("E-mail").inputValue(), "owner@acme.test");
  await page.close();
});

test("owner signs in, manages members and creates an API key", async () => {
  const { ctx, page } = await newPage(browser, { width: 1280, height: 900 });
  const problems = watchProblems(page);
  await signIn(page, "owner@acme.test");
  assert.equal(await page.locator("h1").first().innerText(), "Acme Corporation");
  assert.match(await page.locator(".who").innerText(), /Olivia Owner · owner/);

  // The org switcher lists both orgs; Acme is selected.
  const options = await page.locator("#org-switch option").allInnerTexts();
  assert.deepEqual(options.sort(), ["Acme Corporation", "Globex Inc."]);
  await page.screenshot({ path: shot("overview-owner"), fullPage: true });

  await page.getByRole("link", { name: "Members" }).click();
  await page.waitForURL(`${BASE}/members`);
  assert.ok((await page.locator("#members tbody tr").count()) >= 4);
  await page.getByLabel("E-mail", { exact: true }).fill(`e2e-${Date.now()}@acme.test`);
  await page.locator("#invite-role").selectOption("billing");
  await page.getByLabel("Department").fill("Finance");
  await page.getByRole("button", { name: "Invite" }).click();
  await page.waitForURL(/flash=member_invited/);
  assert.match(await page.locator(".flash-success").innerText(), /Member invited/);
  await page.screenshot({ path: shot("members-owner"), fullPage: true });

  await page.getByRole("link", { name: "API keys" }).click();
  await page.getByLabel("Name").fill("e2e service");
  await page.getByLabel("meter").check();
  await page.getByRole("button", { name: "Create key" }).click();
  const key = await page.locator("#new-key").innerText();
  assert.match(key, /^ob_[a-z0-9]{12}_[A-Za-z0-9_-]{43}$/);
  // Shown once: a reload no longer shows it.
  await page.goto(`${BASE}/api-keys`);
  assert.equal(await page.locator("#new-key").count(), 0);
  const prefix = key.slice(3, 15);
  assert.equal(await page.locator(`tr[data-prefix="${prefix}"]`).count(), 1);

  // Switching to Globex changes what the console shows.
  await page.locator("#org-switch").selectOption({ label: "Globex Inc." });
  await page.waitForURL(/flash=org_switched/);
  assert.equal(await page.locator("h1").first().innerText(), "Globex Inc.");
  // Owner of Acme is only billing in Globex: members are read-only there.
  await page.getByRole("link", { name: "Members" }).click();
  assert.equal(await page.getByRole("button", { name: "Invite" }).count(), 0);
  // Back to Acme (the default is remembered).
  await page.locator("#org-switch").selectOption({ label: "Acme Corporation" });
  await page.waitForURL(/flash=org_switched/);

  await page.getByRole("button", { name: "Sign out" }).click();
  await page.waitForURL(/\/login\?flash=signed_out/);
  await page.goto(`${BASE}/members`);
  await page.waitForURL(/\/login\?next=\/members/);
  assert.deepEqual(problems, []);
  await ctx.close();
});

test("a member sees a read-only member list and no key management", async () => {
  const { ctx, page } = await signedIn(browser, "member@acme.test");
  await page.goto(`${BASE}/members`);
  assert.match(await page.locator("p.muted").first().innerText(), /owners and admins manage members/);
  assert.equal(await page.locator("#members select").count(), 0);
  const res = await page.goto(`${BASE}/api-keys`);
  assert.equal(res.status(), 403);
  assert.match(await page.locator("h1").innerText(), /403/);
  await page.screenshot({ path: shot("member-forbidden") });
  await ctx.close();
});
