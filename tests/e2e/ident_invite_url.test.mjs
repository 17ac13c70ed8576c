// An invitation's link leaves no token behind: opening it trades the token
// for a short-lived __Host-ob_invite cookie and lands on /invite, so the
// address bar (and history) never keeps it; accepting clears the cookie.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { BASE, openBrowser, watchProblems, newPage, signedIn, cli, haveCli } from "./lib.mjs";

let browser;
before(async () => ({ browser } = await openBrowser()));
after(async () => browser && (await browser.close()));

const MAIL_DIR = process.env.OB_TEST_SMTP_DIR;

// The invitation link in the newest message to `to` (the SMTP sink's folder).
async function mailedLink(to) {
  for (let i = 0; i < 30; i++) {
    cli(["jobs", "--once"]);
    const files = readdirSync(MAIL_DIR).filter((f) => f.endsWith(".eml")).sort();
    for (const f of files.reverse()) {
      const text = readFileSync(path.join(MAIL_DIR, f), "utf8");
      if (!text.includes(`X-Sink-To: <${to}>`) && !text.includes(`X-Sink-To: ${to}`)) continue;
      const m = text.match(/(https:\/\/\S+\/invite\/([A-Za-z0-9_-]{43}))/);
      if (m) return { link: m[1], token: m[2] };
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`no invitation e-mail to ${to} in ${MAIL_DIR}`);
}

test("the invitation link's token leaves the address bar for a cookie", { skip: !haveCli || !MAIL_DIR }, async () => {
  const email = `url-${Date.now()}@newcomer.test`;
  const owner = await signedIn(browser, "owner@acme.test", { viewport: { width: 1280, height: 900 } });
  await owner.page.goto(`${BASE}/members`);
  await owner.page.getByLabel("E-mail", { exact: true }).fill(email);
  await owner.page.locator("#invite-role").selectOption("billing");
  await owner.page.getByRole("button", { name: "Invite" }).click();
  await owner.page.waitForURL(/flash=member_invited/);
  const { link, token } = await mailedLink(email);

  const { ctx, page } = await newPage(browser, { width: 1280, height: 900 });
  const problems = watchProblems(page);
  const res = await page.goto(link);
  assert.equal(res.status(), 200);
  // The final URL carries no token; the page neither.
  assert.equal(page.url(), `${BASE}/invite`);
  assert.ok(!page.url().includes(token));
  assert.ok(!(await page.content()).includes(token));
  assert.equal(await page.evaluate(() => location.pathname + location.search + location.hash), "/invite");
  // The token waits in a __Host- cookie the page's script cannot read.
  const c = (await ctx.cookies(BASE)).find((k) => k.name === "__Host-ob_invite");
  assert.ok(c, "no __Host-ob_invite cookie");
  assert.equal(c.value, token);
  assert.equal(c.httpOnly, true);
  assert.equal(c.secure, true);
  assert.equal(c.sameSite, "Lax");
  assert.equal(c.path, "/");
  assert.ok(c.expires > 0 && c.expires - Date.now() / 1000 <= 3600, `expires ${c.expires}`);
  assert.equal(await page.evaluate(() => document.cookie.includes("ob_invite")), false);
  assert.equal(await page.locator("#invite-new").getAttribute("action"), "/invite");

  await page.getByLabel("Your name").fill("Uma Url");
  await page.getByLabel("Choose a password").fill("a-link-without-a-token");
  await page.getByRole("button", { name: /Join Acme Corporation/ }).click();
  await page.waitForURL(`${BASE}/?flash=invitation_accepted`);
  assert.match(await page.locator(".who").innerText(), /Uma Url · billing/);
  // Accepting cleared the cookie; no URL on the way had the token.
  assert.equal((await ctx.cookies(BASE)).some((k) => k.name === "__Host-ob_invite"), false);
  assert.ok(!page.url().includes(token));
  assert.deepEqual(problems, []);
  await ctx.close();
  await owner.ctx.close();
});
