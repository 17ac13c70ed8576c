// Accessibility checks shared by the a11y_* browser tests: axe-core (pinned
// in package.json) run inside a page, and the page-scroll measure.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

// The console's pages, as paths; "{invoice}" and the like are filled in
// from links the pages themselves show (see discoverPaths).
export const PAGES = [
  "/", "/subscription", "/seats", "/credits", "/invoices", "/billing/invoices/{invoice}",
  "/billing/details", "/members", "/api-keys", "/activity", "/sso/link",
  "/admin", "/admin/webhooks", "/admin/webhooks/{event}", "/admin/refunds", "/admin/orgs/{org}/credits",
];

// The demo logins, one per role.
export const ROLES = {
  owner: "owner@acme.test",
  admin: "admin@acme.test",
  billing: "billing@acme.test",
  member: "member@acme.test",
  staff: "staff@orgbill.test",
};

export const WIDTHS = [1280, 390];

// Run axe-core on page (WCAG 2.x A and AA rules and best practice); the
// violations of impact serious or critical, as "rule: target (summary)" lines.
export async function seriousViolations(page) {
  // page.evaluate runs through the DevTools protocol: the console's CSP
  // (script-src 'self') does not apply to it, and the page is not changed.
  if (!(await page.evaluate("typeof window.axe !== 'undefined'")))
    await page.evaluate(AXE_SOURCE);
  const { passes, violations } = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, { resultTypes: ["violations"] });
    return {
      passes: r.passes.length,
      violations: r.violations.map((v) => ({
        id: v.id, impact: v.impact,
        nodes: v.nodes.map((n) => `${n.target.join(" ")} ${n.failureSummary.split("\n").slice(1, 2).join("")}`),
      })),
    };
  });
  // A run that checked nothing would pass anything: axe always passes some rules.
  if (passes < 5) return [`axe checked only ${passes} rules`];
  return violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .flatMap((v) => v.nodes.slice(0, 5).map((n) => `${v.id}: ${n}`));
}

// True if the page scrolls sideways (the document is wider than the window).
export async function scrollsSideways(page) {
  return page.evaluate(() => document.documentElement.scrollWidth > document.documentElement.clientWidth);
}

// The elements wider than the window (what makes a page scroll sideways), for the message.
export async function overflowing(page) {
  return page.evaluate(() => {
    const w = document.documentElement.clientWidth, out = [];
    for (const el of document.querySelectorAll("body *")) {
      const r = el.getBoundingClientRect();
      // Inside a container that scrolls (or clips) sideways: not the page's width.
      let clipped = false;
      for (let a = el.parentElement; a && a !== document.body; a = a.parentElement)
        if (getComputedStyle(a).overflowX !== "visible") { clipped = true; break; }
      if (r.right > w + 1 && !clipped) {
        out.push(`${el.tagName.toLowerCase()}${el.id ? "#" + el.id : ""}${el.className ? "." + String(el.className).split(" ").join(".") : ""} right=${Math.round(r.right)}`);
        if (out.length >= 5) break;
      }
    }
    return out;
  });
}

// The controls a finger must hit that are smaller than 44 by 44 CSS px (a
// checkbox or radio counts by the label around it), as "tag#id WxH" lines.
export async function smallTargets(page) {
  return page.evaluate(() => {
    const sel = "button, a.button, select, summary, nav a, input:not([type=hidden])";
    const out = [];
    for (const el of document.querySelectorAll(sel)) {
      const box = el.getBoundingClientRect();
      if (box.width === 0 && box.height === 0) continue; // not shown
      const t = el.matches("input[type=checkbox], input[type=radio]") && el.closest("label")
        ? el.closest("label").getBoundingClientRect() : box;
      if (Math.round(t.height) < 44 || Math.round(t.width) < 44)
        out.push(`${el.tagName.toLowerCase()}${el.id ? "#" + el.id : ""}${el.name ? "[" + el.name + "]" : ""} "${(el.innerText || el.value || "").trim().slice(0, 20)}" ${Math.round(t.width)}x${Math.round(t.height)}`);
    }
    return out;
  });
}
