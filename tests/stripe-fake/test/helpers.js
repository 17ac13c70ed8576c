'use strict';
const { createApp } = require('../lib/app');

const KEY = 'sk_test_unit';

/* Start a fake on an ephemeral port; returns { base, app, api, ctl, close }. */
async function start(opts = {}) {
  const app = createApp({ apiKey: KEY, publicUrl: 'http://fake.test', webhookSecret: 'whsec_test', ...opts });
  await new Promise((r) => app.server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${app.server.address().port}`;
  const enc = (p) => {
    const pairs = [];
    const walk = (k, v) => {
      if (v === undefined) return;
      if (v !== null && typeof v === 'object') { for (const [ck, cv] of Object.entries(v)) walk(`${k}[${ck}]`, cv); return; }
      pairs.push(`${encodeURIComponent(k)}=${encodeURIComponent(v === null ? '' : v)}`);
    };
    for (const [k, v] of Object.entries(p || {})) walk(k, v);
    return pairs.join('&');
  };
  async function api(method, path, params, headers = {}) {
    const body = enc(params);
    const url = method === 'GET' && body ? `${base}${path}?${body}` : `${base}${path}`;
    const r = await fetch(url, {
      method,
      headers: { Authorization: `Bearer ${KEY}`, 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
      body: method === 'GET' ? undefined : body,
    });
    return { status: r.status, headers: r.headers, body: await r.json() };
  }
  async function ctl(method, path, json) {
    const r = await fetch(`${base}${path}`, { method, headers: { 'Content-Type': 'application/json' }, body: json ? JSON.stringify(json) : undefined });
    return r.json();
  }
  const close = () => new Promise((r) => { app.server.closeAllConnections(); app.server.close(r); });
  return { base, app, api, ctl, close, enc };
}

/* A customer with a card, a product and a monthly price. */
async function setupPlan(f, { unit = 1000, pm = 'pm_card_visa' } = {}) {
  const cus = (await f.api('POST', '/v1/customers', { email: 'a@example.com', payment_method: pm })).body;
  const prod = (await f.api('POST', '/v1/products', { name: 'Team' })).body;
  const price = (await f.api('POST', '/v1/prices', { product: prod.id, unit_amount: unit, currency: 'usd', recurring: { interval: 'month' } })).body;
  return { cus, prod, price };
}

module.exports = { start, setupPlan, KEY };
