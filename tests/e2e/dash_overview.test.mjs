// The Overview as a dashboard, and the console's error pages, as each demo
// login sees them (docs/CONSOLE.md, "Overview" and "Error pages").
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { BASE, openBrowser, watchProblems, shot, newPage, signedIn } from "./lib.mjs";

let browser;
before(async () => ({ browser } = await openBrowser()));
after(async () => browser && (await browser.close()));

// The next steps each demo login is offered, written from the policy's table.
const ACTIONS = {
  "owner@acme.test": ["Top up the credit pool", "Change the plan or seat count", "Assign licenses", "Set member allowances",
    "Invite a member", "Create an API key"],
  "billing@acme.test": ["Top up the credit pool", "Change the plan or seat count", "Assign licenses", "Set member allowances",
    "View the member list"],
  "member@acme.test": ["See your credit allowance", "View the member list"],
};

for (const [email, actions] of Object.entries(ACTIONS)) {
  test(`${email}: the overview is a dashboard with the next steps they may take`, async () => {
    for (const width of [1280, 390]) {
      const { ctx, page } = await signedIn(browser, email, { viewport: { width, height: 900 } });
      const problems = watchProblems(page);
      const dash = page.locator("#dashboard");
      // Balance: a grouped count; the forecast says what it is based on.
      assert.match(await dash.locator('[data-k="balance"]').innerText(), /^\d{1,3}(,\d{3})* credits$/);
      assert.match(await dash.locator('[data-k="forecast"]').innerText(),
        /^(At [\d,]+ credits a day \(the last \d+ days' average\), the balance (lasts [\d,]+ more days?|runs out today)\.|Not enough data for a forecast yet \(under 7 days of usage\)\.|No credits used in the last 30 days: no run-out expected\.|No credits left\.|At [\d,]+ credits a day the balance lasts more than ten years\.)$/);
      // Plan and seats used / purchased.
      assert.match(await page.locator('#billing-hero [data-k="seats"]').innerText(), /^\d+ \/ \d+$/);
      assert.match(await page.locator('#billing-hero [data-k="plan"]').innerText(), /\S/);
      // Usage against limits: formatted numbers or "Unlimited", never -1.
      const limits = await dash.locator('#dash-usage [data-k="limit"]').allInnerTexts();
      assert.equal(limits.length, 5);
      for (const l of limits) assert.match(l, /^(Unlimited|\d{1,3}(,\d{3})*)$/);
      assert.doesNotMatch(await dash.locator("#dash-usage").innerText(), /-1\b/);
      // Money only for billers.
      assert.equal(await dash.locator("#dash-billing").count(), email === "member@acme.test" ? 0 : 1);
      if (email !== "member@acme.test")
        assert.match(await dash.locator('[data-k="amount-due"]').innerText(), /^\$\d{1,3}(,\d{3})*\.\d{2}$/);
      // The next steps, exactly; each opens.
      const links = dash.locator("#dash-actions a");
      assert.deepEqual(await links.allInnerTexts(), actions);
      if (width === 390)
        assert.equal(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), true,
          "no horizontal page scroll at 390 px");
      await page.screenshot({ path: shot(`dash-overview-${email.split("@")[0]}-${width}`), fullPage: true });
      if (width === 1280) {
        for (const href of await links.evaluateAll((as) => as.map((a) => a.getAttribute("href")))) {
          const r = await page.context().request.get(`${BASE}${href}`, { maxRedirects: 0 });
          assert.equal(r.status(), 200, `${email} ${href}`);
        }
      }
      assert.deepEqual(problems, []);
      await ctx.close();
    }
  });
}

test("an error page keeps the session, the org switcher and the navigation, with a way back", async () => {
  const { ctx, page } = await signedIn(browser, "member@acme.test");
  await page.goto(`${BASE}/credits`);
  // A page the member may not open, reached from the credits page.
  const res = await page.goto(`${BASE}/invoices`, { referer: `${BASE}/credits` });
  assert.equal(res.status(), 403);
  assert.match(await page.locator("h1").innerText(), /^403 · /);
  assert.match(await page.locator(".who").innerText(), /Max Member · member/);
  assert.equal(await page.locator("#org-switch").count(), 1);
  assert.deepEqual(await page.locator("nav.sidenav a").allInnerTexts(), ["Overview", "Credits", "Budgets", "Members"]);
  await page.screenshot({ path: shot("dash-error-403-member"), fullPage: true });
  await page.getByRole("link", { name: "Back to the previous page" }).click();
  await page.waitForURL(`${BASE}/credits`);
  await page.goto(`${BASE}/invoices`);
  await page.getByRole("link", { name: "Back to the overview" }).click();
  await page.waitForURL(`${BASE}/`);
  assert.equal(await page.locator("#dashboard").count(), 1);
  await ctx.close();
});

test("an anonymous error page offers sign-in, which comes back", async () => {
  const { ctx, page } = await newPage(browser);
  const res = await page.goto(`${BASE}/no-such-page`);
  assert.equal(res.status(), 404);
  const signIn = page.locator("main").getByRole("link", { name: "Sign in" });
  assert.equal(await signIn.getAttribute("href"), "/login?next=/no-such-page");
  await signIn.click();
  await page.waitForURL(`${BASE}/login?next=/no-such-page`);
  assert.equal(await page.getByLabel("E-mail").count(), 1);
  await ctx.close();
});

test("staff land on an overview that offers the staff console", async () => {
  const { ctx, page } = await signedIn(browser, "staff@orgbill.test");
  const links = page.locator("#dash-actions a");
  assert.deepEqual(await links.allInnerTexts(), ["Admin", "Customers", "Webhooks", "Refunds"]);
  // An org page they have no org for: the 404 still shows their console.
  const res = await page.goto(`${BASE}/seats`);
  assert.equal(res.status(), 404);
  assert.deepEqual(await page.locator("nav.sidenav a").allInnerTexts(), ["Overview", "Admin", "Customers", "Webhooks", "Refunds"]);
  await ctx.close();
});
