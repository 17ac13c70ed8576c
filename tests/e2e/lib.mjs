// Shared set-up for the browser tests: Debian's Chromium, headless, driven
// by playwright-core (no browser download). The stack's URL comes from
// OB_TEST_BASE_URL; screenshots go to OB_E2E_OUT (under the build tree).
import { chromium } from "playwright-core";
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
