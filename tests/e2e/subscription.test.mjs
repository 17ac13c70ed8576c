// The subscription and seats pages as a billing manager: plan cards with
// prices per cycle, the monthly/annual switch, the seat stepper's live
// preview, cancel with a reason, reactivate, and license assignment.
// A fresh org per run (subscription changes are limited to 5 per org per
// hour), made with the orgbill CLI of the stack under test.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { BASE, openBrowser, watchProblems, shot, haveCli, makeOrg, makeMember, newPage, signIn, deliverWebhooks } from "./lib.mjs";

let browser;
before(async () => ({ browser } = await openBrowser()));
after(async () => browser && (await browser.close()));

test("billing manager buys, previews seats, cancels and reactivates", { skip: !haveCli && "needs ORGBILL_CONFIG" }, async () => {
  const tag = `e2e-sub-${Date.now()}`;
  const password = "e2e-password-123";
  const org = makeOrg(tag, `Sub ${tag}`);
  const email = `billing@${tag}.test`;
  makeMember(org, { email, name: "Bea Billing", password, role: "billing", department: "Finance" });
  for (let i = 0; i < 3; i++) {
    makeMember(org, {
      email: `m${i}@${tag}.test`, name: `Member ${i}`, password,
      role: "member", department: i % 2 ? "Sales" : "Engineering",
    });
  }
  const { ctx, page } = await newPage(browser, { width: 1280, height: 1000 });
  const problems = watchProblems(page);
  await signIn(page, email, password);
  await page.goto(`${BASE}/subscription`);
  assert.equal(await page.locator("h1").first().innerText(), "Subscription");
  assert.match(await page.locator("#billing-hero").innerText(), /No plan/);

  // Plan cards: monthly prices shown, annual after the switch.
  const pro = page.locator('.plan-card[data-plan="pro"]');
  assert.match(await pro.locator(".price-month").innerText(), /\$49\.00/);
  assert.equal(await pro.locator(".price-year").isVisible(), false);
  await page.getByRole("radio", { name: "Annual (10 % off)" }).check();
  assert.match(await pro.locator(".price-year").innerText(), /\$529\.20/);
  assert.equal(await pro.locator(".price-month").isVisible(), false);
  assert.match(await page.locator('.plan-card[data-plan="business"] .price-year').innerText(), /\$313\.20/);
  await page.screenshot({ path: shot("subscription-plans-annual"), fullPage: true });
  await page.getByRole("radio", { name: "Monthly" }).check();

  // Buy Business, 2 seats (the fake charges its test card).
  const buy = page.locator('.plan-card[data-plan="business"] form.plan-buy');
  await buy.getByLabel("Seats").fill("2");
  await buy.getByRole("button", { name: "Choose Business" }).click();
  // The order summary, then Stripe Checkout with the test card; the
  // subscription exists once the fake's events are delivered.
  await page.getByRole("button", { name: "Continue to payment" }).click();
  await page.waitForURL((u) => u.pathname.startsWith("/c/pay/cs_"), { timeout: 15000 });
  await page.locator("input#email").fill(email);
  await page.locator("#cardNumber").fill("4242 4242 4242 4242");
  await page.locator("#submit").click();
  await page.waitForURL(/\/subscription\/checkout\/return/);
  await deliverWebhooks();
  await page.goto(`${BASE}/subscription`);
  assert.match(await page.locator("#billing-hero").innerText(), /Business/);
  assert.match(await page.locator('#billing-hero [data-k="seats"]').innerText(), /0 \/ 2/);

  // The seat stepper previews live (JS) …
  await page.getByRole("button", { name: "One seat more" }).click();
  await page.locator("#preview-lines").waitFor();
  assert.match(await page.locator("#preview").innerText(), /3 seats on Business/);
  assert.match(await page.locator("#preview-total").innerText(), /^\$/);
  await page.screenshot({ path: shot("subscription-seat-preview"), fullPage: true });
  // … and "Review change" works as a plain form post; the change is confirmed there.
  await page.locator("#seats-input").fill("3");
  await page.getByRole("button", { name: "Review change", exact: true }).click();
  await page.locator("#preview-lines").waitFor();
  assert.match(await page.locator("#preview").innerText(), /days remaining/);
  await page.getByRole("button", { name: "Confirm: 3 seats" }).click();
  await page.waitForURL(/done=changed/);
  assert.match(await page.locator('#billing-hero [data-k="seats"]').innerText(), /0 \/ 3/);

  // Cancel opens its form, needs a reason; then reactivate.
  await page.locator("#cancel-open").click();
  await page.getByLabel("Why are you canceling? (required)").fill("Moving to another tool");
  await page.getByRole("button", { name: "Confirm cancellation" }).click();
  await page.waitForURL(/done=canceled/);
  assert.match(await page.locator("#billing-hero").innerText(), /cancels at period end/);
  assert.match(await page.locator("main").innerText(), /Moving to another tool/);
  await page.screenshot({ path: shot("subscription-canceling"), fullPage: true });
  await page.getByRole("button", { name: "Reactivate subscription" }).click();
  await page.waitForURL(/done=reactivated/);
  assert.doesNotMatch(await page.locator("#billing-hero").innerText(), /cancels at period end/);

  // Seats page: assign two, then a CSV with a bad row applies nothing.
  await page.getByRole("link", { name: "Seats" }).click();
  await page.waitForURL(`${BASE}/seats`);
  assert.ok((await page.locator("h2.dept").count()) >= 2);
  await page.getByLabel(`Select m0@${tag}.test`).check();
  await page.getByLabel(`Select m1@${tag}.test`).check();
  await page.getByRole("button", { name: "Assign selected" }).click();
  await page.waitForURL(/done=assigned/);
  assert.match(await page.locator("#seat-summary").innerText(), /2 assigned of 3 purchased/);
  await page.getByLabel("CSV", { exact: true }).fill(`email\nm2@${tag}.test\nnobody@${tag}.test\n`);
  await page.getByRole("button", { name: "Apply CSV" }).click();
  assert.match(await page.locator("#bad-rows").innerText(), /Line 3: nobody@/);
  assert.match(await page.locator("#seat-summary").innerText(), /2 assigned of 3 purchased/);
  await page.screenshot({ path: shot("seats-csv-bad-rows"), fullPage: true });
  assert.deepEqual(problems.filter((p) => !/status of 4\d\d/.test(p)), []);
  await ctx.close();
});
