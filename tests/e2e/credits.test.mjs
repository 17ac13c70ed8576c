// The Credits page: an owner sees the pool, the 30-day chart (with the
// day's value on hover), allocations and the extra-task setting, and saves
// it; a member sees only their own allowance.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { BASE, openBrowser, watchProblems, shot, signedIn } from "./lib.mjs";

let browser;
before(async () => ({ browser } = await openBrowser()));
after(async () => browser && (await browser.close()));

const VIEWPORT = { width: 1280, height: 900 };
const num = (s) => Number(s.replace(/[^0-9-]/g, ""));

test("owner: cards, chart with hover values, allocations, extra tasks saved", async () => {
  const { ctx, page } = await signedIn(browser, "owner@acme.test", { viewport: VIEWPORT });
  const problems = watchProblems(page);
  await page.getByRole("link", { name: "Credits" }).click();
  await page.waitForURL(`${BASE}/credits`);
  assert.equal(await page.locator("h1").first().innerText(), "Credits");

  // Cards agree with the API's pool status: available = granted - used - expired.
  const available = num(await page.locator("#credits-available").innerText());
  const used = num(await page.locator("#credits-used").innerText());
  const granted = num((await page.locator("#credit-cards .card").first().innerText()).split("of ")[1]);
  assert.ok(granted > 0 && used > 0, "demo data has grants and usage");
  assert.ok(available <= granted - used, `${available} <= ${granted} - ${used}`);
  // The plan's included credits per seat, or a dash without a subscription.
  assert.match(await page.locator("#credits-per-seat").innerText(), /^(\u2014|[0-9][0-9,]*)$/);

  // 30 bars, each with a hover title; hovering shows the day's value.
  const bars = page.locator("#credits-chart rect.bar");
  assert.equal(await bars.count(), 30);
  const title = await bars.nth(29).locator("title").textContent();
  assert.match(title, /^\d{4}-\d{2}-\d{2}: [\d,]+ credits$/);
  await page.locator("#credits-chart rect.hit").nth(29).hover();
  assert.equal(await page.locator("#chart-readout").innerText(), title);
  assert.ok((await page.locator("#top-users tbody tr").count()) >= 1);
  assert.ok((await page.locator("#top-services tbody tr").count()) >= 1);
  assert.ok((await page.locator("#allocations tbody tr").count()) >= 4);
  await page.screenshot({ path: shot("credits-owner"), fullPage: true });

  // Toggle extra tasks and set a limit.
  const box = page.locator("#allow-extra");
  const was = await box.isChecked();
  await box.setChecked(!was);
  await page.locator("#max-extra").fill("250");
  await page.getByRole("button", { name: "Save", exact: true }).first().click();
  await page.waitForURL(/saved=settings/);
  assert.match(await page.locator(".flash-success").innerText(), /Extra-task settings saved/);
  assert.equal(await page.locator("#allow-extra").isChecked(), !was);
  assert.equal(await page.locator("#max-extra").inputValue(), "250");
  // Put it back as the demo had it.
  await page.locator("#allow-extra").setChecked(true);
  await page.locator("#max-extra").fill("100");
  await page.getByRole("button", { name: "Save", exact: true }).first().click();
  await page.waitForURL(/saved=settings/);

  // Edit one member's limit.
  const row = page.locator("#allocations tbody tr", { hasText: "member@acme.test" });
  await row.locator("input[name=limit]").fill("21000");
  await row.getByRole("button", { name: "Save" }).click();
  await page.waitForURL(/saved=allocations/);
  assert.equal(await page.locator("#allocations tbody tr", { hasText: "member@acme.test" })
    .locator("input[name=limit]").inputValue(), "21000");
  assert.deepEqual(problems, []);
  await ctx.close();
});

test("member: own allowance only, read-only", async () => {
  const { ctx, page } = await signedIn(browser, "member@acme.test", { viewport: VIEWPORT });
  const problems = watchProblems(page);
  await page.goto(`${BASE}/credits`);
  assert.equal(await page.locator("h1").first().innerText(), "Credits");
  assert.match(await page.locator("#my-allowance").innerText(), /Limit [\d,]+ · used [\d,]+ · left [\d,]+/);
  assert.equal(await page.locator("#credits-chart").count(), 0);
  assert.equal(await page.locator("#allocations").count(), 0);
  assert.equal(await page.locator("#extra-form").count(), 0);
  assert.equal(await page.locator("form[action^='/credits']").count(), 0);
  await page.screenshot({ path: shot("credits-member"), fullPage: true });
  assert.deepEqual(problems, []);
  await ctx.close();
});
