'use strict';
/* How trials end, and what a failing card does to a subscription. */
const test = require('node:test');
const assert = require('node:assert');
const { start, setupPlan } = require('./helpers');

const DAY = 86400;
const types = async (f) => (await f.api('GET', '/v1/events', { limit: 100 })).body.data.map((e) => e.type).reverse();

async function trialSub(f, plan, days = 14) {
  const r = await f.api('POST', '/v1/subscriptions', { customer: plan.cus.id, items: [{ price: plan.price.id, quantity: 2 }], trial_period_days: days });
  assert.strictEqual(r.status, 200, JSON.stringify(r.body));
  assert.strictEqual(r.body.status, 'trialing');
  return r.body;
}

test('trial ends with a working card: active, a paid invoice for the first period', async () => {
  const f = await start();
  try {
    const plan = await setupPlan(f, { unit: 1500 });
    const sub = await trialSub(f, plan);
    const first = (await f.api('GET', `/v1/invoices/${sub.latest_invoice}`)).body;
    assert.strictEqual(first.total, 0);
    assert.strictEqual(first.status, 'paid');
    await f.ctl('POST', '/_fake/clock/advance', { seconds: 11 * DAY + 1 });
    assert.ok((await types(f)).includes('customer.subscription.trial_will_end'));
    await f.ctl('POST', '/_fake/clock/advance', { to: sub.trial_end });
    const s = (await f.api('GET', `/v1/subscriptions/${sub.id}`)).body;
    assert.strictEqual(s.status, 'active');
    assert.strictEqual(s.items.data[0].current_period_start, sub.trial_end);
    const inv = (await f.api('GET', `/v1/invoices/${s.latest_invoice}`)).body;
    assert.strictEqual(inv.billing_reason, 'subscription_cycle');
    assert.strictEqual(inv.status, 'paid');
    assert.strictEqual(inv.amount_paid, 3000);
    assert.strictEqual(inv.period_start, sub.trial_end);
    const ev = await types(f);
    const tail = ev.slice(ev.indexOf('customer.subscription.trial_will_end'));
    assert.deepStrictEqual(tail.filter((t) => !t.startsWith('charge.')), [
      'customer.subscription.trial_will_end', 'customer.subscription.updated', 'invoice.created', 'invoice.finalized',
      'invoice.paid', 'invoice.payment_succeeded',
    ]);
  } finally { await f.close(); }
});

test('trial ends with a card that fails: past_due, retried 3, 5 and 7 days later, then canceled', async () => {
  const f = await start();
  try {
    const plan = await setupPlan(f, { pm: 'pm_card_chargeDeclined' });
    const sub = await trialSub(f, plan, 7);
    await f.ctl('POST', '/_fake/clock/advance', { to: sub.trial_end });
    let s = (await f.api('GET', `/v1/subscriptions/${sub.id}`)).body;
    assert.strictEqual(s.status, 'past_due');
    let inv = (await f.api('GET', `/v1/invoices/${s.latest_invoice}`)).body;
    assert.strictEqual(inv.status, 'open');
    assert.strictEqual(inv.attempt_count, 1);
    assert.strictEqual(inv.next_payment_attempt, sub.trial_end + 3 * DAY);
    const upd = (await f.api('GET', '/v1/events', { type: 'customer.subscription.updated', limit: 1 })).body.data[0];
    assert.deepStrictEqual(upd.data.previous_attributes, { status: 'active' });
    /* retries 2 and 3 fail, still past_due */
    await f.ctl('POST', '/_fake/clock/advance', { to: sub.trial_end + 8 * DAY });
    s = (await f.api('GET', `/v1/subscriptions/${sub.id}`)).body;
    assert.strictEqual(s.status, 'past_due');
    inv = (await f.api('GET', `/v1/invoices/${s.latest_invoice}`)).body;
    assert.strictEqual(inv.attempt_count, 3);
    assert.strictEqual(inv.next_payment_attempt, sub.trial_end + 15 * DAY);
    /* the last retry fails: canceled, invoice uncollectible */
    await f.ctl('POST', '/_fake/clock/advance', { to: sub.trial_end + 15 * DAY });
    s = (await f.api('GET', `/v1/subscriptions/${sub.id}`)).body;
    assert.strictEqual(s.status, 'canceled');
    assert.strictEqual(s.cancellation_details.reason, 'payment_failed');
    inv = (await f.api('GET', `/v1/invoices/${s.latest_invoice}`)).body;
    assert.strictEqual(inv.status, 'uncollectible');
    assert.strictEqual(inv.attempt_count, 4);
    const ev = await types(f);
    assert.strictEqual(ev.filter((t) => t === 'invoice.payment_failed').length, 4);
    assert.deepStrictEqual(ev.slice(-2), ['invoice.marked_uncollectible', 'customer.subscription.deleted']);
  } finally { await f.close(); }
});

test('trial ends without any payment method (create_invoice): past_due like a failing card', async () => {
  const f = await start();
  try {
    const plan = await setupPlan(f);
    const bare = (await f.api('POST', '/v1/customers', { email: 'nocard@example.com' })).body;
    const sub = (await f.api('POST', '/v1/subscriptions', { customer: bare.id, items: [{ price: plan.price.id }], trial_period_days: 5 })).body;
    assert.strictEqual(sub.status, 'trialing');
    await f.ctl('POST', '/_fake/clock/advance', { to: sub.trial_end });
    const s = (await f.api('GET', `/v1/subscriptions/${sub.id}`)).body;
    assert.strictEqual(s.status, 'past_due');
  } finally { await f.close(); }
});

