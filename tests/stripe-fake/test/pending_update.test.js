'use strict';
/* payment_behavior=pending_if_incomplete: a change is applied only once its
 * proration invoice is paid; a declined card leaves the subscription as it
 * was, with pending_update. */
const test = require('node:test');
const assert = require('node:assert');
const { start, setupPlan } = require('./helpers');

async function subscribe(f, plan, qty) {
  const r = await f.api('POST', '/v1/subscriptions', { customer: plan.cus.id, items: [{ price: plan.price.id, quantity: qty }] });
  assert.strictEqual(r.status, 200, JSON.stringify(r.body));
  return r.body;
}

async function setCard(f, plan, pm) {
  const att = await f.api('POST', `/v1/payment_methods/${pm}/attach`, { customer: plan.cus.id });
  assert.strictEqual(att.status, 200, JSON.stringify(att.body));
  const r = await f.api('POST', `/v1/customers/${plan.cus.id}`, { invoice_settings: { default_payment_method: att.body.id } });
  assert.strictEqual(r.status, 200, JSON.stringify(r.body));
}

const more = (sub, qty) => ({
  items: [{ id: sub.items.data[0].id, quantity: qty }], proration_behavior: 'always_invoice', payment_behavior: 'pending_if_incomplete',
});

async function events(f, type) {
  return (await f.api('GET', '/v1/events', { type, limit: 100 })).body.data;
}

test('pending_if_incomplete with a good card: charged and applied at once', async () => {
  const f = await start();
  try {
    const plan = await setupPlan(f, { unit: 1000 });
    const sub = await subscribe(f, plan, 2);
    const r = await f.api('POST', `/v1/subscriptions/${sub.id}`, { ...more(sub, 5), expand: ['latest_invoice'] });
    assert.strictEqual(r.status, 200, JSON.stringify(r.body));
    assert.strictEqual(r.body.pending_update, null);
    assert.strictEqual(r.body.items.data[0].quantity, 5);
    assert.strictEqual(r.body.latest_invoice.status, 'paid');
    assert.strictEqual(r.body.latest_invoice.billing_reason, 'subscription_update');
    assert.strictEqual(r.body.status, 'active');
    /* The request log keeps a POST's parameters. */
    const log = await f.ctl('GET', '/_fake/requests');
    const e = log.data.find((x) => x.method === 'POST' && x.path === `/v1/subscriptions/${sub.id}`);
    assert.strictEqual(e.params.payment_behavior, 'pending_if_incomplete');
  } finally { await f.close(); }
});

test('pending_if_incomplete with a declined card: unchanged, pending_update, invoice open', async () => {
  const f = await start();
  try {
    const plan = await setupPlan(f, { unit: 1000 });
    const sub = await subscribe(f, plan, 2);
    await setCard(f, plan, 'pm_card_chargeDeclined');
    const before = (await events(f, 'customer.subscription.updated')).length;
    const r = await f.api('POST', `/v1/subscriptions/${sub.id}`, { ...more(sub, 5), expand: ['latest_invoice'] });
    assert.strictEqual(r.status, 200, JSON.stringify(r.body));
    assert.strictEqual(r.body.items.data[0].quantity, 2);
    assert.strictEqual(r.body.status, 'active'); /* not past_due */
    assert.ok(r.body.pending_update);
    assert.strictEqual(r.body.pending_update.subscription_items[0].quantity, 5);
    assert.ok(r.body.pending_update.expires_at > sub.created);
    const inv = r.body.latest_invoice;
    assert.strictEqual(inv.status, 'open');
    assert.strictEqual(inv.next_payment_attempt, null); /* no retries */
    /* The update event shows the old quantity. */
    const ev = await events(f, 'customer.subscription.updated');
    assert.strictEqual(ev.length, before + 1);
    assert.strictEqual(ev[0].data.object.items.data[0].quantity, 2);
    assert.ok(ev[0].data.object.pending_update);
    /* The stored subscription agrees. */
    const g = (await f.api('GET', `/v1/subscriptions/${sub.id}`)).body;
    assert.strictEqual(g.items.data[0].quantity, 2);
    assert.ok(g.pending_update);
  } finally { await f.close(); }
});

test('a pending update is applied when its invoice is paid, dropped when voided', async () => {
  const f = await start();
  try {
    const plan = await setupPlan(f, { unit: 1000 });
    const sub = await subscribe(f, plan, 2);
    await setCard(f, plan, 'pm_card_chargeDeclined');
    let r = await f.api('POST', `/v1/subscriptions/${sub.id}`, more(sub, 5));
    const inv1 = r.body.latest_invoice;
    /* Paid with a good card: the change is applied, pending_update cleared. */
    const good = (await f.api('POST', '/v1/payment_methods/pm_card_visa/attach', { customer: plan.cus.id })).body;
    const pay = await f.api('POST', `/v1/invoices/${inv1}/pay`, { payment_method: good.id });
    assert.strictEqual(pay.status, 200, JSON.stringify(pay.body));
    let g = (await f.api('GET', `/v1/subscriptions/${sub.id}`)).body;
    assert.strictEqual(g.items.data[0].quantity, 5);
    assert.strictEqual(g.pending_update, null);
    /* Again, 5 -> 7, declined; voiding the invoice drops the change. */
    r = await f.api('POST', `/v1/subscriptions/${sub.id}`, more(g, 7));
    assert.strictEqual(r.body.items.data[0].quantity, 5);
    const v = await f.api('POST', `/v1/invoices/${r.body.latest_invoice}/void`);
    assert.strictEqual(v.status, 200, JSON.stringify(v.body));
    g = (await f.api('GET', `/v1/subscriptions/${sub.id}`)).body;
    assert.strictEqual(g.items.data[0].quantity, 5);
    assert.strictEqual(g.pending_update, null);
  } finally { await f.close(); }
});

test('a pending update expires after 23 hours unpaid: dropped, its invoice voided', async () => {
  const f = await start();
  try {
    const plan = await setupPlan(f, { unit: 1000 });
    const sub = await subscribe(f, plan, 2);
    await setCard(f, plan, 'pm_card_chargeDeclined');
    const r = await f.api('POST', `/v1/subscriptions/${sub.id}`, more(sub, 5));
    assert.strictEqual(r.body.pending_update.expires_at - sub.created, 23 * 3600);
    await f.ctl('POST', '/_fake/clock/advance', { to: r.body.pending_update.expires_at + 1 });
    const g = (await f.api('GET', `/v1/subscriptions/${sub.id}`)).body;
    assert.strictEqual(g.pending_update, null);
    assert.strictEqual(g.items.data[0].quantity, 2);
    const inv = (await f.api('GET', `/v1/invoices/${r.body.latest_invoice}`)).body;
    assert.strictEqual(inv.status, 'void');
  } finally { await f.close(); }
});

test('pending_if_incomplete refuses parameters Stripe does not allow with it', async () => {
  const f = await start();
  try {
    const plan = await setupPlan(f);
    const sub = await subscribe(f, plan, 1);
    const r = await f.api('POST', `/v1/subscriptions/${sub.id}`, { ...more(sub, 2), metadata: { a: 'b' } });
    assert.strictEqual(r.status, 400);
    assert.strictEqual(r.body.error.param, 'metadata');
    const b = await f.api('POST', `/v1/subscriptions/${sub.id}`, { ...more(sub, 2), payment_behavior: 'sometimes' });
    assert.strictEqual(b.status, 400);
  } finally { await f.close(); }
});
