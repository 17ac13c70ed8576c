'use strict';
const test = require('node:test');
const assert = require('node:assert');
const { prorate } = require('../lib/util');
const { start, setupPlan } = require('./helpers');

test('prorate: integer math, round half away from zero', () => {
  assert.strictEqual(prorate(1000, 1, 50, 100), 500);
  assert.strictEqual(prorate(2000, 1, 50, 100), 1000);
  assert.strictEqual(prorate(1, 1, 1, 2), 1); /* 0.5 -> 1 */
  assert.strictEqual(prorate(-1, 1, 1, 2), -1); /* -0.5 -> -1 */
  assert.strictEqual(prorate(1, 1, 1, 3), 0); /* 0.33 -> 0 */
  assert.strictEqual(prorate(1000, 3, 1, 3), 1000);
  assert.strictEqual(prorate(999, 1, 2592000 / 2, 2592000), 500); /* 499.5 -> 500 */
  assert.strictEqual(prorate(10 ** 12, 1000, 2678399, 2678400), 999999626642772); /* 999999626642771.73: exact, no float loss */
});

async function subscribe(f, plan, qty = 1) {
  const r = await f.api('POST', '/v1/subscriptions', { customer: plan.cus.id, items: [{ price: plan.price.id, quantity: qty }] });
  assert.strictEqual(r.status, 200, JSON.stringify(r.body));
  return r.body;
}

test("Stripe's worked example: $10 -> $20 at half the period = +$5", async () => {
  const f = await start();
  try {
    const plan = await setupPlan(f, { unit: 1000 });
    const p20 = (await f.api('POST', '/v1/prices', { product: plan.prod.id, unit_amount: 2000, currency: 'usd', recurring: { interval: 'month' } })).body;
    const sub = await subscribe(f, plan);
    const it = sub.items.data[0];
    const half = it.current_period_start + (it.current_period_end - it.current_period_start) / 2;
    const r = await f.api('POST', `/v1/subscriptions/${sub.id}`, {
      items: [{ id: it.id, price: p20.id }], proration_behavior: 'always_invoice', proration_date: half,
    });
    assert.strictEqual(r.status, 200, JSON.stringify(r.body));
    const inv = (await f.api('GET', `/v1/invoices/${r.body.latest_invoice}`)).body;
    assert.strictEqual(inv.billing_reason, 'subscription_update');
    assert.deepStrictEqual(inv.lines.data.map((l) => l.amount), [-500, 1000]);
    assert.strictEqual(inv.total, 500);
    assert.strictEqual(inv.status, 'paid');
    assert.match(inv.lines.data[0].description, /^Unused time on 1 × Team/);
    assert.match(inv.lines.data[1].description, /^Remaining time on 1 × Team/);
    assert.strictEqual(inv.lines.data[0].parent.subscription_item_details.proration, true);
  } finally { await f.close(); }
});

test('create_prorations leaves pending items that the next renewal invoices', async () => {
  const f = await start();
  try {
    const plan = await setupPlan(f, { unit: 1000 });
    const sub = await subscribe(f, plan, 1);
    const it = sub.items.data[0];
    const period = it.current_period_end - it.current_period_start;
    const at = it.current_period_start + Math.floor(period / 4); /* 3/4 remaining */
    await f.api('POST', `/v1/subscriptions/${sub.id}`, { items: [{ id: it.id, quantity: 3 }], proration_date: at });
    const pending = (await f.api('GET', '/v1/invoiceitems', { customer: plan.cus.id, pending: 'true' })).body.data;
    const amounts = pending.map((i) => i.amount).sort((a, b) => a - b);
    const rem = it.current_period_end - at;
    assert.deepStrictEqual(amounts, [-Math.round((1000 * rem) / period), Math.round((3000 * rem) / period)]);
    assert.ok(pending.every((i) => i.proration === true));
    /* renew: the cycle invoice carries the prorations plus 3 x $10 */
    await f.ctl('POST', '/_fake/clock/advance', { to: it.current_period_end });
    const inv = (await f.api('GET', '/v1/invoices', { subscription: sub.id, limit: 1 })).body.data[0];
    assert.strictEqual(inv.billing_reason, 'subscription_cycle');
    assert.strictEqual(inv.total, amounts[0] + amounts[1] + 3000);
    assert.strictEqual(inv.status, 'paid');
  } finally { await f.close(); }
});

test('proration_behavior none changes the price without lines', async () => {
  const f = await start();
  try {
    const plan = await setupPlan(f);
    const sub = await subscribe(f, plan);
    const r = await f.api('POST', `/v1/subscriptions/${sub.id}`, { items: [{ id: sub.items.data[0].id, quantity: 5 }], proration_behavior: 'none' });
    assert.strictEqual(r.body.items.data[0].quantity, 5);
    const pending = (await f.api('GET', '/v1/invoiceitems', { customer: plan.cus.id, pending: 'true' })).body.data;
    assert.strictEqual(pending.length, 0);
  } finally { await f.close(); }
});

test('clock: renewals, failed payments, cancel at period end, trial_will_end', async () => {
  const f = await start();
  try {
    const plan = await setupPlan(f, { pm: 'pm_card_chargeDeclined' });
    const trial = (await f.api('POST', '/v1/subscriptions', { customer: plan.cus.id, items: [{ price: plan.price.id }], trial_period_days: 14 })).body;
    assert.strictEqual(trial.status, 'trialing');
    await f.ctl('POST', '/_fake/clock/advance', { seconds: 12 * 86400 });
    let types = (await f.api('GET', '/v1/events', { limit: 100 })).body.data.map((e) => e.type);
    assert.ok(types.includes('customer.subscription.trial_will_end'));
    await f.ctl('POST', '/_fake/clock/advance', { seconds: 3 * 86400 });
    let s = (await f.api('GET', `/v1/subscriptions/${trial.id}`)).body;
    assert.strictEqual(s.status, 'past_due');
    types = (await f.api('GET', '/v1/events', { limit: 100 })).body.data.map((e) => e.type);
    assert.ok(types.includes('invoice.payment_failed'));
    /* the customer fixes the card; the retry pays and the sub recovers */
    const pm = (await f.api('POST', '/v1/payment_methods/pm_card_visa/attach', { customer: plan.cus.id })).body;
    await f.api('POST', `/v1/customers/${plan.cus.id}`, { invoice_settings: { default_payment_method: pm.id } });
    await f.ctl('POST', '/_fake/clock/advance', { seconds: 4 * 86400 });
    s = (await f.api('GET', `/v1/subscriptions/${trial.id}`)).body;
    assert.strictEqual(s.status, 'active');
    /* cancel at period end */
    await f.api('POST', `/v1/subscriptions/${trial.id}`, { cancel_at_period_end: true });
    await f.ctl('POST', '/_fake/clock/advance', { seconds: 40 * 86400 });
    s = (await f.api('GET', `/v1/subscriptions/${trial.id}`)).body;
    assert.strictEqual(s.status, 'canceled');
  } finally { await f.close(); }
});
