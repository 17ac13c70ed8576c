'use strict';
/* Subscription schedules and the clock moving subscriptions through phases. */
const test = require('node:test');
const assert = require('node:assert');
const { prorate, addInterval } = require('../lib/util');
const { start, setupPlan } = require('./helpers');

const DAY = 86400;
const eventTypes = async (f) => (await f.api('GET', '/v1/events', { limit: 100 })).body.data.map((e) => e.type).reverse();

async function planWithUpgrade(f) {
  const plan = await setupPlan(f, { unit: 1000 });
  plan.p20 = (await f.api('POST', '/v1/prices', { product: plan.prod.id, unit_amount: 2000, currency: 'usd', recurring: { interval: 'month' } })).body;
  const r = await f.api('POST', '/v1/subscriptions', { customer: plan.cus.id, items: [{ price: plan.price.id, quantity: 1 }] });
  assert.strictEqual(r.status, 200, JSON.stringify(r.body));
  plan.sub = r.body;
  return plan;
}

async function fromSub(f, sub) {
  const r = await f.api('POST', '/v1/subscription_schedules', { from_subscription: sub.id });
  assert.strictEqual(r.status, 200, JSON.stringify(r.body));
  return r.body;
}

test('from_subscription, a second phase at a new price and quantity, renewal at the new price, then release', async () => {
  const f = await start();
  try {
    const plan = await planWithUpgrade(f);
    const { sub } = plan;
    const per = { start: sub.items.data[0].current_period_start, end: sub.items.data[0].current_period_end };
    const sched = await fromSub(f, sub);
    assert.match(sched.id, /^sub_sched_/);
    assert.strictEqual(sched.object, 'subscription_schedule');
    assert.strictEqual(sched.status, 'active');
    assert.strictEqual(sched.subscription, sub.id);
    assert.strictEqual(sched.customer, plan.cus.id);
    assert.strictEqual(sched.end_behavior, 'release');
    assert.deepStrictEqual(sched.current_phase, { end_date: per.end, start_date: per.start });
    assert.strictEqual(sched.phases.length, 1);
    assert.deepStrictEqual(sched.phases[0].items.map((i) => [i.price, i.quantity]), [[plan.price.id, 1]]);
    assert.strictEqual((await f.api('GET', `/v1/subscriptions/${sub.id}`)).body.schedule, sched.id);
    const upd = (await f.api('GET', '/v1/events', { type: 'customer.subscription.updated', limit: 1 })).body.data[0];
    assert.deepStrictEqual(upd.data.previous_attributes, { schedule: null });
    assert.strictEqual((await f.api('POST', '/v1/subscription_schedules', { from_subscription: sub.id })).status, 400);

    const r = await f.api('POST', `/v1/subscription_schedules/${sched.id}`, {
      end_behavior: 'release',
      phases: [
        { items: [{ price: plan.price.id, quantity: 1 }], start_date: per.start, end_date: per.end },
        { items: [{ price: plan.p20.id, quantity: 3 }], duration: { interval: 'month', interval_count: 2 } },
      ],
    });
    assert.strictEqual(r.status, 200, JSON.stringify(r.body));
    const two = r.body;
    assert.strictEqual(two.phases.length, 2);
    assert.strictEqual(two.phases[1].start_date, per.end);
    const phaseEnd = addInterval(per.end, 'month', 2, sub.billing_cycle_anchor);
    assert.strictEqual(two.phases[1].end_date, phaseEnd);
    assert.strictEqual(two.phases[1].proration_behavior, 'create_prorations');
    let s = (await f.api('GET', `/v1/subscriptions/${sub.id}`)).body;
    assert.deepStrictEqual(s.items.data.map((i) => [i.price.id, i.quantity]), [[plan.price.id, 1]]);

    /* the phase boundary is the renewal: the renewal invoice is at the new price and quantity */
    const before = (await eventTypes(f)).length;
    await f.ctl('POST', '/_fake/clock/advance', { to: per.end });
    s = (await f.api('GET', `/v1/subscriptions/${sub.id}`)).body;
    assert.deepStrictEqual(s.items.data.map((i) => [i.price.id, i.quantity]), [[plan.p20.id, 3]]);
    let inv = (await f.api('GET', `/v1/invoices/${s.latest_invoice}`)).body;
    assert.strictEqual(inv.billing_reason, 'subscription_cycle');
    assert.deepStrictEqual(inv.lines.data.map((l) => l.amount), [6000]);
    assert.strictEqual(inv.status, 'paid');
    const types = (await eventTypes(f)).slice(before);
    assert.deepStrictEqual(types.slice(0, 2), ['customer.subscription.updated', 'subscription_schedule.updated']);
    assert.ok(types.includes('invoice.paid'));
    let cur = (await f.api('GET', `/v1/subscription_schedules/${sched.id}`)).body;
    assert.deepStrictEqual(cur.current_phase, { end_date: phaseEnd, start_date: per.end });

    /* a month later, still in the phase: same price */
    const mid = s.items.data[0].current_period_end;
    await f.ctl('POST', '/_fake/clock/advance', { to: mid });
    s = (await f.api('GET', `/v1/subscriptions/${sub.id}`)).body;
    inv = (await f.api('GET', `/v1/invoices/${s.latest_invoice}`)).body;
    assert.deepStrictEqual(inv.lines.data.map((l) => l.amount), [6000]);
    assert.ok(!(await eventTypes(f)).includes('subscription_schedule.expiring'));
    await f.ctl('POST', '/_fake/clock/advance', { to: phaseEnd - 7 * DAY });
    const expiring = (await f.api('GET', '/v1/events', { type: 'subscription_schedule.expiring' })).body.data;
    assert.strictEqual(expiring.length, 1);
    assert.strictEqual(expiring[0].created, phaseEnd - 7 * DAY);

    /* the last phase ends: released, the subscription goes on */
    await f.ctl('POST', '/_fake/clock/advance', { to: phaseEnd });
    cur = (await f.api('GET', `/v1/subscription_schedules/${sched.id}`)).body;
    assert.strictEqual(cur.status, 'released');
    assert.strictEqual(cur.released_subscription, sub.id);
    assert.strictEqual(cur.subscription, null);
    assert.strictEqual(cur.current_phase, null);
    assert.ok(cur.released_at >= phaseEnd);
    s = (await f.api('GET', `/v1/subscriptions/${sub.id}`)).body;
    assert.strictEqual(s.status, 'active');
    assert.strictEqual(s.schedule, null);
    inv = (await f.api('GET', `/v1/invoices/${s.latest_invoice}`)).body;
    assert.strictEqual(inv.period_start, phaseEnd);
    assert.deepStrictEqual(inv.lines.data.map((l) => l.amount), [6000]);
    const rel = (await f.api('GET', '/v1/events', { type: 'subscription_schedule.released' })).body.data;
    assert.strictEqual(rel.length, 1);
    assert.strictEqual((await f.api('POST', `/v1/subscription_schedules/${sched.id}`, { metadata: { a: 'b' } })).status, 400);
  } finally { await f.close(); }
});

