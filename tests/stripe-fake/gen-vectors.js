#!/usr/bin/env node
'use strict';
/*
 * Produce tests/unit/data/stripe_form_vectors.json: request parameters and
 * the exact application/x-www-form-urlencoded body the official `stripe`
 * npm package (version pinned in package.json) sends for them. The C form
 * encoder (stripe/form.c) must reproduce every `encoded` byte for byte.
 *
 *   cd tests/stripe-fake && npm ci && node gen-vectors.js
 *
 * The encoder is the package's own queryStringifyRequestData, the function
 * its RequestSender calls for every v1 request body and query string.
 */
const fs = require('node:fs');
const path = require('node:path');

const stripeDir = path.dirname(require.resolve('stripe'));
const { queryStringifyRequestData } = require(path.join(stripeDir, 'utils.js'));
const stripeVersion = JSON.parse(fs.readFileSync(path.join(stripeDir, '..', 'package.json'), 'utf8')).version;

const cases = [
  { name: 'empty', params: {} },
  { name: 'flat strings', params: { email: 'a@example.com', name: 'Ada Lovelace' } },
  { name: 'integers', params: { amount: 2000, quantity: 0, negative: -150, big: 9007199254740991 } },
  { name: 'booleans', params: { cancel_at_period_end: true, livemode: false } },
  { name: 'null unsets', params: { description: null, email: 'x@y.z' } },
  { name: 'empty string unsets', params: { description: '', metadata: '' } },
  { name: 'metadata', params: { metadata: { org_id: 'org_42', plan: 'team' } } },
  { name: 'metadata unset one key', params: { metadata: { old_key: '', keep: 'v' } } },
  { name: 'nested object', params: { invoice_settings: { default_payment_method: 'pm_123', rendering_options: { amount_tax_display: 'include_inclusive_tax' } } } },
  { name: 'items array of objects', params: { customer: 'cus_1', items: [{ price: 'price_a', quantity: 3 }, { price: 'price_b' }] } },
  { name: 'items update', params: { items: [{ id: 'si_1', price: 'price_new', quantity: 5 }], proration_behavior: 'create_prorations', proration_date: 1700000000 } },
  { name: 'array of strings', params: { expand: ['latest_invoice', 'customer', 'items.data.price'] } },
  { name: 'nested arrays in objects', params: { recurring: { interval: 'month' }, product_data: { name: 'Seat', metadata: { a: '1' } }, tiers: [{ up_to: 10, unit_amount: 500 }, { up_to: 'inf', unit_amount: 400 }] } },
  { name: 'array of arrays', params: { a: [[1, 2], [3]] } },
  { name: 'null inside array', params: { a: [null, 'x'] } },
  { name: 'empty array and object', params: { a: [], b: {}, c: 'kept' } },
  { name: 'deep nesting', params: { a: { b: { c: { d: { e: 'deep' } } } } } },
  { name: 'spaces and plus', params: { description: 'a b+c  d' } },
  { name: 'reserved characters', params: { q: '&=+ /[]?#%', 'k&=': 'v' } },
  { name: 'brackets in metadata key', params: { metadata: { 'a[b]': 'c]d[' } } },
  { name: 'sub-delims', params: { s: "!*'();:@$,~-._" } },
  { name: 'control characters', params: { s: 'line1\nline2\r\ttab\u0001' } },
  { name: 'percent sequences', params: { s: '%5B%5D%20%25' } },
  { name: 'unicode latin', params: { name: 'Zoë Ångström Straße' } },
  { name: 'unicode cjk and emoji', params: { name: '東京 株式会社 🧾💳', metadata: { 'ключ': 'значение' } } },
  { name: 'numeric-like keys', params: { metadata: { 1: 'one', 10: 'ten', 2: 'two' } } },
  { name: 'numeric strings', params: { amount: '1000', currency: 'usd' } },
  { name: 'decimal numbers', params: { unit_amount_decimal: 12.5, small: 0.25, frac: 1234.5678 } },
  { name: 'realistic subscription create', params: {
    customer: 'cus_QXg1o8vcGmoR32',
    items: [{ price: 'price_1PgafmB7WZ01zgkW6dKueIc5', quantity: 12, metadata: { seat_pool: 'eng' } }],
    metadata: { org_id: '7f1c2e9a-55b0-4a77-9d3e-0c2b6d1f8e11', source: 'orgbill' },
    payment_behavior: 'default_incomplete',
    trial_end: 1735689600,
    expand: ['latest_invoice'],
    cancel_at_period_end: false,
  } },
  { name: 'realistic customer create', params: {
    email: 'billing+acme@example.com', name: 'ACME, Inc. (EU)',
    address: { line1: '1 Rue de la Paix', city: 'Paris', postal_code: '75002', country: 'FR' },
    preferred_locales: ['fr', 'en'], tax_exempt: 'none',
  } },
  { name: 'list query', params: { limit: 3, starting_after: 'cus_abc', created: { gte: 1700000000 } } },
];

const out = cases.map((c) => ({
  name: c.name,
  params: c.params,
  encoded: queryStringifyRequestData(c.params),
}));

const dest = path.resolve(__dirname, '..', 'unit', 'data', 'stripe_form_vectors.json');
fs.writeFileSync(dest, JSON.stringify({
  generator: `tests/stripe-fake/gen-vectors.js with stripe@${stripeVersion} (queryStringifyRequestData)`,
  vectors: out,
}, null, 2) + '\n');
console.log(`wrote ${out.length} vectors to ${path.relative(process.cwd(), dest)}`);
