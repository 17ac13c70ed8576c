'use strict';
/*
 * Checkout Sessions (mode=subscription and mode=payment) and their hosted
 * page, /c/pay/cs_…: a plain HTML form (it works without JavaScript) that
 * takes a test card number. A good card completes the session the way
 * Checkout does (customer, card, subscription or payment, invoice, events)
 * and redirects (303) to success_url; a declined card shows the decline on
 * the page and the customer can try again.
 */
const U = require('./util');
const O = require('./objects');

const { invalid, toInt, toBool, clone } = U;
const DAY = 86400;
const INTERVALS = ['day', 'week', 'month', 'year'];

/* Card numbers the hosted page accepts (Stripe's test cards). */
const CARDS = {
  '4242424242424242': { brand: 'visa', last4: '4242' },
  '5555555555554444': { brand: 'mastercard', last4: '4444' },
  '4000000000000002': { brand: 'visa', last4: '0002', decline: 'generic_decline' },
  '4000000000009995': { brand: 'visa', last4: '9995', decline: 'insufficient_funds' },
};
const DECLINES = {
  generic_decline: 'Your card was declined.',
  insufficient_funds: 'Your card has insufficient funds.',
};

function install(c) {
  const { get, all, put, emit, now, route, esc } = c;
  const html = { 'Content-Type': 'text/html; charset=utf-8' };

  /* ---------- creating a session ---------- */

  function inlinePrice(d, at) {
    if (!d || typeof d !== 'object') throw invalid(`Invalid ${at}`, at);
    if (!d.currency) throw invalid(`Missing required param: ${at}[currency].`, `${at}[currency]`, 'parameter_missing');
    let productId = d.product;
    if (productId) get('product', productId, 'product', `${at}[product]`);
    else {
      if (!d.product_data || !d.product_data.name) throw invalid(`Missing required param: ${at}[product_data][name].`, `${at}[product_data][name]`, 'parameter_missing');
      const prod = put('product', O.product(U.randomId('prod'), d.product_data, now()));
      c.setMetadata(prod, d.product_data.metadata);
      productId = prod.id;
    }
    const unit = toInt(d.unit_amount, `${at}[unit_amount]`, { min: 0, required: true });
    if (d.recurring) {
      if (!INTERVALS.includes(d.recurring.interval)) throw invalid(`Invalid ${at}[recurring][interval]`, `${at}[recurring][interval]`);
      toInt(d.recurring.interval_count, `${at}[recurring][interval_count]`, { min: 1 });
    }
    /* Prices made from price_data are archived: usable here only. */
    return put('price', O.price(U.randomId('price', 24), { currency: d.currency, recurring: d.recurring, active: 'false' }, productId, unit, now()));
  }

  function lineItems(list, mode) {
    if (!Array.isArray(list) || list.length === 0) throw invalid('Missing required param: line_items.', 'line_items', 'parameter_missing');
    const out = list.map((li, i) => {
      const at = `line_items[${i}]`;
      if (!li || typeof li !== 'object') throw invalid(`Invalid ${at}`, at);
      let pr;
      if (li.price && li.price_data) throw invalid(`You may only specify one of these parameters: ${at}[price], ${at}[price_data].`, `${at}[price_data]`);
      if (li.price) {
        pr = get('price', li.price, 'price', `${at}[price]`);
        if (!pr.active) throw invalid('The price specified is inactive. This field only accepts active prices.', `${at}[price]`);
      } else if (li.price_data) pr = inlinePrice(li.price_data, `${at}[price_data]`);
      else throw invalid(`You must specify either \`price\` or \`price_data\` in \`${at}\`.`, at, 'parameter_missing');
      if (li.quantity === undefined) throw invalid(`Quantity is required. Add \`quantity\` to \`${at}\``, `${at}[quantity]`, 'parameter_missing');
      const quantity = toInt(li.quantity, `${at}[quantity]`, { min: 1 });
      if (mode === 'payment' && pr.recurring) {
        throw invalid('You specified `payment` mode but passed a recurring price. Either switch to `subscription` mode or use only one-time prices.', `${at}[price]`);
      }
      return { pr, quantity };
    });
    const cur = out[0].pr.currency;
    if (out.some((x) => x.pr.currency !== cur)) throw invalid('All line items must use the same currency.', 'line_items');
    const rec = out.filter((x) => x.pr.recurring).map((x) => `${x.pr.recurring.interval}/${x.pr.recurring.interval_count}`);
    if (mode === 'subscription' && rec.length === 0) throw invalid('You must provide at least one recurring price in `subscription` mode when using prices.', 'line_items');
    if (new Set(rec).size > 1) throw invalid('Checkout does not support multiple prices with different billing intervals.', 'line_items');
    return out;
  }

  const metadataOf = (md) => { const h = { metadata: {} }; c.setMetadata(h, md); return h.metadata; };
  const urlParam = (v, k) => {
    if (v === undefined || v === '') return undefined;
    if (typeof v !== 'string' || !/^https?:\/\/\S+$/.test(v)) throw invalid(`Not a valid URL: ${k}`, k, 'url_invalid');
    return v;
  };

  function createSession(p) {
    const t = now();
    const mode = p.mode;
    if (!mode) throw invalid('Missing required param: mode.', 'mode', 'parameter_missing');
    if (mode === 'setup') throw invalid('mode=setup is not emulated by the Stripe fake.', 'mode');
    if (!['payment', 'subscription'].includes(mode)) throw invalid('Invalid mode: must be one of payment, setup, or subscription', 'mode');
    if (p.ui_mode !== undefined && p.ui_mode !== 'hosted_page') throw invalid('Only ui_mode=hosted_page is emulated by the Stripe fake.', 'ui_mode');
    if (p.customer && p.customer_email) throw invalid('You may only specify one of these parameters: customer, customer_email.', 'customer_email');
    const cus = p.customer ? get('customer', p.customer, 'customer', 'customer') : null;
    if (mode === 'payment' && p.subscription_data !== undefined) throw invalid('You can not pass `subscription_data` in `payment` mode.', 'subscription_data');
    if (mode === 'subscription') {
      for (const k of ['payment_intent_data', 'invoice_creation', 'customer_creation']) {
        if (p[k] !== undefined) throw invalid(`You can not pass \`${k}\` in \`subscription\` mode.`, k);
      }
    }
    const items = lineItems(p.line_items, mode);
    const sd = p.subscription_data || {};
    const sub = { metadata: metadataOf(sd.metadata) };
    if (sd.trial_period_days !== undefined && sd.trial_end !== undefined) {
      throw invalid('You may only specify one of these parameters: subscription_data[trial_end], subscription_data[trial_period_days].', 'subscription_data[trial_end]');
    }
    if (sd.trial_period_days !== undefined) sub.trial_period_days = toInt(sd.trial_period_days, 'subscription_data[trial_period_days]', { min: 1 });
    if (sd.trial_end !== undefined) sub.trial_end = toInt(sd.trial_end, 'subscription_data[trial_end]', { min: t + 2 * DAY });
    const pid = p.payment_intent_data || {};
    if (pid.setup_future_usage !== undefined && !['on_session', 'off_session'].includes(pid.setup_future_usage)) {
      throw invalid('Invalid payment_intent_data[setup_future_usage]: must be on_session or off_session', 'payment_intent_data[setup_future_usage]');
    }
    const pi = { metadata: metadataOf(pid.metadata), description: pid.description, setup_future_usage: pid.setup_future_usage };
    let invoiceCreation = null;
    if (mode === 'payment') {
      const ic = p.invoice_creation;
      let enabled = false;
      if (ic !== undefined) {
        enabled = toBool(ic.enabled, 'invoice_creation[enabled]');
        if (enabled === undefined) throw invalid('Missing required param: invoice_creation[enabled].', 'invoice_creation[enabled]', 'parameter_missing');
      }
      const data = (ic && ic.invoice_data) || {};
      invoiceCreation = O.invoiceCreation(enabled, { description: data.description, footer: data.footer, metadata: metadataOf(data.metadata) });
    }
    let customerCreation = null;
    if (mode === 'payment' && !cus) {
      customerCreation = p.customer_creation === undefined ? 'if_required' : p.customer_creation;
      if (!['if_required', 'always'].includes(customerCreation)) throw invalid('Invalid customer_creation: must be if_required or always', 'customer_creation');
    } else if (mode === 'subscription' && !cus) customerCreation = 'always';
    let expiresAt = t + DAY;
    if (p.expires_at !== undefined) {
      expiresAt = toInt(p.expires_at, 'expires_at');
      if (expiresAt < t + 1800 || expiresAt > t + DAY) throw invalid('The `expires_at` timestamp must be between 30 minutes and 24 hours from Checkout Session creation.', 'expires_at');
    }
    const trial = mode === 'subscription' && (sub.trial_period_days || sub.trial_end);
    const amount = items.reduce((a, x) => a + (trial && x.pr.recurring ? 0 : x.pr.unit_amount * x.quantity), 0);
    const id = U.randomId('cs_test', 58);
    const s = O.checkoutSession(id, {
      amount, currency: items[0].pr.currency, mode, customer: cus ? cus.id : null, customer_email: p.customer_email,
      customer_creation: customerCreation, client_reference_id: p.client_reference_id, locale: p.locale,
      success_url: urlParam(p.success_url, 'success_url'), cancel_url: urlParam(p.cancel_url, 'cancel_url'),
      expires_at: expiresAt, invoice_creation: invoiceCreation, url: `${c.cfg.publicUrl}/c/pay/${id}`,
    }, t);
    c.setMetadata(s, p.metadata);
    s._items = items.map(({ pr, quantity }) => ({ price: pr.id, quantity, id: U.randomId('li', 24) }));
    s._sub = sub;
    s._pi = pi;
    return put('checkout_session', s);
  }

  const sessionItems = (s) => s._items.map((it) => ({ ...it, pr: get('price', it.price, 'price') }));
  const itemObjects = (s) => sessionItems(s).map((it) => O.checkoutItem(it.id, it.pr, it.quantity, c.productName(it.pr)));

  function expire(s) {
    if (s.status !== 'open') throw invalid(`Only Checkout Sessions with a status in ["open"] can be expired. This Checkout Session has a status of "${s.status}".`);
    s.status = 'expired';
    s.url = null;
    emit('checkout.session.expired', s);
    const pi = s.payment_intent && get('payment_intent', s.payment_intent, 'payment_intent');
    if (pi && pi.status !== 'succeeded') {
      pi.status = 'canceled';
      pi.canceled_at = now();
      pi.cancellation_reason = 'abandoned';
      emit('payment_intent.canceled', pi);
    }
    return s;
  }

  /* ---------- completing a session from the hosted page ---------- */

  function completeSubscription(s, card, email) {
    if (card.decline) return { error: DECLINES[card.decline] };
    const cus = s.customer ? get('customer', s.customer, 'customer') : c.createCustomer({ email });
    const pm = c.newCard({ brand: card.brand, last4: card.last4, fail: false });
    c.attachPm(pm.id, cus.id);
    const items = sessionItems(s);
    const sd = s._sub;
    /* Checkout makes the card the subscription's default payment method
     * (the customer's invoice_settings are left as they were). */
    const sub = c.createSubscription({
      customer: cus.id, default_payment_method: pm.id, metadata: sd.metadata,
      items: items.filter((x) => x.pr.recurring).map((x) => ({ price: x.price, quantity: x.quantity })),
      trial_period_days: sd.trial_period_days, trial_end: sd.trial_end,
    }, { oneTime: items.filter((x) => !x.pr.recurring).map((x) => ({ pr: x.pr, quantity: x.quantity })) });
    const inv = get('invoice', sub.latest_invoice, 'invoice');
    s.status = 'complete';
    s.payment_status = inv.amount_paid > 0 ? 'paid' : 'no_payment_required';
    s.customer = cus.id;
    s.customer_details = O.customerDetails(email || cus.email, cus);
    s.subscription = sub.id;
    s.invoice = inv.id;
    s.url = null;
    emit('checkout.session.completed', s);
    return { ok: true };
  }

  function completePayment(s, card, email) {
    const ic = s.invoice_creation;
    const needCustomer = s.customer_creation === 'always' || (ic && ic.enabled);
    let cus = null;
    if (s.customer) cus = get('customer', s.customer, 'customer');
    else if (s._customer) cus = get('customer', s._customer, 'customer');
    else if (needCustomer) { cus = c.createCustomer({ email }); s._customer = cus.id; }
    let pi = s.payment_intent ? get('payment_intent', s.payment_intent, 'payment_intent') : null;
    if (!pi) {
      pi = put('payment_intent', O.paymentIntent(U.randomId('pi', 24), {
        amount: s.amount_total, currency: s.currency, customer: cus ? cus.id : null,
        description: s._pi.description, setup_future_usage: s._pi.setup_future_usage,
      }, now()));
      pi.metadata = clone(s._pi.metadata);
      s.payment_intent = pi.id;
      emit('payment_intent.created', pi);
    }
    const pm = c.newCard({ brand: card.brand, last4: card.last4, fail: !!card.decline });
    const ch = put('charge', O.charge(U.randomId('ch', 24), {
      amount: pi.amount, currency: pi.currency, customer: pi.customer, paid: !card.decline,
      payment_intent: pi.id, payment_method: pm.id, description: pi.description,
    }, now()));
    ch.metadata = clone(pi.metadata);
    pi.latest_charge = ch.id;
    pi.payment_method = pm.id;
    if (card.decline) {
      const message = DECLINES[card.decline];
      ch.failure_message = message;
      pi.status = 'requires_payment_method';
      pi.last_payment_error = { code: 'card_declined', decline_code: card.decline, message, payment_method: clone(pm), type: 'card_error' };
      emit('charge.failed', ch);
      emit('payment_intent.payment_failed', pi);
      return { error: message };
    }
    pi.status = 'succeeded';
    pi.amount_received = pi.amount;
    pi.last_payment_error = null;
    emit('charge.succeeded', ch);
    emit('payment_intent.succeeded', pi);
    if (cus && s._pi.setup_future_usage) c.attachPm(pm.id, cus.id);
    if (ic && ic.enabled) {
      const inv = invoiceAfterPayment(s, cus, ch);
      s.invoice = inv.id;
    }
    s.status = 'complete';
    s.payment_status = 'paid';
    s.customer = cus ? cus.id : null;
    s.customer_details = O.customerDetails(email || (cus && cus.email), cus);
    s.url = null;
    emit('checkout.session.completed', s);
    return { ok: true };
  }

  /* invoice_creation: a paid invoice for what was bought; the payment was
   * taken by the PaymentIntent, so the customer's balance is not used. */
  function invoiceAfterPayment(s, cus, ch) {
    const data = s.invoice_creation.invoice_data;
    const inv = c.newInvoice(cus, { currency: s.currency, description: data.description, auto_advance: false });
    inv.metadata = clone(data.metadata);
    inv.footer = data.footer;
    const t = now();
    for (const it of sessionItems(s)) {
      const ii = put('invoiceitem', O.invoiceItem(U.randomId('ii'), {
        amount: it.pr.unit_amount * it.quantity, currency: it.pr.currency, customer: cus.id, description: c.productName(it.pr),
        invoice: inv.id, price: it.pr.id, product: it.pr.product, unit_amount: it.pr.unit_amount, quantity: it.quantity,
      }, t));
      emit('invoiceitem.created', ii);
      c.addLine(inv, {
        amount: ii.amount, currency: ii.currency, description: ii.description, invoice_item: ii.id, period_start: t, period_end: t,
        price: it.pr.id, product: it.pr.product, unit_amount: it.pr.unit_amount, quantity: it.quantity,
      });
    }
    c.finalize(inv, { keepBalance: true });
    ch._invoice = inv.id;
    c.markPaid(inv);
    return inv;
  }

  function submit(s, form) {
    const number = String(form.cardNumber || '').replace(/[\s-]/g, '');
    if (!number) return { error: 'Your card number is incomplete.' };
    const card = CARDS[number];
    if (!card) return { error: 'Your card number is invalid. Use a test card: 4242 4242 4242 4242 (succeeds) or 4000 0000 0000 0002 (declined).' };
    let email = s.customer_email;
    if (s.customer) email = get('customer', s.customer, 'customer').email;
    else if (!email) {
      email = String(form.email || '').trim();
      if (!/^[^\s@]+@[^\s@]+$/.test(email)) return { error: 'Your email address is incomplete.' };
    }
    return s.mode === 'subscription' ? completeSubscription(s, card, email) : completePayment(s, card, email);
  }

  /* ---------- the hosted page ---------- */

  function page(s, opts = {}) {
    const money = (n) => esc(c.money(n, s.currency));
    const items = sessionItems(s);
    const trialDays = s._sub.trial_period_days || (s._sub.trial_end ? Math.ceil((s._sub.trial_end - now()) / DAY) : 0);
    const rows = items.map((it) => {
      const rec = it.pr.recurring;
      const every = rec ? ` / ${rec.interval_count > 1 ? `${rec.interval_count} ${rec.interval}s` : rec.interval}` : '';
      return `<tr><td>${esc(c.productName(it.pr))}</td><td>× ${it.quantity}</td><td>${money(it.pr.unit_amount * it.quantity)}${esc(every)}</td></tr>`;
    }).join('');
    const customerEmail = s.customer ? get('customer', s.customer, 'customer').email : s.customer_email;
    const emailField = customerEmail
      ? `<p>Email: <span id="email">${esc(customerEmail)}</span></p>`
      : `<p><label for="email">Email</label><br><input id="email" name="email" type="email" autocomplete="email" required value="${esc(opts.email)}"></p>`;
    const error = opts.error ? `<p id="error" role="alert" style="color:#b00">${esc(opts.error)}</p>` : '';
    const button = s.mode === 'subscription' ? (trialDays ? 'Start trial' : 'Subscribe') : 'Pay';
    const cancel = s.cancel_url ? `<p><a id="cancel" href="${esc(s.cancel_url)}">← Back (cancel)</a></p>` : '';
    return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Checkout (Stripe fake)</title><style>body{font-family:sans-serif;max-width:32em;margin:2em auto}td{padding:2px 1em 2px 0}</style></head><body>
<h1>Checkout (Stripe fake)</h1>
<table id="items">${rows}</table>
${trialDays ? `<p id="trial">${trialDays} days free, then billed every period.</p>` : ''}
<p>Total due today: <strong id="total">${money(s.amount_total)}</strong></p>
${error}
<form method="post" action="/c/pay/${esc(s.id)}">
${emailField}
<p><label for="cardNumber">Card number</label><br><input id="cardNumber" name="cardNumber" inputmode="numeric" autocomplete="cc-number" required placeholder="4242 4242 4242 4242"></p>
<p><label for="cardExpiry">Expiry</label> <input id="cardExpiry" name="cardExpiry" autocomplete="cc-exp" placeholder="MM / YY" size="7">
<label for="cardCvc">CVC</label> <input id="cardCvc" name="cardCvc" autocomplete="cc-csc" placeholder="123" size="4"></p>
<p><button id="submit" type="submit">${button}</button></p>
</form>
<p><small>Test cards: 4242 4242 4242 4242 succeeds, 4000 0000 0000 0002 is declined.</small></p>
${cancel}
</body></html>`;
  }

  function closedPage(s) {
    const text = s.status === 'complete' ? 'This payment is complete. You\'re all done here.' : 'This Checkout Session has expired.';
    const back = s.status === 'complete' && s.success_url ? `<p><a id="continue" href="${esc(successUrl(s))}">Continue</a></p>` : '';
    return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Checkout (Stripe fake)</title></head><body><h1>Checkout (Stripe fake)</h1><p id="status" data-status="${esc(s.status)}">${text}</p>${back}</body></html>`;
  }

  const successUrl = (s) => s.success_url.split('{CHECKOUT_SESSION_ID}').join(s.id);

  c.pageHooks.push((req, res, path, form) => {
    const m = /^\/c\/pay\/(cs_[A-Za-z0-9_]+)$/.exec(path);
    if (!m) return false;
    const e = c.state().store.checkout_session && c.state().store.checkout_session.get(m[1]);
    if (!e) { c.send(res, 404, '<!doctype html><p>No such Checkout Session.</p>', html); return true; }
    const s = e.obj;
    if (s.status !== 'open') { c.send(res, req.method === 'POST' ? 409 : 200, closedPage(s), html); return true; }
    if (req.method === 'GET') { c.send(res, 200, page(s), html); return true; }
    const r = submit(s, form);
    if (r.error) { c.send(res, 402, page(s, { error: r.error, email: form.email }), html); return true; }
    if (!s.success_url) { c.send(res, 200, closedPage(s), html); return true; }
    const to = successUrl(s);
    c.send(res, 303, `<!doctype html><p>Continue to <a href="${esc(to)}">${esc(to)}</a></p>`, { ...html, Location: to });
    return true;
  });

  c.jobHooks.push((consider) => {
    for (const { obj: s } of all('checkout_session')) if (s.status === 'open') consider(s.expires_at, () => expire(s));
  });

  c.expanders['checkout.session'] = (out, field) => {
    if (field !== 'line_items') return false;
    const s = get('checkout_session', out.id, 'checkout.session');
    out.line_items = c.list(`/v1/checkout/sessions/${s.id}/line_items`, itemObjects(s).map((obj, i) => ({ obj, seq: -i })), { limit: 100 });
    return true;
  };

  route('POST', '/v1/checkout/sessions', (prm, p) => createSession(p));
  route('GET', '/v1/checkout/sessions', c.filterList('checkout_session', '/v1/checkout/sessions', (o, q) => (!q.customer || o.customer === q.customer) &&
    (!q.status || o.status === q.status) && (!q.subscription || o.subscription === q.subscription) &&
    (!q.payment_intent || o.payment_intent === q.payment_intent)));
  route('GET', '/v1/checkout/sessions/:id', c.byId('checkout_session', 'checkout.session'));
  route('GET', '/v1/checkout/sessions/:id/line_items', (prm, q) => {
    const s = get('checkout_session', prm.id, 'checkout.session');
    return c.list(`/v1/checkout/sessions/${s.id}/line_items`, itemObjects(s).map((obj, i) => ({ obj, seq: -i })), q);
  });
  route('POST', '/v1/checkout/sessions/:id/expire', (prm) => expire(get('checkout_session', prm.id, 'checkout.session')));
  route('GET', '/v1/payment_intents/:id', c.byId('payment_intent', 'payment_intent'));
}

module.exports = { install };
