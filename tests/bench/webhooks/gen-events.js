#!/usr/bin/env node
// Make N distinct Stripe events, signed now with the stack's webhook secret,
// one per line as "<Stripe-Signature>\t<body>", for wrk (events.lua).
//   node gen-events.js SECRET N > events.tsv
'use strict';
const crypto = require('node:crypto');
const [secret, n] = [process.argv[2], parseInt(process.argv[3], 10)];
if (!secret || !(n > 0)) { console.error('usage: gen-events.js SECRET N'); process.exit(2); }
const t = Math.floor(Date.now() / 1000);
const run = crypto.randomBytes(4).toString('hex');
const out = [];
for (let i = 0; i < n; i++) {
  const body = JSON.stringify({
    id: `evt_bench_${run}_${i}`, object: 'event', type: 'invoice.upcoming', created: t,
    livemode: false, data: { object: { id: `in_bench_${run}_${i}`, object: 'invoice', amount_due: 4900 } },
  });
  const sig = crypto.createHmac('sha256', secret).update(`${t}.${body}`, 'utf8').digest('hex');
  out.push(`t=${t},v1=${sig}\t${body}`);
}
process.stdout.write(out.join('\n') + '\n');
