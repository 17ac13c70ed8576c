'use strict';
/* Checkout Sessions and the hosted page. */
const test = require('node:test');
const assert = require('node:assert');
const { start, setupPlan } = require('./helpers');

const DAY = 86400;
const SUCCESS = 'https://app.example/billing/done?session_id={CHECKOUT_SESSION_ID}';
const CANCEL = 'https://app.example/billing?canceled=1';

/* Submit the hosted page's form the way a browser without JavaScript does. */
async function pay(f, session, fields) {
  const path = new URL(session.url).pathname;
  const r = await fetch(`${f.base}${path}`, {
    method: 'POST', redirect: 'manual',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  });
  return { status: r.status, location: r.headers.get('location'), text: await r.text() };
}
const pageOf = async (f, session) => fetch(`${f.base}${new URL(session.url).pathname}`);
const eventTypes = async (f) => (await f.api('GET', '/v1/events', { limit: 100 })).body.data.map((e) => e.type).reverse();

test('subscription mode: hosted page, a declined card, then a good one; the subscription, invoice and events', async () => {
  const f = await start();
  try {
    const plan = await setupPlan(f, { unit: 1000, pm: undefined });
    const cus = (await f.api('POST', '/v1/customers', { email: 'buyer@example.com' })).body;
    const r = await f.api('POST', '/v1/checkout/sessions', {
      mode: 'subscription', customer: cus.id, client_reference_id: 'org_42', metadata: { org: '42' },
      line_items: [{ price: plan.price.id, quantity: 2 }], subscription_data: { metadata: { org: '42', plan: 'team' } },
      success_url: SUCCESS, cancel_url: CANCEL,
    });
    assert.strictEqual(r.status, 200, JSON.stringify(r.body));
    const cs = r.body;
    assert.match(cs.id, /^cs_test_/);
    assert.strictEqual(cs.object, 'checkout.session');
    assert.strictEqual(cs.status, 'open');
    assert.strictEqual(cs.payment_status, 'unpaid');
    assert.strictEqual(cs.mode, 'subscription');
    assert.strictEqual(cs.amount_total, 2000);
    assert.strictEqual(cs.currency, 'usd');
    assert.strictEqual(cs.subscription, null);
    assert.strictEqual(cs.url, `http://fake.test/c/pay/${cs.id}`);
    assert.ok(cs.expires_at > cs.created);

    const page = await pageOf(f, cs);
    assert.strictEqual(page.status, 200);
    const html = await page.text();
    assert.match(html, /<form method="post" action="\/c\/pay\/cs_test_/);
    assert.match(html, /name="cardNumber"/);
    assert.match(html, /Team/);
    assert.ok(html.includes(`href="${CANCEL}"`));
    assert.doesNotMatch(html, /<script/i);

    const bad = await pay(f, cs, { cardNumber: '4000 0000 0000 0002' });
    assert.strictEqual(bad.status, 402);
    assert.match(bad.text, /id="error"[^>]*>Your card was declined\./);
    assert.match(bad.text, /name="cardNumber"/);
    assert.strictEqual((await f.api('GET', `/v1/checkout/sessions/${cs.id}`)).body.status, 'open');
    assert.strictEqual((await f.api('GET', '/v1/subscriptions', { customer: cus.id })).body.data.length, 0);
    assert.strictEqual((await pay(f, cs, { cardNumber: '1234' })).status, 402);

    const before = (await eventTypes(f)).length;
    const ok = await pay(f, cs, { cardNumber: '4242 4242 4242 4242', cardExpiry: '12 / 34', cardCvc: '123' });
    assert.strictEqual(ok.status, 303);
    assert.strictEqual(ok.location, `https://app.example/billing/done?session_id=${cs.id}`);

    const done = (await f.api('GET', `/v1/checkout/sessions/${cs.id}`, { expand: ['subscription'] })).body;
    assert.strictEqual(done.status, 'complete');
    assert.strictEqual(done.payment_status, 'paid');
    assert.strictEqual(done.customer, cus.id);
    assert.strictEqual(done.customer_details.email, 'buyer@example.com');
    assert.strictEqual(done.url, null);
    const sub = done.subscription;
    assert.strictEqual(sub.object, 'subscription');
    assert.strictEqual(sub.status, 'active');
    assert.deepStrictEqual(sub.metadata, { org: '42', plan: 'team' });
    assert.strictEqual(sub.items.data[0].quantity, 2);
    assert.strictEqual(done.invoice, sub.latest_invoice);
    const pm = (await f.api('GET', `/v1/payment_methods/${sub.default_payment_method}`)).body;
    assert.strictEqual(pm.customer, cus.id);
    assert.strictEqual(pm.card.last4, '4242');
    const inv = (await f.api('GET', `/v1/invoices/${sub.latest_invoice}`)).body;
    assert.strictEqual(inv.status, 'paid');
    assert.strictEqual(inv.amount_paid, 2000);
    assert.strictEqual(inv.billing_reason, 'subscription_create');

    const types = (await eventTypes(f)).slice(before);
    assert.deepStrictEqual(types, [
      'payment_method.attached', 'customer.subscription.created', 'invoice.created', 'invoice.finalized',
      'charge.succeeded', 'invoice.paid', 'invoice.payment_succeeded', 'checkout.session.completed',
    ]);
    const ev = (await f.api('GET', '/v1/events', { type: 'checkout.session.completed' })).body.data[0];
    assert.strictEqual(ev.data.object.client_reference_id, 'org_42');
    assert.deepStrictEqual(ev.data.object.metadata, { org: '42' });
    assert.strictEqual(ev.data.object.subscription, sub.id);
    assert.ok(!('_items' in ev.data.object));

    /* the page is spent */
    const again = await pageOf(f, cs);
    assert.match(await again.text(), /all done/);
    assert.strictEqual((await pay(f, cs, { cardNumber: '4242424242424242' })).status, 409);
    assert.strictEqual((await f.api('GET', '/v1/subscriptions', { customer: cus.id })).body.data.length, 1);
  } finally { await f.close(); }
});

test('subscription mode with a trial, a new customer and a one-time setup fee', async () => {
  const f = await start();
  try {
    const plan = await setupPlan(f, { unit: 1000 });
    const fee = (await f.api('POST', '/v1/prices', { product: plan.prod.id, unit_amount: 500, currency: 'usd' })).body;
    const cs = (await f.api('POST', '/v1/checkout/sessions', {
      mode: 'subscription', customer_email: 'new@example.com', success_url: SUCCESS,
      line_items: [{ price: plan.price.id, quantity: 1 }, { price: fee.id, quantity: 1 }],
      subscription_data: { trial_period_days: 14 },
    })).body;
    assert.strictEqual(cs.amount_total, 500);
    assert.strictEqual(cs.customer, null);
    assert.strictEqual(cs.customer_email, 'new@example.com');
    const html = await (await pageOf(f, cs)).text();
    assert.match(html, /14 days free/);
    assert.match(html, /new@example\.com/);
    const before = (await eventTypes(f)).length;
    const ok = await pay(f, cs, { cardNumber: '4242424242424242' });
    assert.strictEqual(ok.status, 303);
    const done = (await f.api('GET', `/v1/checkout/sessions/${cs.id}`)).body;
    assert.strictEqual(done.status, 'complete');
    assert.strictEqual(done.payment_status, 'paid');
    const cus = (await f.api('GET', `/v1/customers/${done.customer}`)).body;
    assert.strictEqual(cus.email, 'new@example.com');
    assert.strictEqual(cus.invoice_settings.default_payment_method, null);
    const types = (await eventTypes(f)).slice(before);
    assert.strictEqual(types[0], 'customer.created');
    assert.strictEqual(types[types.length - 1], 'checkout.session.completed');
    const sub = (await f.api('GET', `/v1/subscriptions/${done.subscription}`)).body;
    assert.strictEqual(sub.status, 'trialing');
    const first = (await f.api('GET', `/v1/invoices/${sub.latest_invoice}`)).body;
    assert.deepStrictEqual(first.lines.data.map((l) => l.amount).sort((a, b) => a - b), [0, 500]);
    assert.strictEqual(first.status, 'paid');
    /* the trial ends: the card Checkout saved pays the first period */
    await f.ctl('POST', '/_fake/clock/advance', { to: sub.trial_end });
    const after = (await f.api('GET', `/v1/subscriptions/${sub.id}`)).body;
    assert.strictEqual(after.status, 'active');
    const inv = (await f.api('GET', `/v1/invoices/${after.latest_invoice}`)).body;
    assert.strictEqual(inv.status, 'paid');
    assert.strictEqual(inv.amount_paid, 1000);
  } finally { await f.close(); }
});

test('subscription mode with only a trial due today: no_payment_required', async () => {
  const f = await start();
  try {
    const plan = await setupPlan(f);
    const cs = (await f.api('POST', '/v1/checkout/sessions', {
      mode: 'subscription', customer: plan.cus.id, success_url: SUCCESS,
      line_items: [{ price: plan.price.id, quantity: 1 }], subscription_data: { trial_period_days: 7 },
    })).body;
    assert.strictEqual(cs.amount_total, 0);
    assert.strictEqual((await pay(f, cs, { cardNumber: '5555 5555 5555 4444' })).status, 303);
    const done = (await f.api('GET', `/v1/checkout/sessions/${cs.id}`)).body;
    assert.strictEqual(done.payment_status, 'no_payment_required');
    const sub = (await f.api('GET', `/v1/subscriptions/${done.subscription}`)).body;
    assert.strictEqual(sub.status, 'trialing');
    assert.strictEqual((await f.api('GET', `/v1/payment_methods/${sub.default_payment_method}`)).body.card.brand, 'mastercard');
  } finally { await f.close(); }
});

test('payment mode: price_data, payment_intent_data[metadata], invoice_creation; a decline then a payment', async () => {
  const f = await start();
  try {
    const plan = await setupPlan(f);
    const oneOff = (await f.api('POST', '/v1/prices', { product: plan.prod.id, unit_amount: 2500, currency: 'usd' })).body;
    const cs = (await f.api('POST', '/v1/checkout/sessions', {
      mode: 'payment', success_url: SUCCESS, cancel_url: CANCEL, client_reference_id: 'org_7',
      line_items: [
        { price: oneOff.id, quantity: 2 },
        { price_data: { currency: 'usd', unit_amount: 1250, product_data: { name: 'Credit pack' } }, quantity: 1 },
      ],
      payment_intent_data: { metadata: { org: '7', kind: 'credits' } },
      invoice_creation: { enabled: true, invoice_data: { metadata: { org: '7' } } },
    })).body;
    assert.strictEqual(cs.mode, 'payment');
    assert.strictEqual(cs.amount_total, 6250);
    assert.strictEqual(cs.payment_intent, null);
    assert.strictEqual(cs.customer_creation, 'if_required');
    assert.strictEqual(cs.invoice_creation.enabled, true);
    const html = await (await pageOf(f, cs)).text();
    assert.match(html, /Credit pack/);
    assert.match(html, /name="email"/);

    const noEmail = await pay(f, cs, { cardNumber: '4242424242424242' });
    assert.strictEqual(noEmail.status, 402);
    assert.match(noEmail.text, /email/);
    const bad = await pay(f, cs, { email: 'shop@example.com', cardNumber: '4000000000000002' });
    assert.strictEqual(bad.status, 402);
    assert.match(bad.text, /Your card was declined\./);
    assert.match(bad.text, /value="shop@example\.com"/);
    let s = (await f.api('GET', `/v1/checkout/sessions/${cs.id}`)).body;
    assert.strictEqual(s.status, 'open');
    let pi = (await f.api('GET', `/v1/payment_intents/${s.payment_intent}`)).body;
    assert.strictEqual(pi.status, 'requires_payment_method');
    assert.strictEqual(pi.last_payment_error.code, 'card_declined');

    const before = (await eventTypes(f)).length;
    const ok = await pay(f, cs, { email: 'shop@example.com', cardNumber: '4242424242424242' });
    assert.strictEqual(ok.status, 303);
    s = (await f.api('GET', `/v1/checkout/sessions/${cs.id}`)).body;
    assert.strictEqual(s.status, 'complete');
    assert.strictEqual(s.payment_status, 'paid');
    assert.strictEqual(s.subscription, null);
    pi = (await f.api('GET', `/v1/payment_intents/${s.payment_intent}`)).body;
    assert.strictEqual(pi.status, 'succeeded');
    assert.strictEqual(pi.amount_received, 6250);
    assert.deepStrictEqual(pi.metadata, { org: '7', kind: 'credits' });
    assert.strictEqual(pi.customer, s.customer);
    const cus = (await f.api('GET', `/v1/customers/${s.customer}`)).body;
    assert.strictEqual(cus.email, 'shop@example.com');
    const ch = (await f.api('GET', `/v1/charges/${pi.latest_charge}`)).body;
    assert.strictEqual(ch.paid, true);
    assert.strictEqual(ch.payment_intent, pi.id);
    assert.deepStrictEqual(ch.metadata, { org: '7', kind: 'credits' });
    const inv = (await f.api('GET', `/v1/invoices/${s.invoice}`)).body;
    assert.strictEqual(inv.status, 'paid');
    assert.strictEqual(inv.total, 6250);
    assert.strictEqual(inv.amount_paid, 6250);
    assert.deepStrictEqual(inv.metadata, { org: '7' });
    assert.deepStrictEqual(inv.lines.data.map((l) => [l.description, l.quantity, l.amount]), [['Team', 2, 5000], ['Credit pack', 1, 1250]]);
    const pays = (await f.api('GET', '/v1/invoice_payments', { invoice: inv.id })).body.data;
    assert.deepStrictEqual(pays.map((p) => [p.payment.payment_intent, p.status]), [[pi.id, 'paid']]);
    const types = (await eventTypes(f)).slice(before);
    assert.deepStrictEqual(types, [
      'charge.succeeded', 'payment_intent.succeeded', 'invoice.created', 'invoiceitem.created', 'invoiceitem.created',
      'invoice.finalized', 'invoice.paid', 'invoice.payment_succeeded', 'checkout.session.completed',
    ]);
    const all = await eventTypes(f);
    assert.deepStrictEqual(all.filter((t) => t.startsWith('payment_intent.')), ['payment_intent.created', 'payment_intent.payment_failed', 'payment_intent.succeeded']);
    /* a refund by payment intent */
    const re = await f.api('POST', '/v1/refunds', { payment_intent: pi.id, amount: 1250 });
    assert.strictEqual(re.body.amount, 1250);
  } finally { await f.close(); }
});

test('payment mode for a guest: no customer, no invoice; for a customer with setup_future_usage the card is saved', async () => {
  const f = await start();
  try {
    const plan = await setupPlan(f);
    const cs = (await f.api('POST', '/v1/checkout/sessions', {
      mode: 'payment', customer_email: 'guest@example.com', success_url: 'https://app.example/ok',
      line_items: [{ price_data: { currency: 'usd', unit_amount: 700, product_data: { name: 'Sticker' } }, quantity: 3 }],
    })).body;
    assert.strictEqual((await pay(f, cs, { cardNumber: '4242424242424242' })).location, 'https://app.example/ok');
    const s = (await f.api('GET', `/v1/checkout/sessions/${cs.id}`)).body;
    assert.strictEqual(s.customer, null);
    assert.strictEqual(s.invoice, null);
    assert.strictEqual(s.customer_details.email, 'guest@example.com');
    assert.strictEqual((await f.api('GET', `/v1/payment_intents/${s.payment_intent}`)).body.amount, 2100);

    const before = (await f.api('GET', '/v1/payment_methods', { customer: plan.cus.id })).body.data.length;
    const cs2 = (await f.api('POST', '/v1/checkout/sessions', {
      mode: 'payment', customer: plan.cus.id, success_url: SUCCESS,
      line_items: [{ price_data: { currency: 'usd', unit_amount: 700, product_data: { name: 'Sticker' } }, quantity: 1 }],
      payment_intent_data: { setup_future_usage: 'off_session' },
    })).body;
    assert.strictEqual((await pay(f, cs2, { cardNumber: '4242424242424242' })).status, 303);
    const s2 = (await f.api('GET', `/v1/checkout/sessions/${cs2.id}`)).body;
    assert.strictEqual(s2.customer, plan.cus.id);
    assert.strictEqual((await f.api('GET', '/v1/payment_methods', { customer: plan.cus.id })).body.data.length, before + 1);
  } finally { await f.close(); }
});

test('validation errors match Stripe\'s', async () => {
  const f = await start();
  try {
    const plan = await setupPlan(f);
    const oneOff = (await f.api('POST', '/v1/prices', { product: plan.prod.id, unit_amount: 100, currency: 'usd' })).body;
    const cases = [
      [{ line_items: [{ price: plan.price.id, quantity: 1 }] }, 'mode'],
      [{ mode: 'payment', line_items: [{ price: plan.price.id, quantity: 1 }] }, 'line_items[0][price]'],
      [{ mode: 'subscription', line_items: [{ price: oneOff.id, quantity: 1 }] }, 'line_items'],
      [{ mode: 'subscription', line_items: [{ price: plan.price.id }] }, 'line_items[0][quantity]'],
      [{ mode: 'subscription' }, 'line_items'],
      [{ mode: 'payment', line_items: [{ price: oneOff.id, quantity: 1 }], subscription_data: { trial_period_days: 3 } }, 'subscription_data'],
      [{ mode: 'subscription', line_items: [{ price: plan.price.id, quantity: 1 }], invoice_creation: { enabled: true } }, 'invoice_creation'],
      [{ mode: 'payment', line_items: [{ price: oneOff.id, quantity: 1 }], customer: plan.cus.id, customer_email: 'x@example.com' }, 'customer_email'],
      [{ mode: 'payment', line_items: [{ price: oneOff.id, quantity: 1 }], expires_at: Math.floor(Date.now() / 1000) + 60 }, 'expires_at'],
      [{ mode: 'payment', line_items: [{ quantity: 1 }] }, 'line_items[0]'],
    ];
    for (const [params, param] of cases) {
      const r = await f.api('POST', '/v1/checkout/sessions', params);
      assert.strictEqual(r.status, 400, JSON.stringify(params));
      assert.strictEqual(r.body.error.type, 'invalid_request_error');
      assert.strictEqual(r.body.error.param, param, JSON.stringify(r.body));
    }
    const missing = await f.api('POST', '/v1/checkout/sessions', { mode: 'payment', customer: 'cus_nope', line_items: [{ price: oneOff.id, quantity: 1 }] });
    assert.strictEqual(missing.status, 404);
  } finally { await f.close(); }
});

test('expire, expiry by the clock, list, line items', async () => {
  const f = await start();
  try {
    const plan = await setupPlan(f);
    const mk = () => f.api('POST', '/v1/checkout/sessions', {
      mode: 'subscription', customer: plan.cus.id, success_url: SUCCESS, line_items: [{ price: plan.price.id, quantity: 3 }],
    }).then((r) => r.body);
    const a = await mk();
    const b = await mk();
    const c = await mk();
    const ex = (await f.api('POST', `/v1/checkout/sessions/${a.id}/expire`)).body;
    assert.strictEqual(ex.status, 'expired');
    assert.strictEqual(ex.url, null);
    assert.strictEqual((await f.api('POST', `/v1/checkout/sessions/${a.id}/expire`)).status, 400);
    assert.match(await (await pageOf(f, a)).text(), /expired/);
    assert.strictEqual((await pay(f, a, { cardNumber: '4242424242424242' })).status, 409);

    assert.strictEqual((await pay(f, b, { cardNumber: '4242424242424242' })).status, 303);
    const bs = (await f.api('GET', `/v1/checkout/sessions/${b.id}`)).body;
    const bySub = (await f.api('GET', '/v1/checkout/sessions', { subscription: bs.subscription })).body.data;
    assert.deepStrictEqual(bySub.map((x) => x.id), [b.id]);
    assert.deepStrictEqual((await f.api('GET', '/v1/checkout/sessions', { status: 'open' })).body.data.map((x) => x.id), [c.id]);
    assert.strictEqual((await f.api('GET', '/v1/checkout/sessions', { customer: plan.cus.id })).body.data.length, 3);

    const items = (await f.api('GET', `/v1/checkout/sessions/${c.id}/line_items`)).body;
    assert.strictEqual(items.object, 'list');
    assert.strictEqual(items.data[0].object, 'item');
    assert.strictEqual(items.data[0].quantity, 3);
    assert.strictEqual(items.data[0].amount_total, 3000);
    assert.strictEqual(items.data[0].price.id, plan.price.id);
    const withItems = (await f.api('GET', `/v1/checkout/sessions/${c.id}`, { expand: ['line_items'] })).body;
    assert.strictEqual(withItems.line_items.data[0].id, items.data[0].id);
    assert.ok(!('line_items' in (await f.api('GET', `/v1/checkout/sessions/${c.id}`)).body));

    await f.ctl('POST', '/_fake/clock/advance', { seconds: DAY });
    assert.strictEqual((await f.api('GET', `/v1/checkout/sessions/${c.id}`)).body.status, 'expired');
    const expired = (await f.api('GET', '/v1/events', { type: 'checkout.session.expired' })).body.data;
    assert.deepStrictEqual(expired.map((e) => e.data.object.id).sort(), [a.id, c.id].sort());
  } finally { await f.close(); }
});

test('with automatic delivery, paying on the hosted page posts the signed events to the webhook', async () => {
  const http = require('node:http');
  const Stripe = require('stripe');
  const got = [];
  const sink = http.createServer((req, res) => {
    let body = '';
    req.on('data', (ch) => { body += ch; });
    req.on('end', () => { got.push({ body, sig: req.headers['stripe-signature'] }); res.end('ok'); });
  });
  await new Promise((r) => sink.listen(0, '127.0.0.1', r));
  const f = await start({ webhookUrl: `http://127.0.0.1:${sink.address().port}/hook`, webhookAuto: true });
  try {
    const plan = await setupPlan(f);
    const cs = (await f.api('POST', '/v1/checkout/sessions', {
      mode: 'subscription', customer: plan.cus.id, success_url: SUCCESS, line_items: [{ price: plan.price.id, quantity: 1 }],
    })).body;
    assert.strictEqual((await pay(f, cs, { cardNumber: '4242424242424242' })).status, 303);
    const stripe = new Stripe('sk_test_x');
    let types = [];
    for (let i = 0; i < 50 && !types.includes('checkout.session.completed'); i++) {
      await new Promise((r) => setTimeout(r, 20));
      types = got.map((g) => stripe.webhooks.constructEvent(g.body, g.sig, 'whsec_test').type);
    }
    assert.ok(types.includes('checkout.session.completed'), types.join(','));
    assert.ok(types.indexOf('customer.subscription.created') < types.indexOf('checkout.session.completed'));
  } finally { await f.close(); sink.close(); }
});
