'use strict';
/*
 * The Stripe fake's state and API: resources, billing (periods, proration,
 * invoices, payment), events, idempotency, faults, test clock, webhooks.
 */
const http = require('node:http');
const crypto = require('node:crypto');
const Stripe = require('stripe');
const U = require('./util');
const O = require('./objects');

const { StripeError, invalid, missing, toInt, toBool, clone } = U;
const DAY = 86400;
const TRIAL_WARNING = 3 * DAY;
const RETRY_SCHEDULE = [3 * DAY, 5 * DAY, 7 * DAY]; /* after failed attempts 1, 2, 3 */
const PENDING_UPDATE_EXPIRY = 23 * 3600; /* a pending update waits this long for its payment */
const INCOMPLETE_EXPIRY = 23 * 3600; /* an unpaid first invoice expires the subscription */

/* Test payment methods: magic ids accepted by attach / customer create, and
 * card tokens accepted by POST /v1/payment_methods. */
const TEST_CARDS = {
  pm_card_visa: { brand: 'visa', last4: '4242', fail: false },
  pm_card_mastercard: { brand: 'mastercard', last4: '4444', fail: false },
  pm_card_chargeDeclined: { brand: 'visa', last4: '0002', fail: true },
  pm_card_visa_chargeDeclined: { brand: 'visa', last4: '0341', fail: true },
  tok_visa: { brand: 'visa', last4: '4242', fail: false },
  tok_mastercard: { brand: 'mastercard', last4: '4444', fail: false },
  tok_chargeDeclined: { brand: 'visa', last4: '0002', fail: true },
};

