// The subscription, credits and invoices pages as people use them:
//  - a plan change goes through a confirm step whose preview sits on the
//    card of the plan it switches to, with plan names and, for a cheaper
//    plan, the credit it gives ("a credit of $40.00 to your balance"); the
//    confirm step and the cancel flow work without JavaScript;
//  - the Credits chart has axes, dates and its data as a table; a new org
//    sees what to do instead of an empty chart; nobody sees "-1": limits
//    are "Unlimited", set with a box;
//  - the invoice PDF comes from orgbill and carries the PO number, the
//    billing details and the lines; a credit purchase's flash says what
//    its payment really is ("Payment required … complete it here" with the
//    open invoice when the card is declined).
// Fresh orgs per run, made with the orgbill CLI of the stack under test.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import path from "node:path";
import {
  BASE, OUT, openBrowser, watchProblems, shot, haveCli, makeOrg, makeMember, newPage, signIn,
  signedIn, deliverWebhooks,
} from "./lib.mjs";

const FAKE = process.env.OB_TEST_STRIPE_FAKE;
const KEY = process.env.STRIPE_SECRET_KEY || "sk_test_fake";
const VIEWPORT = { width: 1280, height: 1000 };
const PASSWORD = "e2e-password-123";
let browser;
before(async () => ({ browser } = await openBrowser()));
after(async () => browser && (await browser.close()));

// A Stripe API call at the fake; its JSON answer (status 200 checked).
async function stripe(method, p, form) {
  const r = await fetch(`${FAKE}${p}`, {
    method,
    headers: { authorization: `Bearer ${KEY}`, "content-type": "application/x-www-form-urlencoded" },
    body: form ? new URLSearchParams(form).toString() : undefined,
  });
  assert.equal(r.status, 200, `${method} ${p}: ${r.status}`);
  return r.json();
}

// A new org with one member of role; [org id, e-mail].
function orgWith(prefix, role) {
  const tag = `${prefix}-${Date.now()}`;
  const org = makeOrg(tag, `Subs ${tag}`);
  const email = `${role}@${tag}.test`;
  makeMember(org, { email, name: `Sam ${role}`, password: PASSWORD, role, department: "Finance" });
  return [org, email, tag];
}

// Buy plan with seats through the order summary and the fake's Checkout page.
async function buy(page, plan, label, seats, email) {
  await page.goto(`${BASE}/subscription`);
  const form = page.locator(`.plan-card[data-plan="${plan}"] form.plan-buy`);
  await form.getByLabel("Seats").fill(String(seats));
  await form.getByRole("button", { name: `Choose ${label}` }).click();
  await page.getByRole("button", { name: "Continue to payment" }).click();
  await page.waitForURL((u) => u.pathname.startsWith("/c/pay/cs_"), { timeout: 15000 });
  await page.locator("input#email").fill(email);
  await page.locator("#cardNumber").fill("4242 4242 4242 4242");
  await page.locator("#submit").click();
  await page.waitForURL(/\/subscription\/checkout\/return/);
  await deliverWebhooks();
}

const cliSkip = (!haveCli || !FAKE) && "needs ORGBILL_CONFIG and the Stripe fake";

