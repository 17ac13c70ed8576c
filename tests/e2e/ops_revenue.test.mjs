// Staff read revenue figures on /admin/revenue from a hand-made history
// (currency xxx, nothing else uses it); the numbers were worked out by hand
// from docs/ADMIN.md, "Revenue".
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { BASE, openBrowser, watchProblems, shot, newPage, signIn } from "./lib.mjs";

let browser;
before(async () => ({ browser } = await openBrowser()));
after(async () => browser && (await browser.close()));

function sql(statement) {
  execFileSync("psql", [process.env.DATABASE_URL, "-q", "-v", "ON_ERROR_STOP=1", "-c", statement]);
}

test("staff see a month's MRR, movements and retention", { skip: !process.env.DATABASE_URL }, async () => {
  // acme: 49.00 from May 2023, down to 20.00 in June; globex: new at 25.00 in June.
  sql(`DELETE FROM subscription_history WHERE currency = 'xxx';
    INSERT INTO subscription_history (org_id, at, plan_code, cycle, seats, unit_amount, currency, status, mrr)
    SELECT o.id, v.at::timestamptz, v.plan, 'month', 1, v.mrr, 'xxx', 'active', v.mrr
    FROM (VALUES ('acme', '2023-05-03T10:00:00Z', 'pro', 4900), ('globex', '2023-06-10T10:00:00Z', 'team', 2500),
      ('acme', '2023-06-20T10:00:00Z', 'pro', 2000)) v(slug, at, plan, mrr)
    JOIN organizations o ON o.slug = v.slug`);
  const { ctx, page } = await newPage(browser, { width: 1400, height: 900 });
  const problems = watchProblems(page);
  await signIn(page, "staff@orgbill.test");
  await page.goto(`${BASE}/admin/revenue`);
  await page.getByLabel("Currency").fill("xxx");
  await page.getByLabel("Last month").fill("2023-06");
  await page.getByLabel("Months").fill("2");
  await page.getByRole("button", { name: "Show" }).click();
  await page.waitForURL(/to=2023-06/);
  const may = page.locator('tr[data-month="2023-05"]');
  const june = page.locator('tr[data-month="2023-06"]');
  assert.equal(await may.locator(".mrr").innerText(), "49.00 XXX");
  assert.equal(await may.locator(".new").innerText(), "49.00 XXX");
  assert.equal(await may.locator(".nrr").innerText(), "n/a");
  assert.equal(await june.locator(".mrr").innerText(), "45.00 XXX");
  assert.equal(await june.locator(".arr").innerText(), "540.00 XXX");
  assert.equal(await june.locator(".new").innerText(), "25.00 XXX");
  assert.equal(await june.locator(".contraction").innerText(), "29.00 XXX");
  assert.equal(await june.locator(".churned").innerText(), "0.00 XXX");
  assert.equal(await june.locator(".customers").innerText(), "2");
  assert.equal(await june.locator(".logo-churn").innerText(), "0.00 %");
  assert.equal(await june.locator(".revenue-churn").innerText(), "59.18 %"); // 2900 / 4900
  assert.equal(await june.locator(".nrr").innerText(), "40.82 %"); // 2000 / 4900
  assert.match(await june.locator(".plans").innerText(), /pro: 1 team: 1/);
  assert.equal(await page.locator("#latest-mrr").innerText(), "45.00 XXX");
  assert.equal(await page.locator("#latest-nrr").innerText(), "40.82 %");
  await page.screenshot({ path: shot("admin-revenue"), fullPage: true });
  // The CSV export link carries the same range.
  const href = await page.locator("#revenue-csv").getAttribute("href");
  assert.match(href, /currency=xxx&to=2023-06&months=2/);
  assert.deepEqual(problems, []);
  await ctx.close();
  sql("DELETE FROM subscription_history WHERE currency = 'xxx'");
});
