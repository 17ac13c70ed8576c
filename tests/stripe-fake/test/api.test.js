'use strict';
const test = require('node:test');
const assert = require('node:assert');
const Stripe = require('stripe');
const http = require('node:http');
const { start, setupPlan } = require('./helpers');

test('API key check', async () => {
  const f = await start();
  try {
    let r = await fetch(`${f.base}/v1/customers`);
    assert.strictEqual(r.status, 401);
    r = await fetch(`${f.base}/v1/customers`, { headers: { Authorization: 'Bearer sk_test_other' } });
    assert.strictEqual(r.status, 401);
    assert.strictEqual((await r.json()).error.type, 'invalid_request_error');
  } finally { await f.close(); }
});

test('idempotency: same key and params replay, other params -> 400 idempotency_error', async () => {
  const f = await start();
  try {
    const a = await f.api('POST', '/v1/customers', { email: 'x@example.com' }, { 'Idempotency-Key': 'k-1' });
    const b = await f.api('POST', '/v1/customers', { email: 'x@example.com' }, { 'Idempotency-Key': 'k-1' });
    assert.strictEqual(a.body.id, b.body.id);
    assert.strictEqual(b.headers.get('idempotent-replayed'), 'true');
    const c = await f.api('POST', '/v1/customers', { email: 'y@example.com' }, { 'Idempotency-Key': 'k-1' });
    assert.strictEqual(c.status, 400);
    assert.strictEqual(c.body.error.type, 'idempotency_error');
    const list = (await f.api('GET', '/v1/customers')).body;
    assert.strictEqual(list.data.length, 1);
    const log = await f.ctl('GET', '/_fake/requests');
    assert.strictEqual(log.applied, 1);
    /* validation errors are not stored: the same key may then succeed */
    const bad = await f.api('POST', '/v1/prices', { currency: 'usd' }, { 'Idempotency-Key': 'k-2' });
    assert.strictEqual(bad.status, 400);
    assert.strictEqual(bad.body.error.param, 'product');
  } finally { await f.close(); }
});

test('pagination: newest first, limit, starting_after, ending_before', async () => {
  const f = await start();
  try {
    const ids = [];
    for (let i = 0; i < 5; i++) ids.push((await f.api('POST', '/v1/customers', { email: `p${i}@example.com` })).body.id);
    const newest = ids.slice().reverse();
    const p1 = (await f.api('GET', '/v1/customers', { limit: 2 })).body;
    assert.deepStrictEqual(p1.data.map((c) => c.id), newest.slice(0, 2));
    assert.strictEqual(p1.has_more, true);
    assert.strictEqual(p1.object, 'list');
    assert.strictEqual(p1.url, '/v1/customers');
    const p2 = (await f.api('GET', '/v1/customers', { limit: 2, starting_after: p1.data[1].id })).body;
    assert.deepStrictEqual(p2.data.map((c) => c.id), newest.slice(2, 4));
    const p3 = (await f.api('GET', '/v1/customers', { limit: 2, starting_after: p2.data[1].id })).body;
    assert.deepStrictEqual(p3.data.map((c) => c.id), newest.slice(4));
    assert.strictEqual(p3.has_more, false);
    const back = (await f.api('GET', '/v1/customers', { limit: 2, ending_before: p3.data[0].id })).body;
    assert.deepStrictEqual(back.data.map((c) => c.id), newest.slice(2, 4));
    const bad = await f.api('GET', '/v1/customers', { limit: 101 });
    assert.strictEqual(bad.status, 400);
  } finally { await f.close(); }
});

test('faults: 429 with/without Stripe-Should-Retry, 500, drop, delay applies once', async () => {
  const f = await start();
  try {
    await f.ctl('POST', '/_fake/faults', { status: 429, should_retry: true, count: 1 });
    let r = await f.api('GET', '/v1/customers');
    assert.strictEqual(r.status, 429);
    assert.strictEqual(r.headers.get('stripe-should-retry'), 'true');
    await f.ctl('POST', '/_fake/faults', { status: 429 });
    r = await f.api('GET', '/v1/customers');
    assert.strictEqual(r.headers.get('stripe-should-retry'), null);
    assert.strictEqual(r.body.error.code, 'rate_limit');
    await f.ctl('POST', '/_fake/faults', { status: 500, path_prefix: '/v1/products' });
    assert.strictEqual((await f.api('GET', '/v1/customers')).status, 200);
    assert.strictEqual((await f.api('GET', '/v1/products')).status, 500);
    await f.ctl('POST', '/_fake/faults', { drop: true });
    await assert.rejects(f.api('GET', '/v1/customers'));
    await f.ctl('POST', '/_fake/faults', { delay_ms: 300 });
    const t0 = Date.now();
    r = await f.api('POST', '/v1/customers', { email: 'slow@example.com' }, { 'Idempotency-Key': 'slow' });
    assert.ok(Date.now() - t0 >= 280);
    assert.strictEqual(r.status, 200);
  } finally { await f.close(); }
});