test("a plan change is confirmed beside its preview, names plans, shows the credit; no JavaScript needed", { skip: cliSkip }, async () => {
  const [, email] = orgWith("e2e-subs-plan", "billing");
  const { ctx, page } = await newPage(browser, VIEWPORT);
  await signIn(page, email, PASSWORD);
  await buy(page, "pro", "Pro", 2, email);

  // The rest without JavaScript, in the same session.
  const nojs = await browser.newContext({
    ignoreHTTPSErrors: true, javaScriptEnabled: false, viewport: VIEWPORT,
    storageState: await ctx.storageState(),
  });
  const p = await nojs.newPage();
  const problems = watchProblems(p);
  await p.goto(`${BASE}/subscription`);
  assert.match(await p.locator('#billing-hero [data-k="plan"]').innerText(), /^Pro$/);
  // One action per card: the current plan has none, the others one button.
  assert.equal(await p.locator('.plan-card[data-plan="pro"] button').count(), 0);
  const biz = p.locator('.plan-card[data-plan="business"]');
  assert.equal(await biz.locator("button").count(), 1);
  await biz.getByRole("button", { name: "Switch to Business…" }).click();

  // The preview is on the Business card: Pro 2 × $49 unused, Business 2 × $29 for
  // the rest of the period, bought a moment ago — a credit of $98 - $58 = $40.
  const confirm = p.locator('.plan-card[data-plan="business"] #confirm-change');
  await confirm.waitFor();
  assert.equal(await p.locator("#confirm-change").count(), 1);
  assert.equal(await confirm.locator("h3").innerText(), "Switch from Pro to Business");
  assert.equal(await confirm.locator("#preview-outcome").innerText(),
    "Takes effect now, with a credit of $40.00 to your balance: Stripe takes it off your next invoices.");
  const rows = await confirm.locator("#preview-lines tbody tr").allInnerTexts();
  assert.deepEqual(rows.map((r) => r.replace(/\s+/g, " ").trim()), [
    "Unused time (Pro) 2 -$98.00",
    "Remaining time (Business) 2 $58.00",
  ]);
  assert.equal(await confirm.locator("#preview-total").innerText(), "-$40.00");
  assert.equal(await confirm.locator("#preview-next").innerText(), "$58.00");
  assert.doesNotMatch(await p.locator("main").innerText(), /\b(pro|business)\b/, "plan codes shown");
  await p.screenshot({ path: shot("subs-confirm-plan"), fullPage: true });
  await confirm.getByRole("button", { name: "Confirm: switch to Business" }).click();
  await p.waitForURL(/done=changed/);
  assert.match(await p.locator('#billing-hero [data-k="plan"]').innerText(), /^Business$/);

  // Cancel: a button opens the form, which says what happens at period end and now.
  assert.equal(await p.locator("#cancel-form").isVisible(), false);
  await p.locator("#cancel-open").click();
  assert.equal(await p.locator("#cancel-form").isVisible(), true);
  assert.match(await p.locator("#when-end-h").innerText(), /^Everything keeps working until [A-Z][a-z]{2} \d{1,2}, \d{4}: your 2 seats stay assigned and this period's included credits stay usable until then\./);
  assert.match(await p.locator("#when-now-h").innerText(), /^The subscription ends today and the organization moves to the Free plan at once/);
  await p.getByLabel("Why are you canceling? (required)").fill("Budget review");
  await p.getByRole("button", { name: "Confirm cancellation" }).click();
  await p.waitForURL(/done=canceled/);
  assert.match(await p.locator("#billing-hero").innerText(), /cancels at period end/);
  assert.deepEqual(problems, []);
  await nojs.close();
  await ctx.close();
});

test("seat changes are confirmed too, with plan names in the live preview", { skip: cliSkip }, async () => {
  const [, email] = orgWith("e2e-subs-seats", "billing");
  const { ctx, page } = await newPage(browser, VIEWPORT);
  const problems = watchProblems(page);
  await signIn(page, email, PASSWORD);
  await buy(page, "business", "Business", 1, email);
  await page.goto(`${BASE}/subscription`);
  await page.getByRole("button", { name: "One seat more" }).click();
  await page.locator("#preview #confirm-change").waitFor();
  assert.equal(await page.locator("#confirm-h").innerText(), "2 seats on Business (monthly)");
  assert.match(await page.locator("#preview-outcome").innerText(), /^Takes effect now: \$\d+\.\d\d is charged now for the rest of this period\.$/);
  await page.getByRole("button", { name: "Confirm: 2 seats" }).click();
  await page.waitForURL(/done=changed/);
  assert.match(await page.locator('#billing-hero [data-k="seats"]').innerText(), /\/ 2$/);
  assert.deepEqual(problems.filter((x) => !/status of 4\d\d/.test(x)), []);
  await ctx.close();
});

test("credits: chart axes, dates and data table; Unlimited instead of -1", async () => {
  const { ctx, page } = await signedIn(browser, "owner@acme.test", { viewport: VIEWPORT });
  const problems = watchProblems(page);
  await page.goto(`${BASE}/credits`);
  const ticks = await page.locator("#credits-chart .y-axis text.tick").allTextContents();
  assert.equal(ticks.length, 3);
  assert.equal(ticks[0], "0");
  const peak = (await page.locator("#chart-summary").innerText()).match(/peak ([\d,]+) in a day/)[1];
  assert.equal(ticks[2], peak);
  const days = await page.locator("#credits-chart text.x-tick").allTextContents();
  assert.equal(days.length, 5);
  for (const d of days) assert.match(d, /^[A-Z][a-z]{2} \d{1,2}$/);
  assert.match(await page.locator("#credits-chart").innerHTML(), /Day \(UTC\)/);
  // The data as a table, opened from its summary.
  await page.getByText("The chart's data as a table").click();
  const rows = page.locator("#chart-table tbody tr");
  assert.equal(await rows.count(), 30);
  assert.match(await rows.nth(29).locator("th").innerText(), /^[A-Z][a-z]{2} \d{1,2}, \d{4}$/);
  assert.match(await rows.nth(29).locator("td.num").innerText(), /^[\d,]+$/);
  assert.match(await page.locator("#credit-cards").innerText(), /Extra tasks this period\s+\d+\s+Since [A-Z][a-z]{2} \d{1,2}, \d{4}/);

  // Extra tasks unlimited: a box, never "-1".
  await page.locator("#extra-unlimited").check();
  await page.locator("#extra-form").getByRole("button", { name: "Save" }).click();
  await page.waitForURL(/saved=settings/);
  assert.match(await page.locator("#extra-limit-text").innerText(), /allowed, no limit \(Unlimited\)/);
  assert.equal(await page.locator("#extra-unlimited").isChecked(), true);
  assert.equal(await page.locator("#max-extra").inputValue(), "");
  assert.doesNotMatch(await page.locator("main").innerText(), /(^|[^\d])[-−]1\b/);
  // Back as the demo had it: typing a number unticks the box.
  await page.locator("#max-extra").fill("100");
  assert.equal(await page.locator("#extra-unlimited").isChecked(), false);
  await page.locator("#extra-form").getByRole("button", { name: "Save" }).click();
  await page.waitForURL(/saved=settings/);
  assert.match(await page.locator("#extra-limit-text").innerText(), /allowed, at most 100/);

  // A member's limit set, removed with its Unlimited box, then put back as it was.
  const row = () => page.locator("#allocations tbody tr", { hasText: "admin@acme.test" });
  const box = () => row().getByLabel("Unlimited for admin@acme.test");
  const limit = () => row().locator("input[name=limit]");
  const save = async () => {
    await row().getByRole("button", { name: "Save" }).click();
    await page.waitForURL(/saved=allocations/);
  };
  const was = await limit().inputValue();
  await limit().fill("45000");
  assert.equal(await box().isChecked(), false, "typing a number unticks Unlimited");
  await save();
  assert.equal(await limit().inputValue(), "45000");
  assert.equal(await box().isChecked(), false);
  await box().check();
  assert.equal(await limit().inputValue(), "", "ticking Unlimited empties the number");
  await save();
  assert.equal(await box().isChecked(), true);
  assert.equal(await limit().inputValue(), "");
  assert.equal(await limit().getAttribute("placeholder"), "Unlimited");
  if (was !== "") {
    await limit().fill(was);
    await save();
    assert.equal(await limit().inputValue(), was);
  }
  await page.screenshot({ path: shot("subs-credits"), fullPage: true });
  assert.deepEqual(problems, []);
  await ctx.close();
});

test("credits: a new org is told where credits come from", { skip: cliSkip }, async () => {
  const [, email] = orgWith("e2e-subs-empty", "owner");
  const { ctx, page } = await newPage(browser, VIEWPORT);
  await signIn(page, email, PASSWORD);
  await page.goto(`${BASE}/credits`);
  assert.equal(await page.locator("#credits-empty").innerText(),
    "No credits yet. Credits come with a plan's seats (choose a plan) or can be bought on the Invoices page.");
  assert.match(await page.locator("#chart-empty").innerText(), /^No credits used in the last 30 days\. Usage shows here once your services spend credits through the credits API/);
  assert.equal(await page.locator("#credits-chart").count(), 0);
  await ctx.close();
});

test("invoices: orgbill's PDF carries the PO number, details and lines; purchase flashes follow the payment", { skip: cliSkip }, async () => {
  const [org, email, tag] = orgWith("e2e-subs-inv", "billing");
  const { ctx, page } = await newPage(browser, VIEWPORT);
  const problems = watchProblems(page);
  await signIn(page, email, PASSWORD);
  const po = `PO-${tag.slice(-6)}`;
  await page.goto(`${BASE}/billing/details`);
  await page.getByLabel("Billing e-mail").fill(email);
  await page.getByLabel("PO number").fill(po);
  await page.getByLabel("Country (two letters)").fill("de");
  await page.getByRole("button", { name: "Save" }).click();
  await page.waitForURL(/done=details_saved/);
  const cus = (await stripe("GET", `/v1/customers?email=${encodeURIComponent(email)}`)).data[0].id;
  const visa = await stripe("POST", "/v1/payment_methods/pm_card_visa/attach", { customer: cus });
  await stripe("POST", `/v1/customers/${cus}`, { "invoice_settings[default_payment_method]": visa.id });

  // A paid purchase: received, then added once the payment's webhooks arrive.
  await page.goto(`${BASE}/invoices`);
  await page.getByLabel("Credits", { exact: true }).fill("2000");
  await page.getByRole("button", { name: "Buy" }).click();
  await page.waitForURL(/done=credits_bought&purchase=pur_[0-9a-f]+/);
  assert.equal(await page.locator(".flash").innerText(),
    "Payment received: 2,000 credits are added as soon as Stripe confirms it.");
  await deliverWebhooks();
  await page.reload();
  assert.equal(await page.locator(".flash").innerText(), "2,000 credits added to your pool.");
  const bought = (await page.locator("#purchases tbody tr").first().allInnerTexts())[0];
  assert.match(bought.replace(/\s+/g, " "), /2,000 \$2\.00 Credits added$/);

  // The invoice page's lines have their quantity; its PDF is ours.
  await page.locator("#invoices tbody tr a").first().click();
  await page.waitForURL(/\/billing\/invoices\/inv_/);
  const line = await page.locator("#invoice-lines tbody tr").first().locator("td").allInnerTexts();
  assert.deepEqual(line, ["Purchase of 2000 credits", "Credit purchase", "1", "$2.00", "$2.00"]);
  const href = await page.locator("#invoice-pdf").getAttribute("href");
  const res = await page.context().request.get(`${BASE}${href}`, { maxRedirects: 0 });
  assert.equal(res.status(), 200);
  assert.equal(res.headers()["content-type"], "application/pdf");
  const file = path.join(OUT, `subs-invoice-${tag}.pdf`);
  writeFileSync(file, await res.body());
  const text = execFileSync("pdftotext", ["-layout", file, "-"], { encoding: "utf8" });
  assert.match(text, /^Invoice [A-Z0-9]+-\d{4}\s+Status: paid$/m);
  assert.match(text, /^Bill to$/m);
  assert.match(text, new RegExp(`^Subs ${tag}$`, "m"));
  assert.match(text, new RegExp(`^${email.replace(/[.]/g, "\\.")}$`, "m"));
  assert.match(text, new RegExp(`^PO number: ${po}$`, "m"));
  assert.match(text, /^Purchase of 2000 credits\s+1\s+2\.00 USD\s+2\.00 USD$/m);
  assert.match(text, /^\s+Amount paid\s+2\.00 USD$/m);
  assert.match(text, /^\s+Amount remaining\s+0\.00 USD$/m);

  // A declined card: payment required, with the open invoice to pay.
  const bad = await stripe("POST", "/v1/payment_methods/pm_card_chargeDeclined/attach", { customer: cus });
  await stripe("POST", `/v1/customers/${cus}`, { "invoice_settings[default_payment_method]": bad.id });
  await page.goto(`${BASE}/invoices`);
  await page.getByLabel("Credits", { exact: true }).fill("1000");
  await page.getByRole("button", { name: "Buy" }).click();
  await page.waitForURL(/done=credits_declined&purchase=pur_[0-9a-f]+/);
  const flash = page.locator(".flash");
  assert.equal(await flash.innerText(), "Payment required for 1,000 credits — complete it here");
  assert.doesNotMatch(await flash.innerText(), /declined/);
  assert.match((await page.locator("#purchases tbody tr").first().innerText()).replace(/\s+/g, " "),
    /1,000 \$1\.00 Payment required — pay it here$/);
  await page.screenshot({ path: shot("subs-purchase-declined"), fullPage: true });
  await flash.getByRole("link", { name: "complete it here" }).click();
  await page.waitForURL(/\/billing\/invoices\/inv_[0-9a-f]{32}$/);
  assert.equal(await page.locator("#invoice-status").innerText(), "Open");
  assert.equal(await page.locator("#invoice-total").innerText(), "$1.00");
  assert.deepEqual(problems.filter((x) => !/status of 4\d\d/.test(x)), []);
  void org;
  await ctx.close();
});
