// The console by keyboard alone (Tab, Enter, Space and typing; no clicks):
// sign in, change the seats, download an invoice. Every control reached
// shows a visible focus ring. A fresh org per run, made with the CLI, with
// a subscription bought through the console's form (set-up, not the walk).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { BASE, openBrowser, shot, haveCli, makeOrg, makeMember, newPage, resetSignInLimits, deliverWebhooks } from "./lib.mjs";

let browser;
before(async () => ({ browser } = await openBrowser()));
after(async () => browser && (await browser.close()));

// What has the focus: tag, id, name, text, and whether a focus ring shows
// (an outline of 2 px or more, or a box-shadow).
function focused(page) {
  return page.evaluate(() => {
    const el = document.activeElement;
    if (!el || el === document.body) return null;
    const cs = getComputedStyle(el);
    const ring = (cs.outlineStyle !== "none" && parseFloat(cs.outlineWidth) >= 2) || cs.boxShadow !== "none";
    return {
      tag: el.tagName.toLowerCase(), id: el.id, name: el.getAttribute("name") || "",
      text: (el.innerText || el.value || "").trim(), href: el.getAttribute("href") || "", ring,
    };
  });
}

// Press Tab until the focused element matches want (a function of what
// focused() says), at most max times; every stop on the way must show a
// focus ring. Returns the element reached.
async function tabTo(page, want, what, max = 80) {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press("Tab");
    const f = await focused(page);
    if (!f) continue;
    assert.ok(f.ring, `no visible focus on ${f.tag}#${f.id} "${f.text.slice(0, 30)}"`);
    if (want(f)) return f;
  }
  throw new Error(`Tab never reached ${what}`);
}

test("sign in, change seats and download an invoice by keyboard", { skip: !haveCli && "needs ORGBILL_CONFIG" }, async () => {
  const tag = `a11y-kb-${Date.now()}`;
  const password = "a11y-password-123";
  const org = makeOrg(tag, `Keys ${tag}`);
  const email = `owner@${tag}.test`;
  makeMember(org, { email, name: "Kay Keyboard", password, role: "owner", department: "Ops" });
  const { ctx, page } = await newPage(browser, { width: 1280, height: 900 });

  // Sign in: Tab to the fields, type, Enter on the button.
  resetSignInLimits();
  await page.goto(`${BASE}/login`);
  await tabTo(page, (f) => f.id === "email", "the e-mail field");
  await page.keyboard.type(email);
  await tabTo(page, (f) => f.id === "password", "the password field");
  await page.keyboard.type(password);
  await tabTo(page, (f) => f.tag === "button" && f.text === "Sign in", "Sign in");
  await page.screenshot({ path: shot("a11y-keyboard-sign-in") });
  await page.keyboard.press("Enter");
  await page.waitForURL(`${BASE}/`);

  // Set-up: a subscription of 2 seats bought with the test card (the form a
  // plan card posts), its events delivered as Stripe would.
  const csrf = await page.locator('input[name="csrf"]').first().inputValue();
  const bought = await page.request.post(`${BASE}/subscription/create`, {
    form: { csrf, plan: "business", cycle: "month", seats: "2", payment_method: "pm_card_visa", email },
    maxRedirects: 0,
  });
  assert.equal(bought.status(), 303);
  await deliverWebhooks();

  // Change seats: the Subscription link, the seats field, Review, Confirm.
  await page.goto(`${BASE}/`);
  await tabTo(page, (f) => f.tag === "a" && f.href === "/subscription", "the Subscription link");
  await page.keyboard.press("Enter");
  await page.waitForURL(`${BASE}/subscription`);
  await tabTo(page, (f) => f.id === "seats-input", "the seats field");
  await page.keyboard.press("Control+A");
  await page.keyboard.type("3");
  // "Review change" shows the preview with its confirm button (the
  // subscription page's confirm step), then "Confirm: 3 seats".
  await tabTo(page, (f) => f.id === "preview-btn", "Review change");
  await page.keyboard.press("Enter");
  await page.waitForURL(/\/subscription\/preview/);
  await tabTo(page, (f) => f.id === "confirm-btn", "Confirm: 3 seats");
  await page.screenshot({ path: shot("a11y-keyboard-seats") });
  await page.keyboard.press("Enter");
  await page.waitForURL(/\/subscription\?done=/);
  await deliverWebhooks();
  await page.goto(`${BASE}/subscription`);
  assert.equal(await page.locator("#seats-input").inputValue(), "3");

  // Download an invoice: the Invoices link, then the latest invoice's PDF (Space
  // on a link does nothing, Enter follows it).
  await tabTo(page, (f) => f.tag === "a" && f.href === "/invoices", "the Invoices link");
  await page.keyboard.press("Enter");
  await page.waitForURL(`${BASE}/invoices`);
  await tabTo(page, (f) => f.tag === "a" && /\/pdf$/.test(f.href), "an invoice's PDF link");
  await page.screenshot({ path: shot("a11y-keyboard-invoice") });
  const got = await Promise.race([
    page.waitForEvent("download").then(async (d) => ({ name: d.suggestedFilename() })),
    page.waitForResponse((r) => /\/pdf$/.test(new URL(r.url()).pathname) || /\.pdf/.test(r.url()))
      .then(async (r) => ({ type: r.headers()["content-type"] || "", status: r.status() })),
    page.keyboard.press("Enter").then(() => new Promise(() => {})),
  ]);
  if (got.name !== undefined) assert.match(got.name, /\.pdf$/);
  else assert.ok(got.status < 400, `PDF answered ${got.status}`);
  await ctx.close();
});