test('phases[n][iterations]: an error in this API version, accepted for versions before its removal', async () => {
  const f = await start();
  try {
    const plan = await planWithUpgrade(f);
    const sched = await fromSub(f, plan.sub);
    const phases = [
      { items: [{ price: plan.price.id, quantity: 1 }], end_date: sched.current_phase.end_date },
      { items: [{ price: plan.p20.id, quantity: 1 }], iterations: 2 },
    ];
    const now = await f.api('POST', `/v1/subscription_schedules/${sched.id}`, { phases });
    assert.strictEqual(now.status, 400);
    assert.strictEqual(now.body.error.param, 'phases[1][iterations]');
    const old = await f.api('POST', `/v1/subscription_schedules/${sched.id}`, { phases }, { 'Stripe-Version': '2025-08-27.basil' });
    assert.strictEqual(old.status, 200, JSON.stringify(old.body));
    assert.strictEqual(old.body.phases[1].end_date, addInterval(sched.current_phase.end_date, 'month', 2, plan.sub.billing_cycle_anchor));
    assert.ok(!('iterations' in old.body.phases[1]));
  } finally { await f.close(); }
});

test('a phase boundary inside a period prorates per the phase\'s proration_behavior', async () => {
  const f = await start();
  try {
    const plan = await planWithUpgrade(f);
    const sched = await fromSub(f, plan.sub);
    const { start_date: ps, end_date: pe } = sched.current_phase;
    const boundary = ps + 10 * DAY;
    const r = await f.api('POST', `/v1/subscription_schedules/${sched.id}`, {
      phases: [
        { items: [{ price: plan.price.id, quantity: 1 }], end_date: boundary },
        { items: [{ price: plan.price.id, quantity: 2 }], end_date: pe + 30 * DAY, proration_behavior: 'create_prorations' },
      ],
    });
    assert.strictEqual(r.status, 200, JSON.stringify(r.body));
    await f.ctl('POST', '/_fake/clock/advance', { to: boundary });
    const s = (await f.api('GET', `/v1/subscriptions/${plan.sub.id}`)).body;
    assert.strictEqual(s.items.data[0].quantity, 2);
    const pending = (await f.api('GET', '/v1/invoiceitems', { customer: plan.cus.id, pending: 'true' })).body.data;
    const amounts = pending.map((i) => i.amount).sort((a, b) => a - b);
    assert.deepStrictEqual(amounts, [-prorate(1000, 1, pe - boundary, pe - ps), prorate(1000, 2, pe - boundary, pe - ps)]);
    await f.ctl('POST', '/_fake/clock/advance', { to: pe });
    const inv = (await f.api('GET', `/v1/invoices/${(await f.api('GET', `/v1/subscriptions/${plan.sub.id}`)).body.latest_invoice}`)).body;
    assert.strictEqual(inv.total, amounts[0] + amounts[1] + 2000);
  } finally { await f.close(); }
});

