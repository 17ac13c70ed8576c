// Every console page as every demo role, at 1280 and 390 px: axe-core finds
// no serious or critical violation, the page never scrolls sideways on a
// phone, and a screenshot of each is kept under OB_E2E_OUT/a11y/ for review.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { BASE, OUT, openBrowser, newPage, signIn } from "./lib.mjs";
import { PAGES, ROLES, WIDTHS, seriousViolations, scrollsSideways, overflowing, smallTargets } from "./a11y_lib.mjs";

let browser;
before(async () => ({ browser } = await openBrowser()));
after(async () => browser && (await browser.close()));

const DIR = path.join(OUT, "a11y");
mkdirSync(DIR, { recursive: true });

// The ids the paths with {…} need: Acme's id (the database), an invoice and
// a webhook event (the first the owner's and staff's lists link to).
async function discoverIds() {
  const ids = {};
  if (process.env.DATABASE_URL)
    ids.org = execFileSync("psql", ["-qtAX", process.env.DATABASE_URL, "-c",
      "SELECT id FROM organizations WHERE slug = 'acme'"], { encoding: "utf8" }).trim();
  const { ctx, page } = await newPage(browser);
  await signIn(page, ROLES.owner);
  await page.goto(`${BASE}/invoices`);
  const invs = page.locator('a[href^="/billing/invoices/"]:not([href$="/pdf"])');
  const inv = (await invs.count()) > 0 ? await invs.first().getAttribute("href") : null;
  if (inv) ids.invoice = inv.split("/").pop();
  await ctx.close();
  const s = await newPage(browser);
  await signIn(s.page, ROLES.staff);
  await s.page.goto(`${BASE}/admin/webhooks`);
  const evs = s.page.locator('a[href^="/admin/webhooks/"]');
  const ev = (await evs.count()) > 0 ? await evs.first().getAttribute("href") : null;
  if (ev) ids.event = ev.split("/").pop();
  await s.ctx.close();
  return ids;
}

function fill(p, ids) {
  return p.replace(/\{(\w+)\}/g, (_, k) => ids[k] ?? "");
}

const slug = (p) => (p === "/" ? "overview" : p.slice(1).replace(/[^a-z0-9]+/gi, "-"));

// The signed-out pages a visitor sees: the landing page, the sign-in and SSO forms.
test("the signed-out pages pass axe and fit a phone", async () => {
  const problems = [];
  for (const width of WIDTHS) {
    const { ctx, page } = await newPage(browser, { width, height: 860 });
    for (const p of ["/", "/login", "/sso"]) {
      await page.goto(`${BASE}${p}`);
      for (const v of await seriousViolations(page)) problems.push(`${p} @${width}: ${v}`);
      if (width < 500 && (await scrollsSideways(page)))
        problems.push(`${p} @${width}: scrolls sideways: ${(await overflowing(page)).join(", ")}`);
      if (width < 500)
        for (const t of await smallTargets(page)) problems.push(`${p} @${width}: small touch target ${t}`);
      await page.screenshot({ path: path.join(DIR, `anon-${width}-${slug(p)}.png`), fullPage: true });
    }
    await ctx.close();
  }
  assert.deepEqual(problems, []);
});

test("every console page as every role passes axe and fits a phone", async () => {
  const ids = await discoverIds();
  const problems = [];
  let visited = 0;
  // A11Y_ROLES="owner staff" narrows the walk while fixing a page.
  const only = (process.env.A11Y_ROLES || "").split(/\s+/).filter(Boolean);
  for (const [role, email] of Object.entries(ROLES)) {
    if (only.length && !only.includes(role)) continue;
    for (const width of WIDTHS) {
      const { ctx, page } = await newPage(browser, { width, height: 860 });
      await signIn(page, email);
      for (const tmpl of PAGES) {
        if ([...tmpl.matchAll(/\{(\w+)\}/g)].some((m) => !ids[m[1]])) continue;
        const p = fill(tmpl, ids);
        const res = await page.goto(`${BASE}${p}`);
        const where = `${p} as ${role} @${width} (${res.status()})`;
        for (const v of await seriousViolations(page)) problems.push(`${where}: ${v}`);
        if (width < 500 && (await scrollsSideways(page)))
          problems.push(`${where}: scrolls sideways: ${(await overflowing(page)).join(", ")}`);
        if (width < 500)
          for (const t of await smallTargets(page)) problems.push(`${where}: small touch target ${t}`);
        await page.screenshot({ path: path.join(DIR, `${role}-${width}-${slug(tmpl)}.png`), fullPage: true });
        visited++;
      }
      await ctx.close();
    }
  }
  assert.ok(visited >= (PAGES.length - 2) * 2 * (only.length || 5), `visited ${visited} pages`);
  assert.deepEqual(problems, []);
});
