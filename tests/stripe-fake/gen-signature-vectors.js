#!/usr/bin/env node
// Generate Stripe-Signature test vectors with the official `stripe` package,
// for the C verifier's unit suite (tests/unit/test_webhook_sig.c).
//
//   node tests/stripe-fake/gen-signature-vectors.js > tests/unit/data/stripe_signature_vectors.json
//
// Each vector: the raw payload, the header, the secrets the verifier holds,
// the verifier's clock and tolerance, and the expected outcome. The outcome
// comes from the library's own constructEvent (verifying against each
// secret in turn), except where orgbill is deliberately stricter: a
// timestamp more than the tolerance in the future is refused (stripe-node
// only refuses old ones), and a timestamp that is not a number is malformed
// (stripe-node computes a signature over "NaN." that cannot match) — those
// vectors carry "stricter": true; both answers are a refusal either way.
'use strict';
const crypto = require('node:crypto');
const Stripe = require('stripe');
const stripe = new Stripe('sk_test_vectors');

const NOW = 1795000000;
const TOL = 300;
const SECRET = 'whsec_3f2c9a4b7d1e6058a9c3b2d1e0f4a5b6';
const OLD_SECRET = 'whsec_old0e1d2c3b4a5968778695a4b3c2d1e0f';
const payload = JSON.stringify({
  id: 'evt_1OrgbillTest',
  object: 'event',
  type: 'invoice.paid',
  created: NOW - 5,
  data: { object: { id: 'in_123', object: 'invoice', amount_paid: 4900, currency: 'usd' } },
});

function header(p, secret, timestamp) {
  return stripe.webhooks.generateTestHeaderString({ payload: p, secret, timestamp });
}
function sig(p, secret, timestamp) {
  return crypto.createHmac('sha256', secret).update(`${timestamp}.${p}`, 'utf8').digest('hex');
}
function libOutcome(p, h, secrets) {
  let last = 'bad_signature';
  for (const s of secrets) {
    try {
      stripe.webhooks.constructEvent(p, h, s, TOL, undefined, NOW * 1000);
      return 'ok';
    } catch (e) {
      const m = String(e.message);
      if (/No webhook payload/.test(m)) last = 'malformed';
      else if (/Unable to extract timestamp|No signatures found with expected scheme|No stripe-signature/.test(m)) last = 'malformed';
      else if (/tolerance/.test(m)) last = 'expired';
      else last = 'bad_signature';
      if (last === 'malformed') return last;
    }
  }
  return last;
}

const cases = [];
function add(name, p, h, secrets, extra = {}) {
  const expect = extra.expect || libOutcome(p, h, secrets);
  cases.push({ name, payload: p, header: h, secrets, now: NOW, tolerance: TOL, expect, ...extra, ...{ expect } });
}

add('valid', payload, header(payload, SECRET, NOW - 10), [SECRET]);
add('valid, secret rotation: verifier holds old and new', payload,
    header(payload, OLD_SECRET, NOW - 10), [SECRET, OLD_SECRET]);
add('two v1, one good (rotation on the sender side)', payload,
    `t=${NOW - 10},v1=${sig(payload, OLD_SECRET, NOW - 10)},v1=${sig(payload, SECRET, NOW - 10)}`, [SECRET]);
add('v0 and unknown keys are ignored', payload,
    `t=${NOW - 10},v0=${sig(payload, 'whsec_x', NOW - 10)},v1=${sig(payload, SECRET, NOW - 10)},foo=bar`, [SECRET]);
add('wrong secret', payload, header(payload, 'whsec_wrongwrongwrongwrong', NOW - 10), [SECRET]);
{
  const tampered = payload.replace('4900', '4901');
  add('tampered body (one byte)', tampered, header(payload, SECRET, NOW - 10), [SECRET]);
}
add('expired (older than the tolerance)', payload, header(payload, SECRET, NOW - TOL - 1), [SECRET]);
add('at the tolerance exactly', payload, header(payload, SECRET, NOW - TOL), [SECRET]);
add('far future', payload, header(payload, SECRET, NOW + TOL + 60), [SECRET],
    { expect: 'future', stricter: true });
add('missing t', payload, `v1=${sig(payload, SECRET, NOW - 10)}`, [SECRET]);
add('no v1', payload, `t=${NOW - 10},v0=${sig(payload, SECRET, NOW - 10)}`, [SECRET]);
add('header with spaces', payload,
    `t=${NOW - 10}, v1=${sig(payload, SECRET, NOW - 10)}`, [SECRET]);
add('empty body', '', header('', SECRET, NOW - 10), [SECRET]);
add('empty header', payload, '', [SECRET]);
add('non-numeric t', payload, `t=abc,v1=${sig(payload, SECRET, NOW - 10)}`, [SECRET],
    { expect: 'malformed', stricter: true });
add('signature in upper case hex', payload,
    `t=${NOW - 10},v1=${sig(payload, SECRET, NOW - 10).toUpperCase()}`, [SECRET]);
add('unicode body', '{"name":"Zoë – ünïcödé ✓"}', header('{"name":"Zoë – ünïcödé ✓"}', SECRET, NOW - 1), [SECRET]);

process.stdout.write(JSON.stringify(cases, null, 1) + '\n');
