#!/usr/bin/env node
'use strict';
/*
 * A stateful Stripe-compatible HTTP server for orgbill's tests and demo.
 * See README.md for the configuration, the API subset and the /_fake/
 * control endpoints.
 *
 *   STRIPE_FAKE_PORT=12111 STRIPE_FAKE_API_KEY=sk_test_fake node server.js
 */
const { createApp } = require('./lib/app');

function main() {
  const port = Number(process.env.STRIPE_FAKE_PORT || 12111);
  const app = createApp({
    apiKey: process.env.STRIPE_FAKE_API_KEY || 'sk_test_fake',
    publicUrl: (process.env.STRIPE_FAKE_PUBLIC_URL || `http://127.0.0.1:${port}`).replace(/\/+$/, ''),
    webhookUrl: process.env.STRIPE_FAKE_WEBHOOK_URL || null,
    webhookSecret: process.env.STRIPE_FAKE_WEBHOOK_SECRET || 'whsec_fake',
    webhookAuto: process.env.STRIPE_FAKE_WEBHOOK_AUTO === '1',
  });
  app.server.listen(port, '127.0.0.1', () => {
    console.log(`stripe-fake listening on http://127.0.0.1:${port}`);
  });
  const stop = () => app.server.close(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

if (require.main === module) main();
module.exports = { createApp };