function createApp(config) {
  const cfg = {
    apiKey: config.apiKey || 'sk_test_fake',
    publicUrl: config.publicUrl,
    webhookUrl: config.webhookUrl || null,
    webhookSecret: config.webhookSecret || 'whsec_fake',
    webhookAuto: !!config.webhookAuto,
  };
  const stripe = new Stripe(cfg.apiKey);
  let S;

  function reset() {
    S = {
      offset: 0, store: {}, events: [], pending: [], idem: new Map(), faults: [], redeliver: new Map(),
      log: [], applied: 0, received: 0, seq: 0, delivered: [],
    };
  }
  reset();

  const now = () => Math.floor(Date.now() / 1000) + S.offset;
  const put = (kind, obj) => { (S.store[kind] ||= new Map()).set(obj.id, { obj, seq: ++S.seq }); return obj; };
  const get = (kind, id, label, param) => {
    const e = S.store[kind] && S.store[kind].get(id);
    if (!e) throw missing(label || kind, id, param);
    return e.obj;
  };
  const all = (kind) => [...(S.store[kind] || new Map()).values()];
  let reqCtx = null;
  let reqVersion = O.API_VERSION; /* Stripe-Version of the request being answered */
  const jobHooks = []; /* (consider) => void: scheduled work of other modules */
  const pageHooks = []; /* (req, res, path, form) => true when it answered */
  const cancelHooks = []; /* (sub) => void: a subscription was canceled */
  /* A pending update not paid in time is dropped and its invoice voided. */
  jobHooks.push((consider) => {
    for (const { obj: sub } of all('subscription')) {
      if (sub.pending_update) consider(sub.pending_update.expires_at, () => dropPending(sub));
    }
  });

  function emit(type, obj, prev) {
    const ev = O.event(U.randomId('evt', 24), type, clone(obj), prev ? clone(prev) : undefined, now(), reqCtx);
    put('event', ev);
    S.pending.push(ev.id);
    return ev;
  }

  function setMetadata(obj, md) {
    if (md === undefined) return;
    if (md === '') { obj.metadata = {}; return; }
    if (typeof md !== 'object') throw invalid('Invalid metadata', 'metadata');
    for (const [k, v] of Object.entries(md)) {
      if (v === '') delete obj.metadata[k];
      else obj.metadata[k] = String(v);
    }
  }

  /* ---------- lists and expansion ---------- */

  function list(url, items, q) {
    const limit = q.limit === undefined ? 10 : toInt(q.limit, 'limit');
    if (!(limit >= 1 && limit <= 100)) throw invalid('Invalid limit: must be between 1 and 100', 'limit');
    const sorted = items.slice().sort((a, b) => (b.obj.created - a.obj.created) || (b.seq - a.seq)).map((e) => e.obj);
    let start = 0;
    let end = sorted.length;
    if (q.starting_after) {
      const i = sorted.findIndex((o) => o.id === q.starting_after);
      if (i < 0) throw missing('object', q.starting_after, 'starting_after');
      start = i + 1;
    }
    if (q.ending_before) {
      const i = sorted.findIndex((o) => o.id === q.ending_before);
      if (i < 0) throw missing('object', q.ending_before, 'ending_before');
      const page = sorted.slice(Math.max(0, i - limit), i);
      return { object: 'list', data: page, has_more: i - limit > 0, url };
    }
    const page = sorted.slice(start, start + limit);
    return { object: 'list', data: page, has_more: start + limit < end, url };
  }

  const KIND_OF = {
    cus: 'customer', prod: 'product', price: 'price', sub: 'subscription', in: 'invoice', pm: 'payment_method', ch: 'charge',
    ii: 'invoiceitem', sub_sched: 'subscription_schedule', cs: 'checkout_session', pi: 'payment_intent',
  };
  const kindOf = (id) => KIND_OF[id.startsWith('sub_sched_') ? 'sub_sched' : id.split('_')[0]];
  function expandPath(obj, parts) {
    if (obj === null || typeof obj !== 'object') return;
    const [head, ...rest] = parts;
    if (head === 'data' && Array.isArray(obj.data)) { for (const o of obj.data) expandPath(o, rest); return; }
    if (!(head in obj)) return;
    if (rest.length === 0) {
      const v = obj[head];
      if (typeof v === 'string') {
        const kind = kindOf(v);
        const e = kind && S.store[kind] && S.store[kind].get(v);
        if (e) obj[head] = clone(e.obj);
      }
      return;
    }
    expandPath(obj[head], rest);
  }
  const expanders = {}; /* object type -> (out, field) => bool: expansions that are not ids */
  function render(obj, q) {
    const out = clone(obj);
    const ex = q && q.expand;
    if (Array.isArray(ex)) {
      for (const p of ex) {
        const x = out && expanders[out.object];
        if (!(x && x(out, String(p)))) expandPath(out, String(p).split('.'));
      }
    }
    return out;
  }

  /* ---------- customers, products, prices, payment methods ---------- */

  function attachPm(pmId, cusId) {
    const cus = get('customer', cusId, 'customer', 'customer');
    let pm;
    if (TEST_CARDS[pmId]) pm = newCard(TEST_CARDS[pmId]);
    else pm = get('payment_method', pmId, 'PaymentMethod');
    if (pm.customer && pm.customer !== cus.id) throw invalid('The payment method you provided has already been attached to a customer.', 'payment_method');
    pm.customer = cus.id;
    emit('payment_method.attached', pm);
    return pm;
  }
  function newCard(card) {
    const pm = O.paymentMethod(U.randomId('pm'), {
      brand: card.brand, last4: card.last4, fingerprint: crypto.createHash('sha1').update(card.last4).digest('hex').slice(0, 16),
    }, now());
    if (card.fail) pm.metadata.fake_fail = 'true';
    return put('payment_method', pm);
  }
  const pmFails = (pm) => pm.metadata.fake_fail === 'true';

  function createCustomer(p) {
    if (p.email !== undefined && typeof p.email !== 'string') throw invalid('Invalid email', 'email');
    const cus = put('customer', O.customer(U.randomId('cus'), p, now()));
    setMetadata(cus, p.metadata);
    emit('customer.created', cus);
    if (p.payment_method) {
      const pm = attachPm(p.payment_method, cus.id);
      cus.invoice_settings.default_payment_method = pm.id;
    }
    if (p.invoice_settings && p.invoice_settings.default_payment_method) {
      cus.invoice_settings.default_payment_method = checkCustomerPm(cus, p.invoice_settings.default_payment_method);
    }
    return cus;
  }
  function checkCustomerPm(cus, pmId) {
    const pm = get('payment_method', pmId, 'PaymentMethod', 'invoice_settings[default_payment_method]');
    if (pm.customer !== cus.id) throw invalid(`The customer does not have a payment method with the ID ${pmId}.`, 'invoice_settings[default_payment_method]', 'resource_missing');
    return pm.id;
  }
  function updateCustomer(cus, p) {
    const prev = {};
    for (const k of ['email', 'name', 'description', 'phone']) {
      if (p[k] !== undefined) { prev[k] = cus[k]; cus[k] = p[k] === '' ? null : p[k]; }
    }
    if (p.metadata !== undefined) { prev.metadata = clone(cus.metadata); setMetadata(cus, p.metadata); }
    if (p.invoice_settings && p.invoice_settings.default_payment_method !== undefined) {
      prev.invoice_settings = clone(cus.invoice_settings);
      const v = p.invoice_settings.default_payment_method;
      cus.invoice_settings.default_payment_method = v === '' ? null : checkCustomerPm(cus, v);
    }
    if (p.address !== undefined) { prev.address = cus.address; cus.address = p.address === '' ? null : O.customer('cus_x', { address: p.address }, 0).address; }
    emit('customer.updated', cus, prev);
    return cus;
  }

  function createPrice(p) {
    let productId = p.product;
    if (!productId && p.product_data) {
      if (!p.product_data.name) throw invalid('Missing required param: product_data[name].', 'product_data[name]', 'parameter_missing');
      const prod = put('product', O.product(U.randomId('prod'), p.product_data, now()));
      emit('product.created', prod);
      productId = prod.id;
    }
    if (!productId) throw invalid('Missing required param: product.', 'product', 'parameter_missing');
    get('product', productId, 'product', 'product');
    if (!p.currency) throw invalid('Missing required param: currency.', 'currency', 'parameter_missing');
    const unit = toInt(p.unit_amount, 'unit_amount', { min: 0, required: true });
    if (p.recurring) {
      if (!['day', 'week', 'month', 'year'].includes(p.recurring.interval)) throw invalid('Invalid recurring[interval]', 'recurring[interval]');
      toInt(p.recurring.interval_count, 'recurring[interval_count]', { min: 1 });
    }
    const pr = put('price', O.price(U.randomId('price', 24), p, productId, unit, now()));
    setMetadata(pr, p.metadata);
    emit('price.created', pr);
    return pr;
  }

  /* ---------- billing ---------- */

  const subItems = (sub) => sub.items.data;
  const periodOf = (sub) => ({ start: subItems(sub)[0].current_period_start, end: subItems(sub)[0].current_period_end });
  function setPeriod(sub, start, end) {
    for (const it of subItems(sub)) { it.current_period_start = start; it.current_period_end = end; }
  }
  function nextEnd(sub, start) {
    const rec = subItems(sub)[0].price.recurring;
    return U.addInterval(start, rec.interval, rec.interval_count, sub.billing_cycle_anchor);
  }
  function paymentMethodFor(sub, cus) {
    const id = (sub && sub.default_payment_method) || cus.invoice_settings.default_payment_method;
    return id ? get('payment_method', id, 'PaymentMethod') : null;
  }

  function addLine(inv, p) {
    const line = O.lineItem(U.randomId('il'), inv.id, p);
    inv.lines.data.push(line);
    inv.subtotal += line.amount;
    inv.subtotal_excluding_tax = inv.total = inv.total_excluding_tax = inv.subtotal;
    inv.amount_due = inv.amount_remaining = Math.max(0, inv.total);
    return line;
  }

  /* Pull the customer's pending invoice items (optionally one subscription's). */
  function pullPending(inv, cusId, subId) {
    for (const { obj: ii } of all('invoiceitem')) {
      if (ii.invoice || ii.customer !== cusId) continue;
      const iiSub = ii.parent && ii.parent.subscription_details ? ii.parent.subscription_details.subscription : null;
      if (subId !== undefined && iiSub !== subId) continue;
      ii.invoice = inv.id;
      addLine(inv, {
        amount: ii.amount, currency: ii.currency, description: ii.description, invoice_item: ii.id,
        proration: ii.proration, period_start: ii.period.start, period_end: ii.period.end,
        subscription: iiSub, subscription_item: ii.parent ? ii.parent.subscription_details.subscription_item : null,
        price: ii.pricing ? ii.pricing.price_details.price : null, product: ii.pricing ? ii.pricing.price_details.product : null,
        unit_amount: ii.pricing ? ii.pricing.unit_amount_decimal : null, quantity: ii.quantity,
      });
    }
  }

  function newInvoice(cus, p) {
    const inv = put('invoice', O.invoice(U.randomId('in'), cus, now(), p));
    emit('invoice.created', inv);
    return inv;
  }

  function finalize(inv, opts = {}) {
    if (inv.status !== 'draft') throw invalid(`This invoice is already ${inv.status}.`, undefined, 'invoice_not_editable');
    const cus = get('customer', inv.customer, 'customer');
    inv.starting_balance = cus.balance;
    let due = inv.total;
    let bal = cus.balance;
    if (opts.keepBalance) { /* paid already: the balance is left alone */ } else if (due < 0) { bal += due; due = 0; } else if (bal < 0) { const use = Math.min(due, -bal); due -= use; bal += use; }
    cus.balance = bal;
    inv.ending_balance = bal;
    inv.amount_due = inv.amount_remaining = due;
    inv.number = `${cus.invoice_prefix}-${String(cus.next_invoice_sequence++).padStart(4, '0')}`;
    inv.status = 'open';
    inv.effective_at = inv.status_transitions.finalized_at = now();
    inv.hosted_invoice_url = `${cfg.publicUrl}/invoice/${inv.id}`;
    inv.invoice_pdf = `${cfg.publicUrl}/invoice/${inv.id}/pdf`;
    if (inv.collection_method === 'send_invoice') inv.due_date = inv.due_date || now() + 30 * DAY;
    emit('invoice.finalized', inv);
    if (due === 0 && !opts.keepBalance) markPaid(inv);
  }

  function markPaid(inv) {
    inv.status = 'paid';
    inv.amount_paid = inv.amount_due;
    inv.amount_remaining = 0;
    inv.status_transitions.paid_at = now();
    inv.next_payment_attempt = null;
    emit('invoice.paid', inv);
    if (inv.amount_paid > 0) emit('invoice.payment_succeeded', inv);
    const waiting = pendingOf(inv);
    if (waiting) settlePending(waiting, true);
    const subId = inv.parent && inv.parent.subscription_details && inv.parent.subscription_details.subscription;
    if (subId) {
      const sub = get('subscription', subId, 'subscription');
      if (['past_due', 'incomplete', 'unpaid'].includes(sub.status) && sub.latest_invoice === inv.id) {
        const prev = { status: sub.status };
        sub.status = 'active';
        emit('customer.subscription.updated', sub, prev);
      }
    }
  }

  /* Try to collect an open invoice. Returns true when paid. */
  function attemptPayment(inv, pmOverride) {
    const cus = get('customer', inv.customer, 'customer');
    const subId = inv.subscription;
    const sub = subId ? get('subscription', subId, 'subscription') : null;
    const pm = pmOverride || paymentMethodFor(sub, cus);
    inv.attempted = true;
    inv.attempt_count += 1;
    const ok = pm && !pmFails(pm);
    const ch = put('charge', O.charge(U.randomId('ch', 24), {
      amount: inv.amount_due, currency: inv.currency, customer: cus.id, invoice: inv.id,
      paid: !!ok, payment_intent: U.randomId('pi', 24), payment_method: pm ? pm.id : null,
    }, now()));
    if (ok) {
      emit(ok ? 'charge.succeeded' : 'charge.failed', ch);
      markPaid(inv);
      return true;
    }
    emit('charge.failed', ch);
    const retryIn = RETRY_SCHEDULE[inv.attempt_count - 1];
    inv.next_payment_attempt = retryIn !== undefined && inv.auto_advance ? now() + retryIn : null;
    if (inv._pending_update_of) inv.next_payment_attempt = null;
    emit('invoice.payment_failed', inv);
    if (inv._pending_update_of) return false;
    if (sub && sub.latest_invoice === inv.id && sub.status === 'active') {
      sub.status = 'past_due';
      emit('customer.subscription.updated', sub, { status: 'active' });
    }
    if (sub && inv.next_payment_attempt === null && inv.auto_advance && sub.status === 'past_due') {
      /* Retries exhausted: cancel the subscription, invoice uncollectible. */
      markUncollectible(inv);
      cancelNow(sub, 'payment_failed');
    }
    return false;
  }

  function markUncollectible(inv) {
    if (inv.status !== 'open') throw invalid('You can only mark an open invoice as uncollectible.', undefined, 'invoice_not_open');
    inv.status = 'uncollectible';
    inv.status_transitions.marked_uncollectible_at = now();
    inv.next_payment_attempt = null;
    emit('invoice.marked_uncollectible', inv);
  }

  function voidInvoice(inv) {
    if (inv.status !== 'open' && inv.status !== 'uncollectible') throw invalid(`You can only void an open or uncollectible invoice; this one is ${inv.status}.`, undefined, 'invoice_not_open');
    inv.status = 'void';
    inv.amount_remaining = 0;
    inv.status_transitions.voided_at = now();
    inv.next_payment_attempt = null;
    emit('invoice.voided', inv);
    const waiting = pendingOf(inv);
    if (waiting) settlePending(waiting, false);
  }

  /* A subscription invoice for the period [start, end): every item, plus
   * the subscription's pending prorations. Finalized and collected. */
  function cycleInvoice(sub, reason, start, end, opts = {}) {
    const cus = get('customer', sub.customer, 'customer');
    const inv = newInvoice(cus, { subscription: sub.id, billing_reason: reason, period_start: start, period_end: end, auto_advance: true, currency: sub.currency });
    if (opts.pendingUpdate) inv._pending_update_of = sub.id;
    pullPending(inv, cus.id, sub.id);
    if (!opts.prorationsOnly) {
      for (const it of subItems(sub)) {
        const amount = sub.status === 'trialing' ? 0 : it.price.unit_amount * it.quantity;
        addLine(inv, {
          kind: 'subscription', amount, currency: it.price.currency,
          description: `${it.quantity} × ${productName(it.price)}${sub.status === 'trialing' ? ' (trial)' : ''}`,
          period_start: start, period_end: end, subscription: sub.id, subscription_item: it.id,
          price: it.price.id, product: it.price.product, unit_amount: it.price.unit_amount, quantity: it.quantity,
        });
      }
    }
    sub.latest_invoice = inv.id;
    finalize(inv);
    if (inv.status === 'open') attemptPayment(inv);
    return inv;
  }
  const productName = (pr) => { const e = S.store.product && S.store.product.get(pr.product); return e ? e.obj.name : pr.product; };

  function resolveItems(itemsParam) {
    if (!Array.isArray(itemsParam) || itemsParam.length === 0) throw invalid('Missing required param: items.', 'items', 'parameter_missing');
    return itemsParam.map((it, i) => {
      const pr = get('price', it.price, 'price', `items[${i}][price]`);
      if (!pr.recurring) throw invalid('The price specified is set to `type=one_time` but this field only accepts prices with `type=recurring`.', `items[${i}][price]`);
      return { pr, quantity: it.quantity === undefined ? 1 : toInt(it.quantity, `items[${i}][quantity]`, { min: 0 }), metadata: it.metadata };
    });
  }

  /* opts.oneTime: [{pr, quantity}] one-time prices for the first invoice
   * only (Checkout's line items with one-time prices). */
  function createSubscription(p, opts = {}) {
    const cus = get('customer', p.customer, 'customer', 'customer');
    const items = resolveItems(p.items);
    const interval = `${items[0].pr.recurring.interval}/${items[0].pr.recurring.interval_count}`;
    for (const it of items) {
      if (`${it.pr.recurring.interval}/${it.pr.recurring.interval_count}` !== interval) throw invalid('All prices on a subscription must have the same recurring interval.', 'items');
    }
    const t = now();
    const sub = O.subscription(U.randomId('sub', 24), cus.id, t);
    sub.currency = items[0].pr.currency;
    setMetadata(sub, p.metadata);
    if (p.default_payment_method) {
      const pm = get('payment_method', p.default_payment_method, 'PaymentMethod', 'default_payment_method');
      if (pm.customer !== cus.id) throw invalid('The payment method must be attached to the customer.', 'default_payment_method');
      sub.default_payment_method = pm.id;
    }
    let trialEnd = null;
    if (p.trial_end !== undefined && p.trial_end !== 'now') trialEnd = toInt(p.trial_end, 'trial_end', { min: t + 1 });
    else if (p.trial_period_days !== undefined) trialEnd = t + DAY * toInt(p.trial_period_days, 'trial_period_days', { min: 1 });
    if (p.trial_settings && p.trial_settings.end_behavior && p.trial_settings.end_behavior.missing_payment_method) {
      sub.trial_settings.end_behavior.missing_payment_method = p.trial_settings.end_behavior.missing_payment_method;
    }
    sub.cancel_at_period_end = toBool(p.cancel_at_period_end, 'cancel_at_period_end') || false;
    if (opts.schedule) sub.schedule = opts.schedule;
    for (const it of items) {
      const si = O.subscriptionItem(U.randomId('si'), sub.id, it.pr, it.quantity, t, t, t);
      setMetadata(si, it.metadata);
      sub.items.data.push(si);
    }
    put('subscription', sub);
    if (trialEnd) {
      sub.status = 'trialing';
      sub.trial_start = t;
      sub.trial_end = trialEnd;
      sub.billing_cycle_anchor = trialEnd;
      setPeriod(sub, t, trialEnd);
    } else {
      sub.billing_cycle_anchor = t;
      setPeriod(sub, t, nextEnd(sub, t));
    }
    emit('customer.subscription.created', sub);
    const per = periodOf(sub);
    for (const { pr, quantity } of opts.oneTime || []) {
      const ii = put('invoiceitem', O.invoiceItem(U.randomId('ii'), {
        amount: pr.unit_amount * quantity, currency: pr.currency, customer: cus.id, description: productName(pr),
        subscription: sub.id, price: pr.id, product: pr.product, unit_amount: pr.unit_amount, quantity,
      }, t));
      emit('invoiceitem.created', ii);
    }
    const inv = cycleInvoice(sub, 'subscription_create', per.start, per.end);
    if (inv.status !== 'paid' && sub.status !== 'trialing') {
      sub.status = 'incomplete';
      emit('customer.subscription.updated', sub, { status: 'active' });
    }
    return sub;
  }

  function updateSubscription(sub, p) {
    if (sub.status === 'canceled') throw invalid('A canceled subscription can only update its cancellation_details and metadata.', undefined, 'resource_missing');
    const prev = {};
    const t = now();
    const behavior = p.proration_behavior || 'create_prorations';
    if (!['create_prorations', 'always_invoice', 'none'].includes(behavior)) throw invalid(`Invalid proration_behavior: ${behavior}`, 'proration_behavior');
    const payBehavior = p.payment_behavior || 'allow_incomplete';
    if (!['allow_incomplete', 'default_incomplete', 'error_if_incomplete', 'pending_if_incomplete'].includes(payBehavior)) throw invalid(`Invalid payment_behavior: ${payBehavior}`, 'payment_behavior');
    const pendingOk = payBehavior === 'pending_if_incomplete';
    if (pendingOk) {
      /* Stripe allows only these with pending updates. */
      const allowed = ['items', 'proration_behavior', 'proration_date', 'payment_behavior', 'expand', 'trial_end', 'billing_cycle_anchor'];
      const bad = Object.keys(p).find((k) => !allowed.includes(k));
      if (bad) throw invalid(`You cannot pass \`${bad}\` when \`payment_behavior\` is \`pending_if_incomplete\`.`, bad);
    }
    const per = periodOf(sub);
    let prorationDate = t;
    if (p.proration_date !== undefined) {
      prorationDate = toInt(p.proration_date, 'proration_date');
      if (prorationDate < per.start || prorationDate > per.end) throw invalid('proration_date must be within the current period.', 'proration_date');
    }
    let prorated = false;
    if (p.items !== undefined) {
      if (!Array.isArray(p.items)) throw invalid('Invalid array', 'items');
      if (sub.pending_update) dropPending(sub); /* a new change replaces the one waiting */
      prev.items = clone(sub.items);
      p.items.forEach((ip, i) => {
        let it = ip.id ? subItems(sub).find((x) => x.id === ip.id) : null;
        if (ip.id && !it) throw invalid(`Invalid subscription_item id: ${ip.id}`, `items[${i}][id]`, 'resource_missing');
        const deleted = toBool(ip.deleted, `items[${i}][deleted]`);
        const oldPr = it ? it.price : null;
        const oldQ = it ? it.quantity : 0;
        let newPr = oldPr;
        if (ip.price !== undefined) newPr = get('price', ip.price, 'price', `items[${i}][price]`);
        if (!newPr) throw invalid('Missing required param: items[0][price].', `items[${i}][price]`, 'parameter_missing');
        const newQ = deleted ? 0 : (ip.quantity !== undefined ? toInt(ip.quantity, `items[${i}][quantity]`, { min: 0 }) : (it ? oldQ : 1));
        if (!it) {
          it = O.subscriptionItem(U.randomId('si'), sub.id, newPr, newQ, per.start, per.end, t);
          sub.items.data.push(it);
        }
        const changed = oldPr !== newPr || oldQ !== newQ;
        if (changed && behavior !== 'none' && sub.status !== 'trialing') {
          const remaining = per.end - prorationDate;
          const period = per.end - per.start;
          const since = new Date(prorationDate * 1000).toISOString().slice(0, 10);
          if (oldPr && oldQ > 0) {
            pendingItem(sub, it, oldPr, oldQ, -U.prorate(oldPr.unit_amount, oldQ, remaining, period),
              `Unused time on ${oldQ} × ${productName(oldPr)} after ${since}`, prorationDate, per.end);
          }
          if (newQ > 0) {
            pendingItem(sub, it, newPr, newQ, U.prorate(newPr.unit_amount, newQ, remaining, period),
              `Remaining time on ${newQ} × ${productName(newPr)} after ${since}`, prorationDate, per.end);
          }
          prorated = true;
        }
        it.price = newPr;
        it.plan = O.planOf(newPr);
        it.quantity = newQ;
        setMetadata(it, ip.metadata);
        if (deleted) sub.items.data = subItems(sub).filter((x) => x !== it);
      });
    }
    if (p.cancel_at_period_end !== undefined) {
      prev.cancel_at_period_end = sub.cancel_at_period_end;
      prev.cancel_at = sub.cancel_at;
      sub.cancel_at_period_end = toBool(p.cancel_at_period_end, 'cancel_at_period_end');
      sub.cancel_at = sub.cancel_at_period_end ? per.end : null;
      sub.canceled_at = sub.cancel_at_period_end ? t : null;
      sub.cancellation_details.reason = sub.cancel_at_period_end ? 'cancellation_requested' : null;
    }
    if (p.default_payment_method !== undefined) {
      prev.default_payment_method = sub.default_payment_method;
      sub.default_payment_method = p.default_payment_method === '' ? null
        : get('payment_method', p.default_payment_method, 'PaymentMethod', 'default_payment_method').id;
    }
    if (p.trial_end === 'now' && sub.status === 'trialing') {
      prev.trial_end = sub.trial_end;
      endTrial(sub, t);
    }
    if (p.metadata !== undefined) { prev.metadata = clone(sub.metadata); setMetadata(sub, p.metadata); }
    if (pendingOk && prorated && behavior === 'always_invoice' && sub.status !== 'trialing') return pendingUpdate(sub, prev, prorationDate, per.end);
    emit('customer.subscription.updated', sub, prev);
    if (prorated && behavior === 'always_invoice') cycleInvoice(sub, 'subscription_update', prorationDate, per.end, { prorationsOnly: true });
    return sub;
  }

  /* payment_behavior=pending_if_incomplete: the proration invoice is
   * charged first; paid, the change stands; unpaid, the items go back to
   * what they were and the change waits in sub.pending_update until the
   * invoice is paid (then applied) or voided, or until expires_at (23
   * hours on, or the period's end if sooner: then the invoice is voided
   * and the change dropped). The failed invoice is not retried and does not make the
   * subscription past_due. */
  function pendingUpdate(sub, prev, start, end) {
    const wanted = clone(sub.items);
    const inv = cycleInvoice(sub, 'subscription_update', start, end, { prorationsOnly: true, pendingUpdate: true });
    if (inv.status === 'paid') {
      emit('customer.subscription.updated', sub, prev);
      return sub;
    }
    sub.items = prev.items;
    sub.pending_update = {
      billing_cycle_anchor: null, expires_at: Math.min(end, now() + PENDING_UPDATE_EXPIRY), trial_end: null, trial_from_plan: null,
      subscription_items: wanted.data.map((it) => clone(it)),
    };
    sub._pending_invoice = inv.id;
    emit('customer.subscription.updated', sub, { pending_update: null });
    return sub;
  }

  /* The pending update of sub ends: applied (its invoice was paid) or dropped. */
  function settlePending(sub, apply) {
    if (!sub.pending_update) return;
    const prev = { pending_update: clone(sub.pending_update) };
    if (apply) {
      prev.items = clone(sub.items);
      for (const want of sub.pending_update.subscription_items) {
        const it = subItems(sub).find((x) => x.id === want.id);
        if (it) { it.price = want.price; it.plan = want.plan; it.quantity = want.quantity; } else sub.items.data.push(want);
      }
    }
    sub.pending_update = null;
    sub._pending_invoice = null;
    emit('customer.subscription.updated', sub, prev);
  }
  /* Drop sub's pending update: its invoice voided (which drops it), or just forgotten. */
  function dropPending(sub) {
    const e = sub._pending_invoice && S.store.invoice && S.store.invoice.get(sub._pending_invoice);
    if (e && (e.obj.status === 'open' || e.obj.status === 'uncollectible')) voidInvoice(e.obj);
    else settlePending(sub, false);
  }
  function pendingOf(inv) {
    if (!inv._pending_update_of) return null;
    const e = S.store.subscription && S.store.subscription.get(inv._pending_update_of);
    return e && e.obj._pending_invoice === inv.id ? e.obj : null;
  }

  function pendingItem(sub, it, pr, qty, amount, description, start, end) {
    const ii = put('invoiceitem', O.invoiceItem(U.randomId('ii'), {
      amount, currency: pr.currency, customer: sub.customer, description, proration: true,
      subscription: sub.id, subscription_item: it.id, price: pr.id, product: pr.product,
      unit_amount: pr.unit_amount, quantity: qty, period_start: start, period_end: end,
    }, now()));
    emit('invoiceitem.created', ii);
    return ii;
  }

  function cancelNow(sub, reason, opts = {}) {
    if (sub.status === 'canceled') throw invalid('This subscription is already canceled.', undefined, 'resource_missing');
    const t = now();
    const per = periodOf(sub);
    if (opts.prorate && sub.status !== 'trialing') {
      for (const it of subItems(sub)) {
        pendingItem(sub, it, it.price, it.quantity, -U.prorate(it.price.unit_amount, it.quantity, per.end - t, per.end - per.start),
          `Unused time on ${it.quantity} × ${productName(it.price)} after ${new Date(t * 1000).toISOString().slice(0, 10)}`, t, per.end);
      }
    }
    const prev = { status: sub.status };
    sub.status = 'canceled';
    sub.canceled_at = sub.canceled_at || t;
    sub.ended_at = t;
    sub.cancellation_details.reason = reason || 'cancellation_requested';
    emit('customer.subscription.deleted', sub, prev);
    for (const hook of cancelHooks) hook(sub);
    if (opts.invoice_now) {
      const cus = get('customer', sub.customer, 'customer');
      const inv = newInvoice(cus, { subscription: sub.id, billing_reason: 'subscription_update', auto_advance: false });
      pullPending(inv, cus.id, sub.id);
      finalize(inv);
      if (inv.status === 'open') attemptPayment(inv);
    }
    return sub;
  }

  function endTrial(sub, at) {
    const cus = get('customer', sub.customer, 'customer');
    const prev = { status: sub.status, trial_end: sub.trial_end };
    sub.trial_end = at;
    if (!paymentMethodFor(sub, cus) && sub.trial_settings.end_behavior.missing_payment_method !== 'create_invoice') {
      if (sub.trial_settings.end_behavior.missing_payment_method === 'cancel') { cancelNow(sub, 'cancellation_requested'); return; }
      sub.status = 'paused';
      emit('customer.subscription.updated', sub, prev);
      emit('customer.subscription.paused', sub);
      return;
    }
    sub.status = 'active';
    sub.billing_cycle_anchor = at;
    setPeriod(sub, at, nextEnd(sub, at));
    emit('customer.subscription.updated', sub, prev);
    const per = periodOf(sub);
    cycleInvoice(sub, 'subscription_cycle', per.start, per.end);
  }

  function resumeSubscription(sub) {
    if (sub.status !== 'paused') throw invalid('Only paused subscriptions can be resumed.', undefined, 'subscription_not_paused');
    const t = now();
    const prev = { status: 'paused' };
    sub.status = 'active';
    sub.billing_cycle_anchor = t;
    setPeriod(sub, t, nextEnd(sub, t));
    emit('customer.subscription.resumed', sub);
    emit('customer.subscription.updated', sub, prev);
    const per = periodOf(sub);
    cycleInvoice(sub, 'subscription_cycle', per.start, per.end);
    return sub;
  }

  /* The earliest scheduled thing due at or before `until`, or null. */
  function nextScheduled(until) {
    let best = null;
    const consider = (at, fn) => { if (at <= until && (!best || at < best.at)) best = { at, fn }; };
    /* Jobs of other modules (schedule phases, Checkout expiry) come first:
     * at the same instant a phase change runs before the renewal. */
    for (const hook of jobHooks) hook(consider);
    for (const { obj: sub } of all('subscription')) {
      if (sub.status === 'incomplete') {
        consider(sub.created + INCOMPLETE_EXPIRY, () => expireIncomplete(sub));
        continue;
      }
      if (['canceled', 'incomplete_expired', 'paused'].includes(sub.status)) continue;
      const per = periodOf(sub);
      if (sub.status === 'trialing') {
        if (!sub._trial_warned && sub.trial_end - TRIAL_WARNING > sub.trial_start) {
          consider(sub.trial_end - TRIAL_WARNING, () => { sub._trial_warned = true; emit('customer.subscription.trial_will_end', sub); });
        }
        consider(sub.trial_end, () => endTrial(sub, sub.trial_end));
        continue;
      }
      consider(per.end, () => renew(sub, per.end));
    }
    for (const { obj: inv } of all('invoice')) {
      if (inv.status === 'open' && inv.next_payment_attempt) consider(inv.next_payment_attempt, () => attemptPayment(inv));
    }
    return best;
  }

  /* The first invoice of an incomplete subscription was not paid within
   * 23 hours: the subscription ends (incomplete_expired, a terminal
   * state) and the invoice is voided. */
  function expireIncomplete(sub) {
    const inv = sub.latest_invoice && S.store.invoice && S.store.invoice.get(sub.latest_invoice);
    if (inv && (inv.obj.status === 'open' || inv.obj.status === 'uncollectible')) voidInvoice(inv.obj);
    const prev = { status: sub.status };
    sub.status = 'incomplete_expired';
    sub.ended_at = now();
    emit('customer.subscription.deleted', sub, prev);
    for (const hook of cancelHooks) hook(sub);
  }

  function renew(sub, at) {
    if (sub.cancel_at_period_end || (sub.cancel_at && sub.cancel_at <= at)) {
      cancelNow(sub, 'cancellation_requested');
      return;
    }
    const end = nextEnd(sub, at);
    const prev = { items: clone(sub.items) };
    setPeriod(sub, at, end);
    emit('customer.subscription.updated', sub, prev);
    cycleInvoice(sub, 'subscription_cycle', at, end);
  }

  function advanceClock(to) {
    let guard = 0;
    for (;;) {
      const job = nextScheduled(to);
      if (!job || ++guard > 10000) break;
      S.offset = job.at - Math.floor(Date.now() / 1000);
      job.fn();
    }
    S.offset = Math.max(S.offset, to - Math.floor(Date.now() / 1000));
  }

  /* ---------- routing ---------- */

  const routes = [];
  const route = (method, pattern, fn, opts = {}) => {
    const keys = [];
    const re = new RegExp('^' + pattern.replace(/:(\w+)/g, (_, k) => { keys.push(k); return '([^/]+)'; }) + '$');
    routes.push({ method, re, keys, fn, mutates: method !== 'GET', ...opts });
  };
  const byId = (kind, label) => (prm) => get(kind, prm.id, label);
  const filterList = (kind, url, pred) => (prm, q) => list(url, all(kind).filter((e) => pred(e.obj, q)), q);

  route('POST', '/v1/customers', (prm, p) => createCustomer(p));
  route('GET', '/v1/customers', filterList('customer', '/v1/customers', (o, q) => !o.deleted && (!q.email || o.email === q.email)));
  route('GET', '/v1/customers/:id', (prm) => { const c = get('customer', prm.id, 'customer'); return c; });
  route('POST', '/v1/customers/:id', (prm, p) => updateCustomer(get('customer', prm.id, 'customer'), p));
  route('DELETE', '/v1/customers/:id', (prm) => {
    const c = get('customer', prm.id, 'customer');
    S.store.customer.delete(c.id);
    for (const { obj: s } of all('subscription')) if (s.customer === c.id && s.status !== 'canceled') cancelNow(s, 'cancellation_requested');
    emit('customer.deleted', c);
    return { id: c.id, object: 'customer', deleted: true };
  });
  route('GET', '/v1/customers/:id/payment_methods', (prm, q) => {
    get('customer', prm.id, 'customer');
    return list(`/v1/customers/${prm.id}/payment_methods`, all('payment_method').filter((e) => e.obj.customer === prm.id), q);
  });

  route('POST', '/v1/products', (prm, p) => {
    if (!p.name) throw invalid('Missing required param: name.', 'name', 'parameter_missing');
    const pr = put('product', O.product(p.id || U.randomId('prod'), p, now()));
    setMetadata(pr, p.metadata);
    emit('product.created', pr);
    return pr;
  });
  route('GET', '/v1/products', filterList('product', '/v1/products', (o, q) => q.active === undefined || String(o.active) === q.active));
  route('GET', '/v1/products/:id', byId('product', 'product'));
  route('POST', '/v1/products/:id', (prm, p) => {
    const pr = get('product', prm.id, 'product');
    const prev = {};
    for (const k of ['name', 'description']) if (p[k] !== undefined) { prev[k] = pr[k]; pr[k] = p[k]; }
    if (p.active !== undefined) { prev.active = pr.active; pr.active = toBool(p.active, 'active'); }
    if (p.metadata !== undefined) { prev.metadata = clone(pr.metadata); setMetadata(pr, p.metadata); }
    pr.updated = now();
    emit('product.updated', pr, prev);
    return pr;
  });

  route('POST', '/v1/prices', (prm, p) => createPrice(p));
  route('GET', '/v1/prices', filterList('price', '/v1/prices', (o, q) => (!q.product || o.product === q.product) &&
    (q.active === undefined || String(o.active) === q.active) &&
    (!Array.isArray(q.lookup_keys) || q.lookup_keys.includes(o.lookup_key))));
  route('GET', '/v1/prices/:id', byId('price', 'price'));
  route('POST', '/v1/prices/:id', (prm, p) => {
    const pr = get('price', prm.id, 'price');
    const prev = {};
    if (p.active !== undefined) { prev.active = pr.active; pr.active = toBool(p.active, 'active'); }
    if (p.lookup_key !== undefined) { prev.lookup_key = pr.lookup_key; pr.lookup_key = p.lookup_key || null; }
    if (p.metadata !== undefined) { prev.metadata = clone(pr.metadata); setMetadata(pr, p.metadata); }
    emit('price.updated', pr, prev);
    return pr;
  });

  route('POST', '/v1/payment_methods', (prm, p) => {
    if (p.type !== 'card') throw invalid('Only type=card is supported by the fake.', 'type');
    const tok = p.card && (p.card.token || (p.card.number === '4000000000000002' ? 'tok_chargeDeclined' : p.card.number ? 'tok_visa' : undefined));
    const card = TEST_CARDS[tok];
    if (!card) throw invalid('Missing or unknown card[token] (use tok_visa, tok_mastercard, tok_chargeDeclined).', 'card[token]');
    const pm = newCard(card);
    setMetadata(pm, p.metadata);
    return pm;
  });
  route('GET', '/v1/payment_methods', filterList('payment_method', '/v1/payment_methods', (o, q) => (!q.customer || o.customer === q.customer) && (!q.type || o.type === q.type)));
  route('GET', '/v1/payment_methods/:id', byId('payment_method', 'PaymentMethod'));
  route('POST', '/v1/payment_methods/:id/attach', (prm, p) => {
    if (!p.customer) throw invalid('Missing required param: customer.', 'customer', 'parameter_missing');
    return attachPm(prm.id, p.customer);
  });
  route('POST', '/v1/payment_methods/:id/detach', (prm) => {
    const pm = get('payment_method', prm.id, 'PaymentMethod');
    if (!pm.customer) throw invalid('The payment method you provided is not attached to a customer so detachment is impossible.', undefined, 'payment_method_unattached');
    const cus = S.store.customer && S.store.customer.get(pm.customer);
    if (cus && cus.obj.invoice_settings.default_payment_method === pm.id) cus.obj.invoice_settings.default_payment_method = null;
    pm.customer = null;
    emit('payment_method.detached', pm);
    return pm;
  });

  route('POST', '/v1/subscriptions', (prm, p) => createSubscription(p));
  route('GET', '/v1/subscriptions', filterList('subscription', '/v1/subscriptions', (o, q) => (!q.customer || o.customer === q.customer) &&
    (q.status === 'all' || (q.status ? o.status === q.status : o.status !== 'canceled')) && (!q.price || o.items.data.some((i) => i.price.id === q.price))));
  route('GET', '/v1/subscriptions/:id', byId('subscription', 'subscription'));
  route('POST', '/v1/subscriptions/:id', (prm, p) => updateSubscription(get('subscription', prm.id, 'subscription'), p));
  route('DELETE', '/v1/subscriptions/:id', (prm, p) => cancelNow(get('subscription', prm.id, 'subscription'), 'cancellation_requested',
    { prorate: toBool(p.prorate, 'prorate'), invoice_now: toBool(p.invoice_now, 'invoice_now') }));
  route('POST', '/v1/subscriptions/:id/resume', (prm) => resumeSubscription(get('subscription', prm.id, 'subscription')));
  route('GET', '/v1/subscription_items', (prm, q) => {
    if (!q.subscription) throw invalid('Missing required param: subscription.', 'subscription', 'parameter_missing');
    const sub = get('subscription', q.subscription, 'subscription', 'subscription');
    return list(`/v1/subscription_items?subscription=${sub.id}`, sub.items.data.map((obj, i) => ({ obj, seq: -i })), q);
  });

  route('POST', '/v1/invoiceitems', (prm, p) => {
    const cus = get('customer', p.customer, 'customer', 'customer');
    let amount;
    let pr = null;
    const quantity = p.quantity === undefined ? 1 : toInt(p.quantity, 'quantity', { min: 1 });
    if (p.price) { pr = get('price', p.price, 'price', 'price'); amount = pr.unit_amount * quantity; } else amount = toInt(p.amount, 'amount', { required: true });
    let inv = null;
    if (p.invoice) {
      inv = get('invoice', p.invoice, 'invoice', 'invoice');
      if (inv.status !== 'draft') throw invalid('You can only add invoice items to draft invoices.', 'invoice', 'invoice_not_editable');
    }
    const ii = put('invoiceitem', O.invoiceItem(U.randomId('ii'), {
      amount, currency: (p.currency || (pr && pr.currency) || 'usd').toLowerCase(), customer: cus.id,
      description: p.description, price: pr && pr.id, product: pr && pr.product, unit_amount: pr ? pr.unit_amount : amount,
      quantity, metadata: {},
    }, now()));
    setMetadata(ii, p.metadata);
    emit('invoiceitem.created', ii);
    if (inv) {
      pullPending(inv, cus.id, undefined);
    }
    return ii;
  });
  route('GET', '/v1/invoiceitems', filterList('invoiceitem', '/v1/invoiceitems', (o, q) => (!q.customer || o.customer === q.customer) &&
    (q.pending === undefined || (q.pending === 'true') === (o.invoice === null)) && (!q.invoice || o.invoice === q.invoice)));
  route('GET', '/v1/invoiceitems/:id', byId('invoiceitem', 'invoiceitem'));

  route('POST', '/v1/invoices', (prm, p) => {
    const cus = get('customer', p.customer, 'customer', 'customer');
    const cm = p.collection_method || 'charge_automatically';
    if (!['charge_automatically', 'send_invoice'].includes(cm)) throw invalid(`Invalid collection_method: ${cm}`, 'collection_method');
    const inv = newInvoice(cus, {
      collection_method: cm, description: p.description, auto_advance: toBool(p.auto_advance, 'auto_advance') ?? false,
      due_date: p.days_until_due !== undefined ? now() + DAY * toInt(p.days_until_due, 'days_until_due', { min: 0 }) : null,
      subscription: p.subscription ? get('subscription', p.subscription, 'subscription', 'subscription').id : undefined,
      currency: p.currency,
    });
    setMetadata(inv, p.metadata);
    if ((p.pending_invoice_items_behavior || 'exclude') === 'include') pullPending(inv, cus.id, p.subscription);
    return inv;
  });
  route('GET', '/v1/invoices', filterList('invoice', '/v1/invoices', (o, q) => (!q.customer || o.customer === q.customer) &&
    (!q.subscription || o.subscription === q.subscription) && (!q.status || o.status === q.status)));
  route('GET', '/v1/invoices/:id', byId('invoice', 'invoice'));
  route('GET', '/v1/invoices/:id/lines', (prm, q) => {
    const inv = get('invoice', prm.id, 'invoice');
    return list(`/v1/invoices/${inv.id}/lines`, inv.lines.data.map((obj, i) => ({ obj: { ...obj, created: 0 }, seq: -i })), q);
  });
  route('POST', '/v1/invoices/:id', (prm, p) => {
    const inv = get('invoice', prm.id, 'invoice');
    if (inv.status !== 'draft' && (p.description !== undefined || p.auto_advance !== undefined)) throw invalid('Finalized invoices can only update metadata.', undefined, 'invoice_not_editable');
    const prev = {};
    if (p.description !== undefined) { prev.description = inv.description; inv.description = p.description || null; }
    if (p.auto_advance !== undefined) { prev.auto_advance = inv.auto_advance; inv.auto_advance = toBool(p.auto_advance, 'auto_advance'); }
    if (p.metadata !== undefined) { prev.metadata = clone(inv.metadata); setMetadata(inv, p.metadata); }
    emit('invoice.updated', inv, prev);
    return inv;
  });
  route('DELETE', '/v1/invoices/:id', (prm) => {
    const inv = get('invoice', prm.id, 'invoice');
    if (inv.status !== 'draft') throw invalid('You can only delete draft invoices.', undefined, 'invoice_not_editable');
    for (const { obj: ii } of all('invoiceitem')) if (ii.invoice === inv.id) ii.invoice = null;
    S.store.invoice.delete(inv.id);
    emit('invoice.deleted', inv);
    return { id: inv.id, object: 'invoice', deleted: true };
  });
  route('POST', '/v1/invoices/:id/finalize', (prm) => { const inv = get('invoice', prm.id, 'invoice'); finalize(inv); return inv; });
  route('POST', '/v1/invoices/:id/pay', (prm, p) => {
    const inv = get('invoice', prm.id, 'invoice');
    if (inv.status === 'draft') finalize(inv);
    if (inv.status === 'paid') throw invalid('Invoice is already paid', undefined, 'invoice_already_paid');
    if (inv.status !== 'open' && inv.status !== 'uncollectible') throw invalid(`This invoice can no longer be paid: it is ${inv.status}.`, undefined, 'invoice_not_open');
    if (toBool(p.paid_out_of_band, 'paid_out_of_band')) { markPaid(inv); return inv; }
    const pm = p.payment_method ? get('payment_method', p.payment_method, 'PaymentMethod', 'payment_method') : null;
    if (!attemptPayment(inv, pm)) {
      throw new StripeError(402, 'card_error', 'Your card was declined.', { code: 'card_declined', decline_code: 'generic_decline', store: true });
    }
    return inv;
  });
  route('POST', '/v1/invoices/:id/void', (prm) => { const inv = get('invoice', prm.id, 'invoice'); voidInvoice(inv); return inv; });
  route('POST', '/v1/invoices/:id/mark_uncollectible', (prm) => { const inv = get('invoice', prm.id, 'invoice'); markUncollectible(inv); return inv; });

  // Invoice payments (API versions from 2025 on): how an invoice was paid.
  // Derived from the charges the fake makes for invoices.
  route('GET', '/v1/invoice_payments', (prm, q) => {
    if (!q.invoice) throw invalid('Missing required param: invoice.', 'invoice');
    const items = all('charge').filter((e) => (e.obj._invoice || (e.obj.metadata || {}).invoice) === q.invoice)
      .map((e) => ({ seq: e.seq, obj: {
        id: `inpay_${e.obj.id.slice(3)}`, object: 'invoice_payment', amount_paid: e.obj.paid ? e.obj.amount : null,
        amount_requested: e.obj.amount, created: e.obj.created, currency: e.obj.currency, invoice: q.invoice,
        is_default: true, livemode: false,
        payment: e.obj.payment_intent ? { type: 'payment_intent', payment_intent: e.obj.payment_intent }
          : { type: 'charge', charge: e.obj.id },
        status: e.obj.paid ? 'paid' : 'open',
        status_transitions: { canceled_at: null, paid_at: e.obj.paid ? e.obj.created : null },
      } }));
    return list('/v1/invoice_payments', items, q);
  });
  route('GET', '/v1/charges', filterList('charge', '/v1/charges', (o, q) => !q.customer || o.customer === q.customer));
  route('GET', '/v1/charges/:id', byId('charge', 'charge'));
  route('POST', '/v1/refunds', (prm, p) => {
    let ch;
    if (p.charge) ch = get('charge', p.charge, 'charge', 'charge');
    else if (p.payment_intent) {
      const ofPi = all('charge').filter((x) => x.obj.payment_intent === p.payment_intent);
      const e = ofPi.find((x) => x.obj.paid) || ofPi[0]; /* the successful attempt */
      if (!e) throw missing('payment_intent', p.payment_intent, 'payment_intent');
      ch = e.obj;
    } else throw invalid('One of the following params should be provided for this request: payment_intent or charge.', undefined, 'parameter_missing');
    if (!ch.paid) throw invalid(`Charge ${ch.id} has no successful payment to refund.`, 'charge', 'charge_not_refundable');
    const left = ch.amount - ch.amount_refunded;
    const amount = p.amount === undefined ? left : toInt(p.amount, 'amount', { min: 1 });
    if (amount > left) throw invalid(`Refund amount (${amount}) is greater than unrefunded amount on charge (${left})`, 'amount', 'amount_too_large');
    const r = put('refund', O.refund(U.randomId('re', 24), ch, amount, p, now()));
    ch.amount_refunded += amount;
    ch.refunded = ch.amount_refunded === ch.amount;
    emit('refund.created', r);
    emit('charge.refunded', ch);
    return r;
  });
  route('GET', '/v1/refunds', filterList('refund', '/v1/refunds', (o, q) => !q.charge || o.charge === q.charge));
  route('GET', '/v1/refunds/:id', byId('refund', 'refund'));

  route('POST', '/v1/billing_portal/sessions', (prm, p) => {
    const cus = get('customer', p.customer, 'customer', 'customer');
    const id = U.randomId('bps', 24);
    const s = put('portal', O.portalSession(id, { ...p, customer: cus.id }, `${cfg.publicUrl}/p/session/${id}`, now()));
    return s;
  });

  route('GET', '/v1/events', filterList('event', '/v1/events', (o, q) => (!q.type || o.type === q.type ||
    (q.type.endsWith('*') && o.type.startsWith(q.type.slice(0, -1)))) && (!Array.isArray(q.types) || q.types.includes(o.type))));
  route('GET', '/v1/events/:id', byId('event', 'event'));

  /* ---------- Checkout and subscription schedules (lib/checkout.js, lib/schedules.js) ---------- */

  const ctx = {
    cfg, state: () => S, now, apiVersion: () => reqVersion, put, get, all, emit, list, route, byId, filterList, setMetadata, expanders,
    jobHooks, pageHooks, cancelHooks, send: (...a) => send(...a), esc: (x) => esc(x), money: (...a) => money(...a),
    attachPm, newCard, pmFails, createCustomer, createPrice, resolveItems, createSubscription, updateSubscription,
    cancelNow, periodOf, newInvoice, addLine, finalize, markPaid, voidInvoice, productName, TEST_CARDS,
  };
  require('./schedules').install(ctx);
  require('./checkout').install(ctx);

  /* ---------- HTTP ---------- */

  function send(res, status, body, headers = {}) {
    const text = typeof body === 'string' ? body : JSON.stringify(body, null, 2);
    res.writeHead(status, { 'Content-Type': headers['Content-Type'] || 'application/json', 'Content-Length': Buffer.byteLength(text), ...headers });
    res.end(text);
  }

  function takeFault(method, path) {
    for (const f of S.faults) {
      if (f.remaining <= 0) continue;
      if (f.method && f.method !== method) continue;
      if (f.path_prefix && !path.startsWith(f.path_prefix)) continue;
      f.remaining--;
      f.hits++;
      return f;
    }
    return null;
  }

  function faultResponse(res, f, reqId) {
    const headers = { 'Request-Id': reqId };
    if (f.should_retry === true) headers['Stripe-Should-Retry'] = 'true';
    if (f.should_retry === false) headers['Stripe-Should-Retry'] = 'false';
    if (f.retry_after !== undefined) headers['Retry-After'] = String(f.retry_after);
    const bodies = {
      429: new StripeError(429, 'invalid_request_error', 'Too many requests hit the API too quickly. We recommend an exponential backoff of your requests.', { code: 'rate_limit' }),
      409: new StripeError(409, 'invalid_request_error', 'This object cannot be accessed right now because another API request or Stripe process is currently accessing it.', { code: 'lock_timeout' }),
    };
    const err = bodies[f.status] || new StripeError(f.status, 'api_error', 'An unknown error occurred (injected by the Stripe fake).');
    send(res, f.status, err.toJSON(), headers);
  }

  function authorized(req) {
    const h = req.headers.authorization || '';
    let key = null;
    if (h.startsWith('Bearer ')) key = h.slice(7).trim();
    else if (h.startsWith('Basic ')) key = Buffer.from(h.slice(6), 'base64').toString().split(':')[0];
    if (!key) return new StripeError(401, 'invalid_request_error', 'You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. \'Authorization: Bearer YOUR_SECRET_KEY\').');
    if (key !== cfg.apiKey) {
      return new StripeError(401, 'invalid_request_error', `Invalid API Key provided: ${key.slice(0, 8)}${'*'.repeat(Math.max(0, key.length - 12))}${key.slice(-4)}`, { code: 'api_key_invalid' });
    }
    return null;
  }

  async function deliver(opts = {}) {
    const url = opts.url || cfg.webhookUrl;
    if (!url) throw invalid('No webhook URL: set STRIPE_FAKE_WEBHOOK_URL or pass url.', 'url');
    let ids = S.pending.splice(0);
    if (Array.isArray(opts.types)) {
      const keep = ids.filter((id) => !opts.types.includes(get('event', id).type));
      ids = ids.filter((id) => opts.types.includes(get('event', id).type));
      S.pending.unshift(...keep);
    }
    if (opts.reverse) ids.reverse();
    const dup = Math.max(1, Number(opts.duplicate || 1));
    const results = [];
    for (const id of ids) {
      let last = 0;
      for (let i = 0; i < dup; i++) {
        const ev = get('event', id);
        const payload = JSON.stringify(ev, null, 2);
        const header = stripe.webhooks.generateTestHeaderString({ payload, secret: opts.secret || cfg.webhookSecret, timestamp: Math.floor(Date.now() / 1000) });
        let status = 0;
        let error = null;
        try {
          const r = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json; charset=utf-8', 'Stripe-Signature': header, 'User-Agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)' }, body: payload, signal: AbortSignal.timeout(10000) });
          status = r.status;
          await r.arrayBuffer();
        } catch (e) { error = String(e.message || e); }
        results.push({ event: id, type: ev.type, status, error });
        S.delivered.push({ event: id, type: ev.type, status, at: Date.now() });
        last = status;
      }
      // As Stripe retries a delivery the endpoint could not take (no
      // answer, 429 or 5xx: it could not store the event), the event is
      // delivered again with the next batch, at most 10 times. Deliveries
      // to another URL or with another secret (tests of refusals) are not.
      if ((last === 0 || last === 429 || last >= 500) && !opts.url && !opts.secret) {
        const n = (S.redeliver.get(id) || 0) + 1;
        S.redeliver.set(id, n);
        if (n <= 10) S.pending.push(id);
      }
    }
    return { object: 'list', data: results };
  }

  async function control(req, res, path, body, q) {
    const p = { ...q, ...body };
    if (path === '/_fake/reset' && req.method === 'POST') { reset(); return send(res, 200, { ok: true }); }
    if (path === '/_fake/clock' && req.method === 'GET') return send(res, 200, { now: now(), offset: S.offset });
    // Back to real time (tests that moved the clock tidy up after
    // themselves); objects keep their own times. With {offset} (seconds,
    // at most 0) the clock restarts that far in the past instead: the
    // demo builds months of history there, then advances to the present.
    if (path === '/_fake/clock/reset' && req.method === 'POST') {
      const off = p.offset !== undefined ? toInt(String(p.offset), 'offset') : 0;
      if (off > 0) throw invalid('offset must be 0 or negative (advance moves forward).', 'offset');
      S.offset = off;
      return send(res, 200, { now: now(), offset: S.offset });
    }
    if (path === '/_fake/clock/advance' && req.method === 'POST') {
      const target = p.to !== undefined ? toInt(String(p.to), 'to') : now() + toInt(String(p.seconds ?? 0), 'seconds', { min: 0 });
      advanceClock(target);
      if (cfg.webhookAuto && cfg.webhookUrl) await deliver();
      return send(res, 200, { now: now(), offset: S.offset });
    }
    if (path === '/_fake/faults' && req.method === 'POST') {
      const f = {
        id: S.faults.length + 1, remaining: Number(p.count ?? 1), hits: 0, method: p.method || null,
        path_prefix: p.path_prefix || null, status: p.status !== undefined ? Number(p.status) : null,
        should_retry: p.should_retry === undefined ? undefined : (p.should_retry === true || p.should_retry === 'true'),
        retry_after: p.retry_after, drop: p.drop === true || p.drop === 'true',
        delay_ms: p.delay_ms !== undefined ? Number(p.delay_ms) : 0,
      };
      if (!f.drop && !f.status && !f.delay_ms) throw invalid('A fault needs status, drop or delay_ms.', 'status');
      S.faults.push(f);
      return send(res, 200, f);
    }
    if (path === '/_fake/faults' && req.method === 'GET') return send(res, 200, { data: S.faults });
    if (path === '/_fake/faults' && req.method === 'DELETE') { S.faults = []; return send(res, 200, { ok: true }); }
    if (path === '/_fake/requests' && req.method === 'GET') return send(res, 200, { received: S.received, applied: S.applied, data: S.log });
    if (path === '/_fake/webhooks' && req.method === 'GET') {
      return send(res, 200, { url: cfg.webhookUrl, pending: S.pending.map((id) => ({ id, type: get('event', id).type })), delivered: S.delivered });
    }
    if (path === '/_fake/webhooks/deliver' && req.method === 'POST') {
      return send(res, 200, await deliver({
        url: p.url, secret: p.secret, duplicate: p.duplicate, reverse: p.reverse === true || p.reverse === 'true',
        types: typeof p.types === 'string' ? p.types.split(',') : p.types,
      }));
    }
    if (path === '/_fake/config' && req.method === 'POST') {
      if (p.webhook_url !== undefined) cfg.webhookUrl = p.webhook_url || null;
      if (p.webhook_secret !== undefined) cfg.webhookSecret = p.webhook_secret;
      if (p.webhook_auto !== undefined) cfg.webhookAuto = p.webhook_auto === true || p.webhook_auto === 'true';
      return send(res, 200, { webhook_url: cfg.webhookUrl, webhook_auto: cfg.webhookAuto });
    }
    return send(res, 404, invalid(`Unrecognized control request: ${req.method} ${path}`).toJSON());
  }

  const esc = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  const money = (n, cur) => `${n < 0 ? '-' : ''}${Math.floor(Math.abs(n) / 100)}.${String(Math.abs(n) % 100).padStart(2, '0')} ${String(cur).toUpperCase()}`;

  function pages(req, res, path, form) {
    for (const hook of pageHooks) if (hook(req, res, path, form)) return true;
    if (req.method !== 'GET') return null;
    let m = /^\/invoice\/(in_[A-Za-z0-9]+)(\/pdf)?$/.exec(path);
    if (m) {
      const e = S.store.invoice && S.store.invoice.get(m[1]);
      if (!e || e.obj.status === 'draft') return send(res, 404, 'Not found', { 'Content-Type': 'text/plain' });
      const inv = e.obj;
      if (m[2]) return send(res, 200, pdfFor(inv), { 'Content-Type': 'application/pdf' });
      const rows = inv.lines.data.map((l) => `<tr><td>${esc(l.description)}</td><td>${esc(money(l.amount, l.currency))}</td></tr>`).join('');
      return send(res, 200, `<!doctype html><html><head><meta charset="utf-8"><title>Invoice ${esc(inv.number)}</title></head><body><h1>Invoice ${esc(inv.number)}</h1><p>Status: <strong id="status">${esc(inv.status)}</strong></p><table>${rows}</table><p>Total: <span id="total">${esc(money(inv.total, inv.currency))}</span></p><p>Amount due: ${esc(money(inv.amount_due, inv.currency))}</p><p><a href="${esc(inv.invoice_pdf)}">Download PDF</a></p></body></html>`, { 'Content-Type': 'text/html; charset=utf-8' });
    }
    m = /^\/p\/session\/(bps_[A-Za-z0-9]+)$/.exec(path);
    if (m) {
      const e = S.store.portal && S.store.portal.get(m[1]);
      if (!e) return send(res, 404, 'Not found', { 'Content-Type': 'text/plain' });
      const s = e.obj;
      const subs = all('subscription').filter((x) => x.obj.customer === s.customer).map((x) => `<li>${esc(x.obj.id)}: ${esc(x.obj.status)}</li>`).join('');
      return send(res, 200, `<!doctype html><html><head><meta charset="utf-8"><title>Billing portal</title></head><body><h1>Billing portal (Stripe fake)</h1><p>Customer ${esc(s.customer)}</p><ul>${subs}</ul>${s.return_url ? `<p><a id="return" href="${esc(s.return_url)}">Return</a></p>` : ''}</body></html>`, { 'Content-Type': 'text/html; charset=utf-8' });
    }
    return null;
  }

  function pdfFor(inv) {
    const text = `Invoice ${inv.number} total ${money(inv.total, inv.currency)} status ${inv.status}`.replace(/[()\\]/g, '');
    const stream = `BT /F1 12 Tf 72 720 Td (${text}) Tj ET`;
    const objs = [
      '<< /Type /Catalog /Pages 2 0 R >>',
      '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
      '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
      `<< /Length ${stream.length} >>\nstream\n${stream}\nendstream`,
      '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
    ];
    let out = '%PDF-1.4\n';
    const offs = [];
    objs.forEach((o, i) => { offs.push(out.length); out += `${i + 1} 0 obj\n${o}\nendobj\n`; });
    const xref = out.length;
    out += `xref\n0 ${objs.length + 1}\n0000000000 65535 f \n${offs.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}`;
    out += `trailer\n<< /Size ${objs.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
    return out;
  }

  async function handle(req, res) {
    const url = new URL(req.url, 'http://x');
    const path = url.pathname;
    const chunks = [];
    let size = 0;
    for await (const c of req) {
      size += c.length;
      if (size > 1 << 20) return send(res, 413, invalid('Request body too large').toJSON());
      chunks.push(c);
    }
    const raw = Buffer.concat(chunks).toString('utf8');
    const reqId = U.randomId('req', 14);
    try {
      if (path.startsWith('/_fake/')) {
        let body = {};
        if (raw) body = (req.headers['content-type'] || '').includes('json') ? JSON.parse(raw) : U.decodeForm(raw);
        return await control(req, res, path, body, U.decodeForm(url.search.slice(1)));
      }
      if ((req.method === 'GET' || req.method === 'POST') && !path.startsWith('/v1/')) {
        const form = req.method === 'POST' ? U.decodeForm(raw) : U.decodeForm(url.search.slice(1));
        const answered = pages(req, res, path, form) !== null;
        if (answered && req.method === 'POST' && cfg.webhookAuto && cfg.webhookUrl) deliver().catch(() => {});
        if (answered) return;
        return send(res, 404, 'Not found', { 'Content-Type': 'text/plain' });
      }
      S.received++;
      const idem = req.headers['idempotency-key'] || null;
      const entry = { method: req.method, path, idempotency_key: idem, stripe_version: req.headers['stripe-version'] || null, status: 0, applied: false, replayed: false, fault: null };
      S.log.push(entry);
      if (S.log.length > 5000) S.log.shift();
      const fault = takeFault(req.method, path);
      if (fault && fault.drop) { entry.fault = 'drop'; req.socket.destroy(); return; }
      if (fault && fault.status) { entry.fault = fault.status; entry.status = fault.status; return faultResponse(res, fault, reqId); }
      const delay = fault ? fault.delay_ms : 0;
      if (fault) entry.fault = `delay ${delay}`;
      const respond = (status, body, headers) => {
        entry.status = status;
        const h = { 'Request-Id': reqId, 'Stripe-Version': req.headers['stripe-version'] || O.API_VERSION, ...headers };
        if (idem && req.method !== 'GET') h['Idempotency-Key'] = idem;
        if (delay > 0) setTimeout(() => { if (!res.destroyed) send(res, status, body, h); }, delay);
        else send(res, status, body, h);
      };
      const authErr = authorized(req);
      if (authErr) return respond(authErr.status, authErr.toJSON());
      const params = req.method === 'POST' ? U.decodeForm(raw) : U.decodeForm(url.search.slice(1));
      if (req.method === 'POST') entry.params = params;
      const r = routes.find((x) => x.method === req.method && x.re.test(path));
      if (!r) return respond(404, invalid(`Unrecognized request URL (${req.method}: ${path}).`).toJSON());
      const idemKey = idem ? `${req.method} ${idem}` : null;
      const fingerprint = `${req.method} ${path} ${U.canonical(params)}`;
      if (idemKey && r.mutates) {
        const prior = S.idem.get(idemKey);
        if (prior) {
          if (prior.fingerprint !== fingerprint) {
            return respond(400, new StripeError(400, 'idempotency_error', `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${idem}' if you meant to execute a different request.`).toJSON());
          }
          entry.replayed = true;
          return respond(prior.status, prior.body, { 'Idempotent-Replayed': 'true', 'Original-Request': prior.reqId });
        }
      }
      const prm = {};
      const m = r.re.exec(path);
      r.keys.forEach((k, i) => { prm[k] = decodeURIComponent(m[i + 1]); });
      reqCtx = r.mutates ? { id: reqId, idem } : null;
      reqVersion = req.headers['stripe-version'] || O.API_VERSION;
      let status = 200;
      let body;
      let store = true;
      try {
        body = render(r.fn(prm, params), params);
      } catch (e) {
        if (!(e instanceof StripeError)) throw e;
        status = e.status;
        body = e.toJSON();
        store = !!e.extra.store; /* validation errors are not saved */
      } finally {
        reqCtx = null;
        reqVersion = O.API_VERSION;
      }
      if (r.mutates && (status < 400 || store)) { S.applied++; entry.applied = true; }
      if (idemKey && r.mutates && (status < 400 || store)) {
        S.idem.set(idemKey, { fingerprint, status, body, reqId });
      }
      respond(status, body);
      if (r.mutates && cfg.webhookAuto && cfg.webhookUrl) deliver().catch(() => {});
    } catch (e) {
      if (e instanceof StripeError) return send(res, e.status, e.toJSON());
      if (e instanceof SyntaxError || e instanceof URIError) return send(res, 400, invalid(`Malformed request: ${e.message}`).toJSON());
      console.error(e);
      return send(res, 500, new StripeError(500, 'api_error', 'Internal error in the Stripe fake.').toJSON());
    }
  }

  const server = http.createServer((req, res) => { handle(req, res).catch((e) => { console.error(e); if (!res.headersSent) send(res, 500, {}); }); });
  server.keepAliveTimeout = 5000;
  return { server, cfg, state: () => S, advanceClock, now };
}

module.exports = { createApp, TEST_CARDS };
