// Shared set-up for the browser tests: Debian's Chromium, headless, driven
// by playwright-core (no browser download). The stack's URL comes from
// OB_TEST_BASE_URL; screenshots go to OB_E2E_OUT (under the build tree).
import { chromium } from "playwright-core";
import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import path from "node:path";

export const BASE = process.env.OB_TEST_BASE_URL || "https://localhost:8443";
export const OUT = process.env.OB_E2E_OUT || path.resolve("../../build/e2e");
mkdirSync(OUT, { recursive: true });

export async function openBrowser() {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--disable-dev-shm-usage",
    ],
  });
  // The stack's certificate is self-signed; the C integration suite checks
  // it properly (against the stack's own CA file), the browser only looks.
  const context = await browser.newContext({
    ignoreHTTPSErrors: true,
    viewport: { width: 1280, height: 860 },
  });
  return { browser, context };
}

// Collect what a person would notice going wrong: console errors (CSP
// refusals among them) and failed requests.
export function watchProblems(page) {
  const problems = [];
  page.on("console", (m) => {
    if (m.type() === "error") problems.push(`console: ${m.text()}`);
  });
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  // A fetch still in flight when the page navigates is aborted by the
  // browser (net::ERR_ABORTED): nobody sees that; anything else counts.
  page.on("requestfailed", (r) => {
    const why = r.failure() ? r.failure().errorText : "";
    if (why !== "net::ERR_ABORTED") problems.push(`request failed: ${r.url()} ${why}`);
  });
  return problems;
}

export function shot(name) {
  return path.join(OUT, `${name}.png`);
}

// ---- Fixtures: signing in, and orgs and members made with the CLI ----

// The password of every demo login the stack is seeded with, but staff's.
export const DEMO_PASSWORD = "demo-password";

// The demo staff logins' password (staff@, support@, finance@orgbill.test,
// one per staff role) is random per stack (deploy/stack.sh makes it;
// tests/run-all.sh passes it on).
export function passwordOf(email) {
  return email.endsWith("@orgbill.test") && process.env.OB_TEST_STAFF_PASSWORD
    ? process.env.OB_TEST_STAFF_PASSWORD : DEMO_PASSWORD;
}

// A new browser context (the stack's self-signed certificate accepted) and
// a page in it; viewport as for browser.newContext (undefined: Playwright's
// default). Close it with ctx.close().
export async function newPage(browser, viewport) {
  const ctx = await browser.newContext(viewport ? { ignoreHTTPSErrors: true, viewport } : { ignoreHTTPSErrors: true });
  return { ctx, page: await ctx.newPage() };
}

// Fill in and send the sign-in form on page; does not wait for the answer
// (a wrong password stays on the form).
export async function submitSignIn(page, email, password = passwordOf(email)) {
  await page.goto(`${BASE}/login`);
  await page.getByLabel("E-mail").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
}

// Sign-ins are limited per address (ORGBILL_RATE_LOGIN, 10 per 15 min):
// the browser suites together sign in more often than that, so each
// sign-in starts the window afresh, as the integration harness does. (The
// limit itself is tested by the integration suite.)
export function resetSignInLimits() {
  if (process.env.DATABASE_URL)
    execFileSync("psql", ["-q", "-X", process.env.DATABASE_URL, "-c", "DELETE FROM rate_limit_counters"]);
}

// Sign in on page and wait for the overview the console lands on; throws
// with the page's message if the sign-in did not get there.
export async function signIn(page, email, password = passwordOf(email)) {
  resetSignInLimits();
  await submitSignIn(page, email, password);
  await page.waitForURL(`${BASE}/`).catch(async () => {
    throw new Error("sign-in failed: " + (await page.locator("main").innerText()));
  });
}

// A new context and page (see newPage), signed in as email (see signIn).
export async function signedIn(browser, email, { password = passwordOf(email), viewport } = {}) {
  const { ctx, page } = await newPage(browser, viewport);
  await signIn(page, email, password);
  return { ctx, page };
}

// The Stripe fake delivers the webhooks it has queued now (as Stripe would
// on its own); throws unless it answers 200.
export async function deliverWebhooks() {
  const r = await fetch(`${process.env.OB_TEST_STRIPE_FAKE}/_fake/webhooks/deliver`, {
    method: "POST", headers: { "content-type": "application/json" }, body: "{}",
  });
  if (r.status !== 200) throw new Error(`webhook delivery: ${r.status}`);
}

// The orgbill CLI of the stack under test is usable (it needs the stack's
// settings, ORGBILL_CONFIG, which tests/run-all.sh sets).
export const haveCli = !!process.env.ORGBILL_CONFIG;
const BIN = process.env.OB_TEST_BIN_DIR || path.resolve("../../build");

// Run `orgbill ARGS` with input on stdin; its output, trimmed. Throws if it fails.
export function cli(args, input) {
  return execFileSync(path.join(BIN, "orgbill"), args, { input: input || "", encoding: "utf8" }).trim();
}

// A new organization with this slug and name; its id (a string).
export function makeOrg(slug, name) {
  return cli(["org", "create", "--name", name, "--slug", slug]);
}

// A new user (email, name, password) made a member of org with role and
// department; the user's id (a string).
export function makeMember(org, { email, name, password, role, department }) {
  const uid = cli(["user", "create", "--email", email, "--name", name], `${password}\n`);
  cli(["member", "add", "--org", org, "--user", uid, "--role", role, "--department", department]);
  return uid;
}
