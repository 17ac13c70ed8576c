// make demo: a lived-in history for the demo orgs, made once per demo
// database through the real flows (orgbill's API as the demo people, the
// Stripe fake's test clock, its webhooks delivered as Stripe does):
//
//   acme    Business, 4 seats, monthly, bought with the test card
//           (pm_card_visa) about two and a half months ago: the 14-day
//           trial's $0.00 invoice, then a paid invoice a month ($116.00);
//           20,000 credits bought today (a paid one-off invoice); $29.00 of
//           its first paid invoice refunded by staff.
//   globex  Pro, 2 seats, monthly, bought the same day: the trial's
//           invoice, one paid renewal, then its card was replaced by one
//           that is declined, so the renewal two days ago failed: past due
//           (the fake retries in a few days).
//
//   node deploy/demo-history.mjs RUN_DIR
//
// RUN_DIR is the stack's (its orgbill.env and the staff password). Does
// nothing when acme already has a subscription. The fake's clock starts
// in the past and is advanced to the present, so
// every renewal happens on its own day and orgbill records it from the
// webhooks.
import { readFileSync } from "node:fs";
import path from "node:path";

const RUN = process.argv[2];
if (!RUN) {
  console.error("usage: demo-history.mjs RUN_DIR");
  process.exit(2);
}
const env = Object.fromEntries(readFileSync(path.join(RUN, "orgbill.env"), "utf8").split("\n")
  .filter((l) => /^[A-Z_]+=/.test(l)).map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]));
const BASE = env.ORGBILL_PUBLIC_URL;
const FAKE = env.STRIPE_API_BASE;
const API = `${BASE}/api/v1/org-billing`;
const DAY = 86400;
const PASSWORD = "demo-password";

function fail(what, r, body) {
  throw new Error(`${what}: ${r.status} ${typeof body === "string" ? body.slice(0, 300) : JSON.stringify(body)}`);
}

// A console session (cookie, CSRF token) for one demo person.
async function signIn(email, password) {
  const jar = new Map();
  const keep = (r) => {
    for (const c of r.headers.getSetCookie()) {
      const [kv] = c.split(";");
      jar.set(kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1));
    }
  };
  const cookie = () => [...jar].map(([k, v]) => `${k}=${v}`).join("; ");
  const get = async (p) => {
    const r = await fetch(`${BASE}${p}`, { headers: { cookie: cookie() }, redirect: "manual" });
    keep(r);
    return [r, await r.text()];
  };
  const post = async (p, form) => {
    const r = await fetch(`${BASE}${p}`, {
      method: "POST", redirect: "manual", body: new URLSearchParams(form),
      headers: { cookie: cookie(), origin: BASE, "content-type": "application/x-www-form-urlencoded" },
    });
    keep(r);
    return [r, await r.text()];
  };
  const [, login] = await get("/login");
  const token = (login.match(/name="login_token" value="([^"]*)"/) || [])[1];
  const [r, body] = await post("/login", { login_token: token, email, password });
  if (r.status !== 303) fail(`sign-in as ${email}`, r, body);
  const [, home] = await get("/");
  const csrf = (home.match(/name="csrf" value="([^"]*)"/) || [])[1];
  let n = 0;
  const api = async (method, p, json) => {
    const r2 = await fetch(`${API}${p}`, {
      method, body: json ? JSON.stringify(json) : undefined,
      headers: {
        cookie: cookie(), origin: BASE, "x-csrf-token": csrf, "content-type": "application/json",
        "idempotency-key": `demo-history-${email}-${p}-${++n}`,
      },
    });
    const b = await r2.json();
    if (r2.status >= 300) fail(`${method} ${p}`, r2, b);
    return b;
  };
  return { get, post, api, csrf };
}

async function fake(p, json) {
  const r = await fetch(`${FAKE}${p}`, {
    method: "POST", body: JSON.stringify(json || {}), headers: { "content-type": "application/json" },
  });
  const b = await r.json();
  if (r.status !== 200) fail(`fake ${p}`, r, b);
  return b;
}

// A Stripe API call to the fake, as orgbill would make it.
async function stripe(method, p, form) {
  const r = await fetch(`${FAKE}${p}`, {
    method, body: form ? new URLSearchParams(form) : undefined,
    headers: { authorization: `Bearer ${env.STRIPE_SECRET_KEY}`, "content-type": "application/x-www-form-urlencoded" },
  });
  const b = await r.json();
  if (r.status !== 200) fail(`stripe ${method} ${p}`, r, b);
  return b;
}