test('updating the current phase changes the subscription now; none leaves no prorations', async () => {
  const f = await start();
  try {
    const plan = await planWithUpgrade(f);
    const sched = await fromSub(f, plan.sub);
    const bad = await f.api('POST', `/v1/subscription_schedules/${sched.id}`, {
      phases: [{ items: [{ price: plan.price.id, quantity: 4 }], start_date: sched.current_phase.start_date + 1 }],
    });
    assert.strictEqual(bad.status, 400);
    assert.strictEqual(bad.body.error.param, 'phases[0][start_date]');
    const r = await f.api('POST', `/v1/subscription_schedules/${sched.id}`, {
      proration_behavior: 'none', phases: [{ items: [{ price: plan.price.id, quantity: 4 }], end_date: sched.current_phase.end_date }],
    });
    assert.strictEqual(r.status, 200, JSON.stringify(r.body));
    const s = (await f.api('GET', `/v1/subscriptions/${plan.sub.id}`)).body;
    assert.strictEqual(s.items.data[0].quantity, 4);
    assert.strictEqual(s.items.data[0].id, plan.sub.items.data[0].id);
    assert.strictEqual((await f.api('GET', '/v1/invoiceitems', { customer: plan.cus.id, pending: 'true' })).body.data.length, 0);
    const ev = (await f.api('GET', '/v1/events', { type: 'subscription_schedule.updated', limit: 1 })).body.data[0];
    assert.ok(ev.data.previous_attributes.phases);
  } finally { await f.close(); }
});

test('release and cancel by request; canceling the subscription cancels its schedule', async () => {
  const f = await start();
  try {
    const plan = await planWithUpgrade(f);
    let sched = await fromSub(f, plan.sub);
    const rel = (await f.api('POST', `/v1/subscription_schedules/${sched.id}/release`)).body;
    assert.strictEqual(rel.status, 'released');
    assert.strictEqual(rel.released_subscription, plan.sub.id);
    assert.strictEqual((await f.api('GET', `/v1/subscriptions/${plan.sub.id}`)).body.schedule, null);
    assert.strictEqual((await f.api('POST', `/v1/subscription_schedules/${sched.id}/release`)).status, 400);

    sched = await fromSub(f, plan.sub);
    const before = (await eventTypes(f)).length;
    const can = (await f.api('POST', `/v1/subscription_schedules/${sched.id}/cancel`, { invoice_now: false, prorate: false })).body;
    assert.strictEqual(can.status, 'canceled');
    assert.ok(can.canceled_at);
    assert.strictEqual((await f.api('GET', `/v1/subscriptions/${plan.sub.id}`)).body.status, 'canceled');
    assert.deepStrictEqual((await eventTypes(f)).slice(before), ['customer.subscription.deleted', 'subscription_schedule.canceled']);

    const sub2 = (await f.api('POST', '/v1/subscriptions', { customer: plan.cus.id, items: [{ price: plan.price.id }] })).body;
    const s2 = await fromSub(f, sub2);
    await f.api('DELETE', `/v1/subscriptions/${sub2.id}`);
    assert.strictEqual((await f.api('GET', `/v1/subscription_schedules/${s2.id}`)).body.status, 'canceled');

    const list = (await f.api('GET', '/v1/subscription_schedules', { customer: plan.cus.id })).body;
    assert.deepStrictEqual(list.data.map((x) => x.id), [s2.id, sched.id, rel.id]);
    assert.strictEqual((await f.api('GET', '/v1/subscription_schedules', { customer: 'cus_other' })).body.data.length, 0);
  } finally { await f.close(); }
});

