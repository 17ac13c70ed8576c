// Invitations as people meet them: an owner invites from the members page,
// the invitee opens the link from the e-mail (the SMTP sink's mail folder),
// sets a password and lands in the org as a member; the link then says it
// was already used.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { BASE, openBrowser, watchProblems, shot, newPage, signedIn, cli, haveCli } from "./lib.mjs";

let browser;
before(async () => ({ browser } = await openBrowser()));
after(async () => browser && (await browser.close()));

const MAIL_DIR = process.env.OB_TEST_SMTP_DIR;

// The invitation link in the newest message to `to`, once the outbox has
// been delivered (orgbill jobs --once), waiting up to 15 s for the sink.
async function mailedLink(to) {
  for (let i = 0; i < 30; i++) {
    cli(["jobs", "--once"]);
    const files = readdirSync(MAIL_DIR).filter((f) => f.endsWith(".eml")).sort();
    for (const f of files.reverse()) {
      const text = readFileSync(path.join(MAIL_DIR, f), "utf8");
      if (!text.includes(`X-Sink-To: <${to}>`) && !text.includes(`X-Sink-To: ${to}`)) continue;
      const m = text.match(/(https:\/\/\S+\/invite\/[A-Za-z0-9_-]{43})/);
      if (m) return m[1];
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`no invitation e-mail to ${to} in ${MAIL_DIR}`);
}

test("an owner invites; the invitee sets a password from the e-mail's link and joins", { skip: !haveCli || !MAIL_DIR }, async () => {
  const email = `invitee-${Date.now()}@newcomer.test`;
  const owner = await signedIn(browser, "owner@acme.test", { viewport: { width: 1280, height: 900 } });
  const problems = watchProblems(owner.page);
  await owner.page.goto(`${BASE}/members`);
  await owner.page.getByLabel("E-mail", { exact: true }).fill(email);
  await owner.page.locator("#invite-role").selectOption("member");
  await owner.page.getByRole("button", { name: "Invite" }).click();
  await owner.page.waitForURL(/flash=member_invited/);
  // Pending, not a member yet: listed under the invitations with its forms.
  const row = owner.page.locator("#invitations tr", { hasText: email });
  assert.equal(await row.count(), 1);
  assert.equal(await row.getByRole("button", { name: "Resend" }).count(), 1);
  assert.equal(await owner.page.locator("#members tr", { hasText: email }).count(), 0);
  await owner.page.screenshot({ path: shot("invites-pending"), fullPage: true });

  const link = await mailedLink(email);
  assert.ok(link.startsWith(`${BASE}/invite/`), link);

  // The invitee: no session, straight from the e-mail.
  const { ctx, page } = await newPage(browser, { width: 1280, height: 900 });
  const mine = watchProblems(page);
  const res = await page.goto(link);
  assert.equal(res.status(), 200);
  assert.match(await page.locator("#invite").innerText(), /Acme Corporation/);
  assert.equal(await page.locator("#invite-email").inputValue(), email);
  await page.getByLabel("Your name").fill("Ivy Invitee");
  await page.getByLabel("Choose a password").fill("a-garden-of-forking-paths");
  await page.screenshot({ path: shot("invites-accept") });
  await page.getByRole("button", { name: /Join Acme Corporation/ }).click();
  await page.waitForURL(`${BASE}/?flash=invitation_accepted`);
  assert.match(await page.locator(".who").innerText(), /Ivy Invitee · member/);
  assert.equal(await page.locator("h1").first().innerText(), "Acme Corporation");
  assert.match(await page.locator(".flash-success").innerText(), /joined the organization/);

  // The link works once.
  const again = await page.goto(link);
  assert.equal(again.status(), 410);
  assert.match(await page.locator("#invite").innerText(), /already been used/);
  await page.screenshot({ path: shot("invites-used") });

  // The owner now sees a member, and no pending invitation for the address.
  await owner.page.goto(`${BASE}/members`);
  assert.equal(await owner.page.locator("#members tr", { hasText: email }).count(), 1);
  assert.equal(await owner.page.locator("#invitations tr", { hasText: email }).count(), 0);
  assert.deepEqual(problems, []);
  // The used link's 410 is the answer this test asks for; nothing else may fail.
  assert.deepEqual(mine.filter((p) => !/status of 410/.test(p)), []);
  assert.equal(mine.length, 1);
  await ctx.close();
  await owner.ctx.close();
});
