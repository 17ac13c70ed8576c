// The Usage page: an owner reaches it from the navigation and sees the
// forecast sentence, the 30-day chart with its data table in <details>
// and the CSV link; a new org sees the empty state and "not enough data";
// a member is refused. Screenshots at 1280 and 390 px.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { BASE, openBrowser, watchProblems, shot, signedIn, haveCli, makeOrg, makeMember } from "./lib.mjs";

let browser;
before(async () => ({ browser } = await openBrowser()));
after(async () => browser && (await browser.close()));

const FORECAST = /^(At the recent rate, the credits run out around \d{4}-\d{2}-\d{2} \(likely between .+ and .+\)\.|At the recent rate, the credits last beyond the next 400 days\.|Not enough data for a forecast yet: it needs 14 days of usage\.)$/;

for (const viewport of [{ width: 1280, height: 900 }, { width: 390, height: 844 }]) {
  test(`owner at ${viewport.width} px: forecast, chart, data table, CSV link`, async () => {
    const { ctx, page } = await signedIn(browser, "owner@acme.test", { viewport });
    const problems = watchProblems(page);
    if (viewport.width > 600) {
      await page.getByRole("link", { name: "Usage", exact: true }).click();
      await page.waitForURL(`${BASE}/usage`);
    } else {
      await page.goto(`${BASE}/usage`);
    }
    assert.equal(await page.locator("h1").first().innerText(), "Usage");
    assert.match(await page.locator("#usage-forecast").innerText(), FORECAST);
    assert.match(await page.locator("#usage-period").innerText(), /^This period \(\d{4}-\d{2}-\d{2} to \d{4}-\d{2}-\d{2}\): [\d,]+ credits used/);
    // The demo org has usage: 30 bars, and the same 30 days in the table.
    assert.equal(await page.locator("#usage-chart rect.bar").count(), 30);
    assert.match(await page.locator("#usage-chart rect.bar").nth(29).locator("title").textContent(),
      /^\d{4}-\d{2}-\d{2}: [\d,]+ credits$/);
    assert.equal(await page.locator("#usage-table").isVisible(), false);
    await page.locator("#main details summary").click();
    assert.equal(await page.locator("#usage-table tbody tr").count(), 30);
    const href = await page.locator("#usage-csv").getAttribute("href");
    assert.match(href, /^\/api\/v1\/org-billing\/analytics\/\d+\/usage\.csv/);
    // The export answers the signed-in owner with an attachment.
    const res = await page.request.get(`${BASE}${href}`);
    assert.equal(res.status(), 200);
    assert.match(res.headers()["content-disposition"], /^attachment;/);
    assert.match(await res.text(), /^bucket,key,label,credits\r\n/);
    const box = await page.locator("#usage-chart").boundingBox();
    assert.ok(box.width <= viewport.width, "the chart fits the page");
    await page.screenshot({ path: shot(`analytics-usage-${viewport.width}`), fullPage: true });
    assert.deepEqual(problems, []);
    await ctx.close();
  });
}

test("a member may not open it", async () => {
  const { ctx, page } = await signedIn(browser, "member@acme.test");
  const res = await page.goto(`${BASE}/usage`);
  assert.equal(res.status(), 403);
  await ctx.close();
});

test("a new org: the empty state and not enough data", { skip: !haveCli && "needs ORGBILL_CONFIG" }, async () => {
  const tag = `anl-${Date.now()}`;
  const password = "analytics-password-123";
  const org = makeOrg(tag, `Usage ${tag}`);
  const email = `owner@${tag}.test`;
  makeMember(org, { email, name: "Una Usage", password, role: "owner", department: "Ops" });
  const { ctx, page } = await signedIn(browser, email, { password, viewport: { width: 1280, height: 900 } });
  await page.goto(`${BASE}/usage`);
  assert.equal(await page.locator("#usage-forecast").innerText(),
    "Not enough data for a forecast yet: it needs 14 days of usage.");
  assert.match(await page.locator("#usage-empty").innerText(), /^No usage in the last 30 days\./);
  assert.equal(await page.locator("#usage-chart").count(), 0);
  await page.screenshot({ path: shot("analytics-usage-empty") });
  await ctx.close();
});