test("a form's errors are reached and read from the field by keyboard", { skip: !haveCli && "needs ORGBILL_CONFIG" }, async () => {
  const tag = `a11y-kbf-${Date.now()}`;
  const password = "a11y-password-123";
  const org = makeOrg(tag, `Forms ${tag}`);
  const email = `owner@${tag}.test`;
  makeMember(org, { email, name: "Flo Forms", password, role: "owner", department: "Ops" });
  const { ctx, page } = await newPage(browser, { width: 390, height: 860 });
  resetSignInLimits();
  await page.goto(`${BASE}/login`);
  await tabTo(page, (f) => f.id === "email", "the e-mail field");
  await page.keyboard.type(email);
  await tabTo(page, (f) => f.id === "password", "the password field");
  await page.keyboard.type(password);
  await page.keyboard.press("Enter");
  await page.waitForURL(`${BASE}/`);

  // The invitation form with a wrong address and a too-long department.
  await page.goto(`${BASE}/members`);
  await tabTo(page, (f) => f.id === "invite-email", "the invitation's e-mail field");
  await page.keyboard.type("name.example.com");
  await tabTo(page, (f) => f.id === "invite-dept", "the department field");
  await page.keyboard.type("d".repeat(100));
  await tabTo(page, (f) => f.tag === "button" && f.text === "Invite", "Invite");
  await page.keyboard.press("Space");
  await page.waitForLoadState("domcontentloaded");
  await page.locator("#invite-email").waitFor();
  // All errors at once: the e-mail's next to it, described by it; the input kept.
  const field = page.locator("#invite-email");
  assert.equal(await field.getAttribute("aria-invalid"), "true");
  const described = await field.getAttribute("aria-describedby");
  assert.equal(await page.locator(`#${described}`).textContent(), "Error: Enter an e-mail address like name@example.com.");
  assert.equal(await field.inputValue(), "name.example.com");
  assert.equal(await page.locator("#invite-dept").inputValue(), "d".repeat(100));
  // The summary's link moves the focus to the field (Enter on it).
  await tabTo(page, (f) => f.tag === "a" && f.href === "#invite-email", "the summary's link");
  await page.keyboard.press("Enter");
  assert.equal((await focused(page)).id, "invite-email");
  await page.screenshot({ path: shot("a11y-keyboard-invite-errors"), fullPage: true });
  await ctx.close();
});
