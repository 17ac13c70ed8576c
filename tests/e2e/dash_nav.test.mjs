// Navigation follows the policy: per demo login, exactly the links that
// person may open — and every link shown opens (never 403 or 404). The
// expected sets are written out here from docs/SECURITY.md's role table,
// not taken from the code.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { BASE, openBrowser, watchProblems, shot, newPage, signedIn } from "./lib.mjs";

let browser;
before(async () => ({ browser } = await openBrowser()));
after(async () => browser && (await browser.close()));

const ORG_ALL = ["/", "/subscription", "/seats", "/credits", "/usage", "/budgets", "/invoices", "/members", "/api-keys", "/activity"];
const EXPECTED = {
  "owner@acme.test": ORG_ALL,
  "admin@acme.test": ORG_ALL,
  // Billing managers: every billing page, the member list, the activity; no API keys (managers only).
  "billing@acme.test": ["/", "/subscription", "/seats", "/credits", "/usage", "/budgets", "/invoices", "/members", "/activity"],
  // Members: the overview, their credits (Acme shows billing to members), their budgets, the member list.
  "member@acme.test": ["/", "/credits", "/budgets", "/members"],
  // Staff without an org: the staff console, no org pages (they would 404).
  "staff@orgbill.test": ["/", "/admin", "/admin/customers", "/admin/webhooks", "/admin/refunds"],
};
const LABELS = {
  "/": "Overview", "/subscription": "Subscription", "/seats": "Seats", "/credits": "Credits", "/usage": "Usage", "/budgets": "Budgets",
  "/invoices": "Invoices", "/members": "Members", "/api-keys": "API keys", "/activity": "Activity",
  "/admin": "Admin", "/admin/customers": "Customers", "/admin/webhooks": "Webhooks", "/admin/refunds": "Refunds",
};
// Org pages that the login must NOT be able to open (what the hidden links would answer).
const HIDDEN_ANSWERS = {
  "billing@acme.test": { "/api-keys": 403 },
  "member@acme.test": { "/subscription": 403, "/seats": 403, "/usage": 403, "/invoices": 403, "/api-keys": 403, "/activity": 403 },
  "staff@orgbill.test": { "/subscription": 404, "/credits": 404, "/usage": 404, "/budgets": 404, "/members": 404 },
};

async function navLinks(page) {
  return page.locator("nav.sidenav a").evaluateAll((as) =>
    as.map((a) => [a.getAttribute("href"), a.textContent.trim()]));
}

for (const [email, hrefs] of Object.entries(EXPECTED)) {
  test(`${email} sees exactly the links they may open, and each opens`, async () => {
    const { ctx, page } = await signedIn(browser, email);
    const problems = watchProblems(page);
    assert.deepEqual(await navLinks(page), hrefs.map((h) => [h, LABELS[h]]));
    for (const href of hrefs) {
      const res = await page.goto(`${BASE}${href}`);
      assert.equal(res.status(), 200, `${email} ${href}`);
      // The page's own link is the current one, and the menu is the same on every page.
      assert.equal(await page.locator('nav.sidenav a[aria-current="page"]').getAttribute("href"),
        href.startsWith("/admin") ? "/admin" : href, `${email} ${href} current`);
      assert.deepEqual(await navLinks(page), hrefs.map((h) => [h, LABELS[h]]), `${email} ${href}`);
    }
    // What is hidden really is closed to this login.
    for (const [href, status] of Object.entries(HIDDEN_ANSWERS[email] || {})) {
      const r = await page.context().request.get(`${BASE}${href}`, { maxRedirects: 0 });
      assert.equal(r.status(), status, `${email} ${href} hidden`);
    }
    assert.deepEqual(problems, []);
    await ctx.close();
  });
}

test("a visitor sees only the overview link", async () => {
  const { ctx, page } = await newPage(browser);
  await page.goto(`${BASE}/`);
  assert.deepEqual(await navLinks(page), [["/", "Overview"]]);
  await ctx.close();
});

test("at 390 px the menu is collapsed behind a toggle that works without JavaScript", async () => {
  const ctx = await browser.newContext({ ignoreHTTPSErrors: true, javaScriptEnabled: false,
    viewport: { width: 390, height: 800 } });
  const page = await ctx.newPage();
  await page.goto(`${BASE}/login`);
  await page.getByLabel("E-mail").fill("billing@acme.test");
  await page.getByLabel("Password").fill("demo-password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(`${BASE}/`);
  const toggle = page.locator("nav.sidenav summary.navmenu-toggle");
  assert.equal(await toggle.isVisible(), true);
  assert.equal(await page.locator("nav.sidenav a", { hasText: "Invoices" }).isVisible(), false);
  const box = await toggle.boundingBox();
  assert.ok(box.height >= 44, `toggle ${box.height} px tall`);
  await toggle.click();
  await page.screenshot({ path: shot("dash-nav-390-open"), fullPage: true });
  const link = page.locator("nav.sidenav a", { hasText: "Invoices" });
  assert.equal(await link.isVisible(), true);
  assert.ok((await link.boundingBox()).height >= 44);
  await link.click();
  await page.waitForURL(`${BASE}/invoices`);
  // No horizontal scroll of the overview with the menu open (the wide
  // tables of the other pages are their own matter).
  await page.goto(`${BASE}/`);
  await page.locator("nav.sidenav summary").click();
  assert.equal(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), true);
  await ctx.close();
});

test("at 1280 px the menu is always open and the toggle hidden", async () => {
  const { ctx, page } = await signedIn(browser, "owner@acme.test", { viewport: { width: 1280, height: 900 } });
  assert.equal(await page.locator("nav.sidenav summary.navmenu-toggle").isVisible(), false);
  assert.equal(await page.locator("nav.sidenav a", { hasText: "API keys" }).isVisible(), true);
  await ctx.close();
});
