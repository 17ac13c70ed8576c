'use strict';
/* The fake's objects keep the field names and nesting of Stripe's published
 * fixtures (../shared/stripe/fixtures3.json; OB_STRIPE_FIXTURES overrides). */
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const { start, setupPlan } = require('./helpers');

const FIXTURES = process.env.OB_STRIPE_FIXTURES || path.resolve(__dirname, '..', '..', '..', '..', 'shared', 'stripe', 'fixtures3.json');

/* Fields of the real API (for the emulated version) that the fixture sample
 * happens to omit; the fake emits them because orgbill reads them. */
const ALLOWED_EXTRA = new Set([
  'pricing.price_details',
  'parent.subscription_details.subscription_item',
]);

/* Every key of `ours` must exist in `ref` at the same path; objects recurse,
 * lists compare their first elements. null on either side matches anything. */
function subset(ours, ref, where, errs) {
  if (ours === null || ref === null || ref === undefined) return;
  if (Array.isArray(ours)) {
    if (!Array.isArray(ref)) { errs.push(`${where}: array here, ${typeof ref} in fixtures`); return; }
    if (ours.length && ref.length) subset(ours[0], ref[0], `${where}[0]`, errs);
    return;
  }
  if (typeof ours === 'object') {
    if (typeof ref !== 'object') { errs.push(`${where}: object here, ${typeof ref} in fixtures`); return; }
    for (const k of Object.keys(ours)) {
      if (!(k in ref)) {
        if (where.endsWith('metadata')) continue;
        if ([...ALLOWED_EXTRA].some((a) => `${where}.${k}`.endsWith(a))) continue;
        errs.push(`${where}.${k}: not in fixtures`);
        continue;
      }
      subset(ours[k], ref[k], `${where}.${k}`, errs);
    }
    return;
  }
  if (typeof ref === 'object') errs.push(`${where}: scalar here, object in fixtures`);
}

test('objects match the fixtures field names and nesting', { skip: !fs.existsSync(FIXTURES) && `no ${FIXTURES}` }, async () => {
  const fx = JSON.parse(fs.readFileSync(FIXTURES, 'utf8')).resources;
  const f = await start();
  try {
    const plan = await setupPlan(f);
    const sub = (await f.api('POST', '/v1/subscriptions', { customer: plan.cus.id, items: [{ price: plan.price.id }] })).body;
    await f.api('POST', `/v1/subscriptions/${sub.id}`, { items: [{ id: sub.items.data[0].id, quantity: 2 }] });
    const inv = (await f.api('GET', `/v1/invoices/${sub.latest_invoice}`)).body;
    const ii = (await f.api('GET', '/v1/invoiceitems', { customer: plan.cus.id })).body.data[0];
    const ch = (await f.api('GET', '/v1/charges', { customer: plan.cus.id })).body.data[0];
    const re = (await f.api('POST', '/v1/refunds', { charge: ch.id, amount: 1 })).body;
    const pm = (await f.api('GET', '/v1/payment_methods', { customer: plan.cus.id })).body.data[0];
    const ps = (await f.api('POST', '/v1/billing_portal/sessions', { customer: plan.cus.id })).body;
    const ev = (await f.api('GET', '/v1/events', { limit: 1 })).body.data[0];
    const cus = (await f.api('GET', `/v1/customers/${plan.cus.id}`)).body;
    /* Checkout: a completed payment-mode session with an invoice, its line
     * items and PaymentIntent; a subscription schedule with two phases. */
    const cs = (await f.api('POST', '/v1/checkout/sessions', {
      mode: 'payment', customer: plan.cus.id, success_url: 'https://app.example/ok', cancel_url: 'https://app.example/no',
      line_items: [{ price_data: { currency: 'usd', unit_amount: 500, product_data: { name: 'Pack' } }, quantity: 2 }],
      invoice_creation: { enabled: true }, payment_intent_data: { metadata: { k: 'v' } },
    })).body;
    await fetch(`${f.base}${new URL(cs.url).pathname}`, { method: 'POST', redirect: 'manual', body: new URLSearchParams({ cardNumber: '4242424242424242' }) });
    const csDone = (await f.api('GET', `/v1/checkout/sessions/${cs.id}`)).body;
    const csItem = (await f.api('GET', `/v1/checkout/sessions/${cs.id}/line_items`)).body.data[0];
    const pi = (await f.api('GET', `/v1/payment_intents/${csDone.payment_intent}`)).body;
    const sched0 = (await f.api('POST', '/v1/subscription_schedules', { from_subscription: sub.id })).body;
    const sched = (await f.api('POST', `/v1/subscription_schedules/${sched0.id}`, {
      phases: [
        { items: [{ price: plan.price.id, quantity: 2 }], end_date: sched0.current_phase.end_date },
        { items: [{ price: plan.price.id, quantity: 3 }], duration: { interval: 'month', interval_count: 1 } },
      ],
    })).body;
    const errs0 = [];
    const cases = {
      customer: cus, product: plan.prod, price: plan.price, subscription: sub, subscription_item: sub.items.data[0],
      invoice: inv, line_item: inv.lines.data[0], invoiceitem: ii, charge: ch, refund: re, payment_method: pm,
      'billing_portal.session': ps, event: { ...ev, data: {} },
      'checkout.session': cs, item: csItem, payment_intent: pi, subscription_schedule: sched,
    };
    assert.strictEqual(csDone.status, 'complete');
    assert.ok(csDone.invoice && csDone.payment_intent && csDone.customer_details);
    subset(csDone, fx['checkout.session'], 'checkout.session (complete)', errs0);
    const errs = errs0;
    for (const [kind, obj] of Object.entries(cases)) {
      assert.ok(fx[kind], `fixtures lack ${kind}`);
      subset(obj, fx[kind], kind, errs);
      const missingTop = Object.keys(fx[kind]).filter((k) => !(k in obj));
      if (['customer', 'product', 'price', 'subscription', 'invoice', 'line_item', 'invoiceitem', 'refund', 'payment_method', 'billing_portal.session', 'subscription_item', 'charge',
        'checkout.session', 'item', 'payment_intent', 'subscription_schedule'].includes(kind)) {
        for (const k of missingTop) errs.push(`${kind}.${k}: in fixtures, missing here`);
      }
    }
    assert.deepStrictEqual(errs, []);
  } finally { await f.close(); }
});