// Wait until orgbill's records show what(): the webhooks are delivered
// after each change, applied by the webhook workers a moment later.
async function until(label, what) {
  for (let i = 0; i < 30; i++) {
    if (await what()) return;
    await new Promise((ok) => setTimeout(ok, 1000));
  }
  throw new Error(`demo history: timed out waiting for ${label}`);
}

async function main() {
  const owner = await signIn("owner@acme.test", PASSWORD);
  const orgs = (await owner.api("GET", "/billing/user")).orgs;
  const acme = orgs.find((o) => o.org_name.startsWith("Acme")).org_id;
  const globex = orgs.find((o) => o.org_name.startsWith("Globex")).org_id;
  if ((await owner.api("GET", `/subscriptions/${acme}`)).status !== "none") {
    console.log("demo history: already there");
    return;
  }

  // Both orgs subscribe with the test card on a day chosen so that, after
  // the plans' 14-day trial, they renew monthly and the last renewal was
  // two days ago: trial end = two months before that.
  const now = Math.floor(Date.now() / 1000);
  const trialEnd = new Date((now - 2 * DAY) * 1000);
  trialEnd.setUTCMonth(trialEnd.getUTCMonth() - 2);
  const past = Math.floor(trialEnd.getTime() / 1000) - 14 * DAY;
  await fake("/_fake/clock/reset", { offset: past - now });
  try {
    await owner.api("POST", `/subscriptions/${acme}`, {
      plan: "business", seats: 4, cycle: "month", payment_method: "pm_card_visa", email: "billing@acme.test",
    });
    await owner.api("POST", `/subscriptions/${globex}`, {
      plan: "pro", seats: 2, cycle: "month", payment_method: "pm_card_visa", email: "owner@globex.test",
    });
    // After the trial and the first renewal, Globex's card is replaced by
    // one that is declined; the renewal after that (two days ago) fails.
    await fake("/_fake/clock/advance", { to: now - 12 * DAY });
    const sub = await owner.api("GET", `/subscriptions/${globex}`);
    const cus = (await stripe("GET", `/v1/subscriptions/${sub.id}`)).customer;
    const bad = await stripe("POST", "/v1/payment_methods", { type: "card", "card[token]": "tok_chargeDeclined" });
    await stripe("POST", `/v1/payment_methods/${bad.id}/attach`, { customer: cus });
    await stripe("POST", `/v1/customers/${cus}`, { "invoice_settings[default_payment_method]": bad.id });
    await stripe("POST", `/v1/subscriptions/${sub.id}`, { default_payment_method: bad.id });
  } finally {
    await fake("/_fake/clock/advance", { to: Math.floor(Date.now() / 1000) });
    await fake("/_fake/clock/reset");
  }
  await until("globex past due", async () => (await owner.api("GET", `/subscriptions/${globex}`)).status === "past_due");

  // Today: Acme buys credits (a paid one-off invoice, charged to its card).
  await owner.api("POST", `/credit-purchases/${acme}`, { credits: 20000 });
  await until("acme's invoices", async () => (await owner.api("GET", `/invoices/${acme}?limit=10`)).data.length >= 4);

  // Staff refunds one seat ($29.00) of Acme's first paid invoice, as support would.
  const invs = (await owner.api("GET", `/invoices/${acme}?limit=10`)).data;
  const paid = invs.filter((i) => i.status === "paid" && Number(i.amount_paid) >= 2900);
  const first = paid[paid.length - 1];
  const staff = await signIn("staff@orgbill.test", readFileSync(path.join(RUN, "secrets/demo-staff-password"), "utf8").trim());
  const [, page] = await staff.get(`/admin/refunds?org_id=${acme}`);
  const csrf = (page.match(/name="csrf" value="([^"]*)"/) || [])[1];
  const [r, body] = await staff.post("/admin/refunds", {
    csrf, org_id: acme, invoice_id: first.id, amount: "2900", reason: "Demo: one seat was never used.",
  });
  if (r.status !== 303) fail("staff refund", r, body);
  console.log("demo history: acme active with paid invoices, credits bought and a refund; globex past due");
}

main().catch((e) => {
  console.error(`demo history: ${e.message}`);
  process.exit(1);
});