test('end_behavior=cancel: the subscription ends with the last phase and the schedule is completed', async () => {
  const f = await start();
  try {
    const plan = await planWithUpgrade(f);
    const sched = await fromSub(f, plan.sub);
    await f.api('POST', `/v1/subscription_schedules/${sched.id}`, {
      end_behavior: 'cancel', phases: [{ items: [{ price: plan.price.id, quantity: 1 }], end_date: sched.current_phase.end_date }],
    });
    await f.ctl('POST', '/_fake/clock/advance', { to: sched.current_phase.end_date });
    const cur = (await f.api('GET', `/v1/subscription_schedules/${sched.id}`)).body;
    assert.strictEqual(cur.status, 'completed');
    assert.ok(cur.completed_at);
    const s = (await f.api('GET', `/v1/subscriptions/${plan.sub.id}`)).body;
    assert.strictEqual(s.status, 'canceled');
    assert.strictEqual((await f.api('GET', '/v1/invoices', { subscription: plan.sub.id })).body.data.length, 1);
    assert.deepStrictEqual((await eventTypes(f)).slice(-2), ['customer.subscription.deleted', 'subscription_schedule.completed']);
  } finally { await f.close(); }
});

test('a schedule for a customer: starting now, or later (not_started until the clock gets there)', async () => {
  const f = await start();
  try {
    const plan = await planWithUpgrade(f);
    const nowSched = (await f.api('POST', '/v1/subscription_schedules', {
      customer: plan.cus.id, start_date: 'now', end_behavior: 'release',
      phases: [
        { items: [{ price: plan.price.id, quantity: 1 }], duration: { interval: 'month' } },
        { items: [{ price: plan.p20.id, quantity: 1 }], duration: { interval: 'month' } },
      ],
    })).body;
    assert.strictEqual(nowSched.status, 'active', JSON.stringify(nowSched));
    const s = (await f.api('GET', `/v1/subscriptions/${nowSched.subscription}`)).body;
    assert.strictEqual(s.schedule, nowSched.id);
    assert.strictEqual(s.status, 'active');
    assert.strictEqual(s.items.data[0].current_period_end, nowSched.phases[0].end_date);

    const t0 = (await f.ctl('GET', '/_fake/clock')).now;
    const later = (await f.api('POST', '/v1/subscription_schedules', {
      customer: plan.cus.id, start_date: t0 + 5 * DAY,
      phases: [{ items: [{ price: plan.p20.id, quantity: 2 }], metadata: { tier: 'pro' } }],
    })).body;
    assert.strictEqual(later.status, 'not_started');
    assert.strictEqual(later.subscription, null);
    assert.strictEqual(later.phases[0].end_date, addInterval(t0 + 5 * DAY, 'month', 1, t0 + 5 * DAY));
    const scheduled = (await f.api('GET', '/v1/subscription_schedules', { scheduled: 'true' })).body.data;
    assert.deepStrictEqual(scheduled.map((x) => x.id), [later.id]);
    await f.ctl('POST', '/_fake/clock/advance', { to: t0 + 5 * DAY });
    const started = (await f.api('GET', `/v1/subscription_schedules/${later.id}`)).body;
    assert.strictEqual(started.status, 'active');
    const sub = (await f.api('GET', `/v1/subscriptions/${started.subscription}`)).body;
    assert.deepStrictEqual(sub.metadata, { tier: 'pro' });
    assert.strictEqual(sub.start_date, t0 + 5 * DAY);
    assert.strictEqual((await f.api('GET', `/v1/invoices/${sub.latest_invoice}`)).body.amount_paid, 4000);
    const bad = await f.api('POST', '/v1/subscription_schedules', { customer: plan.cus.id, phases: [
      { items: [{ price: plan.price.id }] }, { items: [{ price: plan.p20.id }] },
    ] });
    assert.strictEqual(bad.status, 400);
    assert.strictEqual(bad.body.error.param, 'phases[0][end_date]');
  } finally { await f.close(); }
});
