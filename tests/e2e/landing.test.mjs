// The console's landing page, as a person sees it.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync, statSync } from "node:fs";
import { BASE, openBrowser, watchProblems, shot } from "./lib.mjs";

let browser, context;
before(async () => ({ browser, context } = await openBrowser()));
after(async () => browser && (await browser.close()));

test("landing page renders the console frame", async () => {
  const page = await context.newPage();
  const problems = watchProblems(page);
  const res = await page.goto(`${BASE}/`, { waitUntil: "load" });
  assert.equal(res.status(), 200);
  assert.equal(await page.title(), "Organization billing · orgbill");
  assert.equal(await page.locator("h1").first().innerText(), "Organization billing");

  // Navigation: only what a visitor may open (the overview), marked current.
  const nav = page.locator("nav.sidenav a");
  assert.deepEqual(await nav.allInnerTexts(), ["Overview"]);
  assert.equal(await page.locator('nav.sidenav a[aria-current="page"]').innerText(), "Overview");
  // Admin is for staff only: not shown to an anonymous visitor.
  assert.equal(await page.locator("nav.sidenav .staff").count(), 0);

  // The stylesheet and script loaded under the CSP (no inline code needed).
  const layout = await page.locator(".frame").evaluate((el) => getComputedStyle(el).display);
  assert.equal(layout, "grid");
  assert.equal(await page.locator("html.js").count(), 1);
  assert.match(await page.locator("footer.footer").innerText(), /orgbill \d+\.\d+\.\d+/);
  assert.equal(await page.locator(".card").count(), 3);

  await page.screenshot({ path: shot("landing"), fullPage: true });
  assert.ok(existsSync(shot("landing")) && statSync(shot("landing")).size > 10000);
  assert.deepEqual(problems, []);
  await page.close();
});

test("unknown page shows a readable error inside the frame", async () => {
  const page = await context.newPage();
  const res = await page.goto(`${BASE}/no-such-page`);
  assert.equal(res.status(), 404);
  assert.match(await page.locator("h1").innerText(), /404/);
  assert.equal(await page.locator("nav.sidenav").count(), 1);
  await page.getByRole("link", { name: "Back to the overview" }).click();
  await page.waitForURL(`${BASE}/`);
  assert.equal(await page.locator("h1").first().innerText(), "Organization billing");
  await page.screenshot({ path: shot("not-found") });
  await page.close();
});

test("narrow screens stack the navigation above the content", async () => {
  const page = await context.newPage();
  await page.setViewportSize({ width: 420, height: 900 });
  await page.goto(`${BASE}/`);
  const navBox = await page.locator("nav.sidenav").boundingBox();
  const mainBox = await page.locator("main").boundingBox();
  assert.ok(navBox.y + navBox.height <= mainBox.y + 1, "nav above main");
  await page.screenshot({ path: shot("landing-narrow"), fullPage: true });
  await page.close();
});