test('invoices: draft -> open -> paid / void / uncollectible, hosted page and PDF', async () => {
  const f = await start();
  try {
    const { cus } = await setupPlan(f);
    await f.api('POST', '/v1/invoiceitems', { customer: cus.id, amount: 1500, currency: 'usd', description: 'Setup' });
    const inv = (await f.api('POST', '/v1/invoices', { customer: cus.id, pending_invoice_items_behavior: 'include' })).body;
    assert.strictEqual(inv.status, 'draft');
    assert.strictEqual(inv.total, 1500);
    const fin = (await f.api('POST', `/v1/invoices/${inv.id}/finalize`)).body;
    assert.strictEqual(fin.status, 'open');
    assert.strictEqual(fin.hosted_invoice_url, `http://fake.test/invoice/${inv.id}`);
    const page = await fetch(`${f.base}/invoice/${inv.id}`);
    assert.match(await page.text(), /Invoice/);
    const pdf = await fetch(`${f.base}/invoice/${inv.id}/pdf`);
    assert.strictEqual(pdf.headers.get('content-type'), 'application/pdf');
    assert.match(await pdf.text(), /^%PDF-1\.4/);
    const paid = (await f.api('POST', `/v1/invoices/${inv.id}/pay`)).body;
    assert.strictEqual(paid.status, 'paid');
    assert.strictEqual(paid.amount_paid, 1500);
    /* refund the charge */
    const ch = (await f.api('GET', '/v1/charges', { customer: cus.id })).body.data[0];
    const re = await f.api('POST', '/v1/refunds', { charge: ch.id, amount: 500 });
    assert.strictEqual(re.body.amount, 500);
    assert.strictEqual((await f.api('POST', '/v1/refunds', { charge: ch.id, amount: 5000 })).status, 400);
    for (const [action, status] of [['void', 'void'], ['mark_uncollectible', 'uncollectible']]) {
      await f.api('POST', '/v1/invoiceitems', { customer: cus.id, amount: 100, currency: 'usd' });
      const d = (await f.api('POST', '/v1/invoices', { customer: cus.id, pending_invoice_items_behavior: 'include' })).body;
      await f.api('POST', `/v1/invoices/${d.id}/finalize`);
      assert.strictEqual((await f.api('POST', `/v1/invoices/${d.id}/${action}`)).body.status, status);
    }
    const portal = (await f.api('POST', '/v1/billing_portal/sessions', { customer: cus.id, return_url: 'https://app.example/billing' })).body;
    assert.match(portal.url, /^http:\/\/fake\.test\/p\/session\/bps_/);
    const html = await (await fetch(`${f.base}${new URL(portal.url).pathname}`)).text();
    assert.match(html, /app\.example\/billing/);
  } finally { await f.close(); }
});

test('webhooks: signed with generateTestHeaderString, verified by constructEvent; duplicate and reverse', async () => {
  const got = [];
  const sink = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => { got.push({ body, sig: req.headers['stripe-signature'] }); res.end('ok'); });
  });
  await new Promise((r) => sink.listen(0, '127.0.0.1', r));
  const f = await start({ webhookUrl: `http://127.0.0.1:${sink.address().port}/hook` });
  try {
    await f.api('POST', '/v1/customers', { email: 'w@example.com' });
    await f.api('POST', '/v1/products', { name: 'P' });
    const pend = await f.ctl('GET', '/_fake/webhooks');
    assert.deepStrictEqual(pend.pending.map((e) => e.type), ['customer.created', 'product.created']);
    const res = await f.ctl('POST', '/_fake/webhooks/deliver', { duplicate: 2, reverse: true });
    assert.strictEqual(res.data.length, 4);
    const stripe = new Stripe('sk_test_x');
    const events = got.map((g) => stripe.webhooks.constructEvent(g.body, g.sig, 'whsec_test'));
    assert.deepStrictEqual(events.map((e) => e.type), ['product.created', 'product.created', 'customer.created', 'customer.created']);
    assert.strictEqual(events[0].id, events[1].id);
    assert.throws(() => stripe.webhooks.constructEvent(got[0].body, got[0].sig, 'whsec_wrong'));
    assert.strictEqual((await f.ctl('GET', '/_fake/webhooks')).pending.length, 0);
  } finally { await f.close(); sink.close(); }
});

test('webhooks: a delivery the endpoint could not take (5xx) comes back with the next batch, up to 10 times', async () => {
  let answer = 503;
  const got = [];
  const sink = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => { got.push(answer); res.statusCode = answer; res.end(); });
  });
  await new Promise((r) => sink.listen(0, '127.0.0.1', r));
  const f = await start({ webhookUrl: `http://127.0.0.1:${sink.address().port}/hook` });
  try {
    await f.api('POST', '/v1/customers', { email: 'r@example.com' });
    const first = await f.ctl('POST', '/_fake/webhooks/deliver', {});
    assert.deepStrictEqual(first.data.map((d) => d.status), [503]);
    assert.deepStrictEqual((await f.ctl('GET', '/_fake/webhooks')).pending.map((e) => e.type), ['customer.created']);
    answer = 200;
    const second = await f.ctl('POST', '/_fake/webhooks/deliver', {});
    assert.deepStrictEqual(second.data.map((d) => d.status), [200]);
    assert.strictEqual((await f.ctl('GET', '/_fake/webhooks')).pending.length, 0);
    // A 4xx (a refusal, not an outage) is not retried; nor is a delivery
    // to another URL.
    answer = 400;
    await f.api('POST', '/v1/customers', { email: 's@example.com' });
    await f.ctl('POST', '/_fake/webhooks/deliver', {});
    assert.strictEqual((await f.ctl('GET', '/_fake/webhooks')).pending.length, 0);
    // At most 10 deliveries of one event.
    answer = 500;
    await f.api('POST', '/v1/customers', { email: 't@example.com' });
    for (let i = 0; i < 12; i++) await f.ctl('POST', '/_fake/webhooks/deliver', {});
    assert.strictEqual(got.filter((s) => s === 500).length, 11);
    assert.strictEqual((await f.ctl('GET', '/_fake/webhooks')).pending.length, 0);
  } finally { await f.close(); sink.close(); }
});