test('no trial and a card that fails: incomplete, then incomplete_expired after 23 hours with the invoice voided', async () => {
  const f = await start();
  try {
    const plan = await setupPlan(f, { pm: 'pm_card_chargeDeclined' });
    const sub = (await f.api('POST', '/v1/subscriptions', { customer: plan.cus.id, items: [{ price: plan.price.id }] })).body;
    assert.strictEqual(sub.status, 'incomplete');
    await f.ctl('POST', '/_fake/clock/advance', { seconds: 22 * 3600 });
    assert.strictEqual((await f.api('GET', `/v1/subscriptions/${sub.id}`)).body.status, 'incomplete');
    await f.ctl('POST', '/_fake/clock/advance', { seconds: 3600 });
    const s = (await f.api('GET', `/v1/subscriptions/${sub.id}`)).body;
    assert.strictEqual(s.status, 'incomplete_expired');
    assert.ok(s.ended_at);
    const inv = (await f.api('GET', `/v1/invoices/${sub.latest_invoice}`)).body;
    assert.strictEqual(inv.status, 'void');
    const ev = await types(f);
    assert.deepStrictEqual(ev.slice(-2), ['invoice.voided', 'customer.subscription.deleted']);
    /* nothing more happens to it */
    await f.ctl('POST', '/_fake/clock/advance', { seconds: 60 * DAY });
    assert.strictEqual((await f.api('GET', '/v1/invoices', { subscription: sub.id })).body.data.length, 1);
  } finally { await f.close(); }
});

test('an incomplete subscription whose invoice is paid in time becomes active', async () => {
  const f = await start();
  try {
    const plan = await setupPlan(f, { pm: 'pm_card_chargeDeclined' });
    const sub = (await f.api('POST', '/v1/subscriptions', { customer: plan.cus.id, items: [{ price: plan.price.id }] })).body;
    assert.strictEqual(sub.status, 'incomplete');
    const pm = (await f.api('POST', '/v1/payment_methods/pm_card_visa/attach', { customer: plan.cus.id })).body;
    const paid = await f.api('POST', `/v1/invoices/${sub.latest_invoice}/pay`, { payment_method: pm.id });
    assert.strictEqual(paid.body.status, 'paid');
    assert.strictEqual((await f.api('GET', `/v1/subscriptions/${sub.id}`)).body.status, 'active');
    await f.ctl('POST', '/_fake/clock/advance', { seconds: DAY });
    assert.strictEqual((await f.api('GET', `/v1/subscriptions/${sub.id}`)).body.status, 'active');
  } finally { await f.close(); }
});

test('trial_will_end: once, exactly three days before the end, naming the subscription', async () => {
  const f = await start();
  try {
    const plan = await setupPlan(f);
    const sub = await trialSub(f, plan, 10);
    const willEnd = async () => (await f.api('GET', '/v1/events', { type: 'customer.subscription.trial_will_end', limit: 10 })).body.data;
    await f.ctl('POST', '/_fake/clock/advance', { to: sub.trial_end - 3 * DAY - 1 });
    assert.strictEqual((await willEnd()).length, 0);
    await f.ctl('POST', '/_fake/clock/advance', { to: sub.trial_end - 3 * DAY });
    let ev = await willEnd();
    assert.strictEqual(ev.length, 1);
    assert.strictEqual(ev[0].data.object.id, sub.id);
    assert.strictEqual(ev[0].data.object.status, 'trialing');
    assert.strictEqual(ev[0].data.object.trial_end, sub.trial_end);
    await f.ctl('POST', '/_fake/clock/advance', { to: sub.trial_end - 1 });
    ev = await willEnd();
    assert.strictEqual(ev.length, 1);
    /* nothing charged before the end */
    const invs = (await f.api('GET', '/v1/invoices', { customer: plan.cus.id })).body.data;
    assert.deepStrictEqual(invs.map((i) => i.amount_paid), [0]);
  } finally { await f.close(); }
});

test('the clock restarts in the past, and renewals run up to the present', async () => {
  const f = await start();
  try {
    assert.strictEqual((await f.ctl('POST', '/_fake/clock/reset', { offset: 1 })).error.param, 'offset');
    const past = (await f.ctl('POST', '/_fake/clock/reset', { offset: -65 * DAY })).now;
    assert.ok(Math.abs(past - (Math.floor(Date.now() / 1000) - 65 * DAY)) < 5);
    const plan = await setupPlan(f, { unit: 1000 });
    const sub = (await f.api('POST', '/v1/subscriptions', { customer: plan.cus.id, items: [{ price: plan.price.id, quantity: 1 }] })).body;
    assert.strictEqual(sub.status, 'active');
    assert.ok(Math.abs(sub.created - past) < 5);
    const now = Math.floor(Date.now() / 1000);
    assert.ok((await f.ctl('POST', '/_fake/clock/advance', { to: now })).offset > -5);
    const invs = (await f.api('GET', '/v1/invoices', { customer: plan.cus.id, limit: 10 })).body.data;
    // Created 65 days ago: the first invoice and two renewals, all paid.
    assert.strictEqual(invs.length, 3);
    assert.deepStrictEqual(invs.map((i) => i.status), ['paid', 'paid', 'paid']);
  } finally {
    await f.close();
  }
});
