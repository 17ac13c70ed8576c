// The Budgets page (docs/BUDGETS.md): an owner creates a hard member
// budget from the page; the member spends it to the cap, sees it, asks for
// a one-off allowance; their department manager approves it from the
// queue; the member can spend again — once, up to the allowance.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { BASE, openBrowser, watchProblems, shot, haveCli, makeOrg, makeMember, newPage, signIn } from "./lib.mjs";

let browser;
before(async () => ({ browser } = await openBrowser()));
after(async () => browser && (await browser.close()));

const sql = (q) =>
  execFileSync("psql", ["-qAtX", process.env.DATABASE_URL, "-c", q], { encoding: "utf8" }).trim();
const deduct = (org, user, amount, key) =>
  sql(`SELECT status FROM deduct_credits(${org}, ${user}, ${amount}, 'chat', NULL, '${key}', '\\x00', NULL, NULL)`);

test("a member hits the cap, asks, the manager approves, the member spends again", { skip: !haveCli || !process.env.DATABASE_URL }, async () => {
  const tag = `bud-${process.pid}-${Date.now() % 100000}`;
  const password = "a-long-password-1";
  const org = makeOrg(tag, `Budgets ${tag}`);
  makeMember(org, { email: `owner@${tag}.test`, name: "Olga Owner", password, role: "owner", department: "" });
  const mgr = makeMember(org, { email: `mgr@${tag}.test`, name: "Max Manager", password, role: "member", department: "Eng" });
  const amy = makeMember(org, { email: `amy@${tag}.test`, name: "Amy Member", password, role: "member", department: "Eng" });
  sql(`UPDATE memberships SET manages = 'Eng' WHERE org_id = ${org} AND user_id = ${mgr}`);
  sql(`SELECT * FROM add_credits_to_pool(${org}, NULL, 100000, 'manual', NULL, NULL, 'test', 'test', NULL)`);

  // The owner creates Amy's hard budget of 100 credits a month.
  const owner = await newPage(browser, { width: 1280, height: 1000 });
  const problems = watchProblems(owner.page);
  await signIn(owner.page, `owner@${tag}.test`, password);
  await owner.page.getByRole("link", { name: "Budgets" }).click();
  await owner.page.waitForURL(`${BASE}/budgets`);
  await owner.page.locator("#nb-scope").selectOption("member");
  await owner.page.locator("#nb-user").fill(amy);
  await owner.page.locator("#nb-credits").fill("100");
  await owner.page.getByRole("button", { name: "Create" }).click();
  await owner.page.waitForURL(/flash=created/);
  assert.match(await owner.page.locator("#budgets tbody").innerText(), new RegExp(`amy@${tag}.test`));
  await owner.page.screenshot({ path: shot("budgets-owner"), fullPage: true });

  // Amy spends it all; the next credit is refused by her budget.
  assert.equal(deduct(org, amy, 100, "e2e-1"), "ok");
  assert.equal(deduct(org, amy, 1, "e2e-2"), "budget_exceeded");

  // Amy sees her budget at the cap (read-only) and asks for 50 more.
  const member = await newPage(browser, { width: 1280, height: 1000 });
  await signIn(member.page, `amy@${tag}.test`, password);
  await member.page.goto(`${BASE}/budgets`);
  const row = member.page.locator("#budgets tbody tr").first();
  assert.match(await row.innerText(), /0 left/);
  assert.equal(await member.page.locator("#new-budget").count(), 0, "members do not manage budgets");
  assert.equal(await row.locator("form").count(), 0, "members see their budget read-only");
  await member.page.locator("#rq-amount").fill("50");
  await member.page.locator("#rq-reason").fill("the customer workshop runs long");
  await member.page.getByRole("button", { name: "Send the request" }).click();
  await member.page.waitForURL(/flash=requested/);
  assert.match(await member.page.locator("#requests tbody").innerText(), /pending/);
  assert.equal(await member.page.locator("#requests button").count(), 0, "no approving one's own request");

  // The manager approves it from the queue.
  const manager = await newPage(browser, { width: 1280, height: 1000 });
  await signIn(manager.page, `mgr@${tag}.test`, password);
  await manager.page.goto(`${BASE}/budgets`);
  const req = manager.page.locator("#requests tbody tr", { hasText: `amy@${tag}.test` });
  await req.getByRole("button", { name: "Approve" }).click();
  await manager.page.waitForURL(/flash=decided/);
  assert.match(await manager.page.locator("#requests tbody").innerText(), /approved/);
  await manager.page.screenshot({ path: shot("budgets-manager"), fullPage: true });

  // Amy can spend again: 50 more, then no more.
  assert.equal(deduct(org, amy, 50, "e2e-3"), "ok");
  assert.equal(deduct(org, amy, 1, "e2e-4"), "budget_exceeded");
  await member.page.reload();
  assert.match(await member.page.locator("#budgets tbody").innerText(), /over the limit|0 left/);
  assert.deepEqual(problems, []);
  await owner.ctx.close();
  await member.ctx.close();
  await manager.ctx.close();
});
