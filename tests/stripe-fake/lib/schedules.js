'use strict';
/*
 * Subscription schedules: a list of phases (items, start and end) that a
 * subscription moves through as the fake's clock passes their boundaries.
 * A phase that ends with the subscription's period changes the items before
 * the renewal, so the renewal invoice bills the new items; a boundary inside
 * a period changes them then, prorated per the phase's proration_behavior.
 */
const U = require('./util');
const O = require('./objects');

const { invalid, toInt, toBool, clone } = U;
const PRORATION = ['create_prorations', 'always_invoice', 'none'];
const END_BEHAVIORS = ['release', 'cancel'];
const INTERVALS = ['day', 'week', 'month', 'year'];
/* From this API version on, phases[n][iterations] is gone (duration replaces it). */
const ITERATIONS_REMOVED_IN = '2025-09-30';
const EXPIRING_NOTICE = 7 * 86400;

function install(c) {
  const { get, all, put, emit, now, route } = c;

  const prorationBehavior = (v, param) => {
    const b = v === undefined ? 'create_prorations' : v;
    if (!PRORATION.includes(b)) throw invalid(`Invalid ${param}: must be one of ${PRORATION.join(', ')}`, param);
    return b;
  };
  const endBehavior = (v) => {
    if (!END_BEHAVIORS.includes(v)) throw invalid(`Invalid end_behavior: must be one of ${END_BEHAVIORS.join(', ')}`, 'end_behavior');
    return v;
  };
  const timestamp = (v, param) => (v === 'now' ? now() : toInt(v, param));
  const subOf = (sched) => (sched.subscription ? get('subscription', sched.subscription, 'subscription') : null);
  const ended = (sub) => ['canceled', 'incomplete_expired'].includes(sub.status);

  function phaseItems(items, i) {
    const param = `phases[${i}][items]`;
    if (!Array.isArray(items) || items.length === 0) throw invalid(`Missing required param: ${param}.`, param, 'parameter_missing');
    return items.map((it, j) => {
      const at = `${param}[${j}]`;
      if (!it || !it.price) throw invalid(`Missing required param: ${at}[price].`, `${at}[price]`, 'parameter_missing');
      const pr = get('price', it.price, 'price', `${at}[price]`);
      if (!pr.recurring) throw invalid('The price specified is set to `type=one_time` but this field only accepts prices with `type=recurring`.', `${at}[price]`);
      const holder = { metadata: {} };
      c.setMetadata(holder, it.metadata);
      return { pr, quantity: it.quantity === undefined ? 1 : toInt(it.quantity, `${at}[quantity]`, { min: 0 }), metadata: holder.metadata };
    });
  }

  /* The end of phase i starting at `start`: end_date, duration, iterations
   * (API versions before it was removed), or for the last phase one
   * interval of its first price. */
  function phaseEnd(ph, i, start, items, last, anchor) {
    const param = `phases[${i}]`;
    const given = ['end_date', 'duration', 'iterations'].filter((k) => ph[k] !== undefined);
    if (given.length > 1) throw invalid(`You may only specify one of these parameters: ${given.map((k) => `${param}[${k}]`).join(', ')}.`, `${param}[${given[1]}]`);
    const rec = items[0].pr.recurring;
    let end;
    if (ph.iterations !== undefined) {
      if (c.apiVersion() >= ITERATIONS_REMOVED_IN) throw invalid(`Received unknown parameter: ${param}[iterations]. Use ${param}[duration] instead.`, `${param}[iterations]`);
      const n = toInt(ph.iterations, `${param}[iterations]`, { min: 1 });
      end = U.addInterval(start, rec.interval, rec.interval_count * n, anchor);
    } else if (ph.duration !== undefined) {
      const d = ph.duration;
      if (!d || !INTERVALS.includes(d.interval)) throw invalid(`Invalid ${param}[duration][interval]: must be one of ${INTERVALS.join(', ')}`, `${param}[duration][interval]`);
      const n = d.interval_count === undefined ? 1 : toInt(d.interval_count, `${param}[duration][interval_count]`, { min: 1 });
      end = U.addInterval(start, d.interval, n, anchor);
    } else if (ph.end_date !== undefined) {
      end = timestamp(ph.end_date, `${param}[end_date]`);
    } else if (last) {
      end = U.addInterval(start, rec.interval, rec.interval_count, anchor);
    } else {
      throw invalid(`Missing required param: ${param}[end_date] (or ${param}[duration]); only the last phase may leave it out.`, `${param}[end_date]`, 'parameter_missing');
    }
    if (end <= start) throw invalid(`The end_date of ${param} must be after its start_date.`, `${param}[end_date]`);
    return end;
  }

  function buildPhases(list, firstStart, anchor) {
    if (!Array.isArray(list) || list.length === 0) throw invalid('Missing required param: phases.', 'phases', 'parameter_missing');
    const out = [];
    let start = firstStart;
    list.forEach((ph, i) => {
      if (!ph || typeof ph !== 'object') throw invalid(`Invalid phases[${i}]`, `phases[${i}]`);
      if (i > 0 && ph.start_date !== undefined && timestamp(ph.start_date, `phases[${i}][start_date]`) !== start) {
        throw invalid(`phases[${i}][start_date] must equal the end_date of the phase before it.`, `phases[${i}][start_date]`);
      }
      const items = phaseItems(ph.items, i);
      const { currency, recurring } = items[0].pr;
      for (const it of items) {
        if (it.pr.currency !== currency) throw invalid('All prices in a phase must have the same currency.', `phases[${i}][items]`);
        if (it.pr.recurring.interval !== recurring.interval || it.pr.recurring.interval_count !== recurring.interval_count) {
          throw invalid('All prices in a phase must have the same recurring interval.', `phases[${i}][items]`);
        }
      }
      const end = phaseEnd(ph, i, start, items, i === list.length - 1, anchor);
      let trialEnd = null;
      if (ph.trial_end !== undefined) {
        trialEnd = toInt(ph.trial_end, `phases[${i}][trial_end]`);
        if (trialEnd <= start || trialEnd > end) throw invalid(`phases[${i}][trial_end] must fall within the phase.`, `phases[${i}][trial_end]`);
      }
      const holder = { metadata: {} };
      c.setMetadata(holder, ph.metadata);
      out.push(O.schedulePhase({
        currency, start_date: start, end_date: end, metadata: holder.metadata, trial_end: trialEnd,
        proration_behavior: prorationBehavior(ph.proration_behavior, `phases[${i}][proration_behavior]`),
        items: items.map((it) => ({ price: it.pr.id, quantity: it.quantity, metadata: it.metadata })),
      }));
      start = end;
    });
    return out;
  }

  const phaseIndex = (sched) => sched.phases.findIndex((ph) => ph.start_date === sched.current_phase.start_date);
  const itemKey = (list) => list.map((it) => `${it.price}×${it.quantity}`).sort().join(',');
  const subKey = (sub) => itemKey(sub.items.data.map((it) => ({ price: it.price.id, quantity: it.quantity })));

  /* Bring the subscription's items to the phase's: same prices keep their
   * item (quantity updated), others are added or deleted. */
  function applyPhase(sub, phase, behavior) {
    if (ended(sub)) return;
    const md = phase.metadata && Object.keys(phase.metadata).length ? phase.metadata : undefined;
    if (subKey(sub) === itemKey(phase.items) && !md) return;
    const used = new Set();
    const items = [];
    for (const it of phase.items) {
      const cur = sub.items.data.find((x) => x.price.id === it.price && !used.has(x.id));
      if (cur) { used.add(cur.id); items.push({ id: cur.id, quantity: it.quantity }); } else items.push({ price: it.price, quantity: it.quantity });
    }
    for (const x of sub.items.data) if (!used.has(x.id)) items.push({ id: x.id, deleted: 'true' });
    c.updateSubscription(sub, { items, proration_behavior: behavior, metadata: md });
  }

  function startSchedule(sched) {
    const ph = sched.phases[0];
    const sub = c.createSubscription({
      customer: sched.customer, metadata: ph.metadata,
      items: ph.items.map((it) => ({ price: it.price, quantity: it.quantity, metadata: it.metadata })),
      trial_end: ph.trial_end || undefined,
      default_payment_method: sched.default_settings.default_payment_method || undefined,
    }, { schedule: sched.id });
    sched.status = 'active';
    sched.subscription = sub.id;
    sched.current_phase = { end_date: ph.end_date, start_date: ph.start_date };
  }

  /* The current phase ended: move to the next, or end the schedule. */
  function nextPhase(sched) {
    const sub = subOf(sched);
    const i = phaseIndex(sched);
    const next = sched.phases[i + 1];
    if (!next) { finish(sched, sub); return; }
    const prev = { current_phase: clone(sched.current_phase) };
    sched.current_phase = { end_date: next.end_date, start_date: next.start_date };
    if (sub) {
      const atPeriodEnd = c.periodOf(sub).end <= next.start_date;
      applyPhase(sub, next, atPeriodEnd ? 'none' : next.proration_behavior);
    }
    emit('subscription_schedule.updated', sched, prev);
  }

  function finish(sched, sub) {
    if (sched.end_behavior === 'cancel') {
      const prev = { status: sched.status, completed_at: null, current_phase: clone(sched.current_phase) };
      sched.status = 'completed';
      sched.completed_at = now();
      sched.current_phase = null;
      if (sub && !ended(sub)) c.cancelNow(sub, 'cancellation_requested');
      emit('subscription_schedule.completed', sched, prev);
      return;
    }
    release(sched);
  }

  function release(sched) {
    const sub = subOf(sched);
    const prev = { status: sched.status, released_at: null, released_subscription: null, subscription: sched.subscription, current_phase: clone(sched.current_phase) };
    sched.status = 'released';
    sched.released_at = now();
    sched.released_subscription = sched.subscription;
    sched.subscription = null;
    sched.current_phase = null;
    emit('subscription_schedule.released', sched, prev);
    if (sub) {
      sub.schedule = null;
      emit('customer.subscription.updated', sub, { schedule: sched.id });
    }
    return sched;
  }

  const mustBeLive = (sched, verb) => {
    if (!['not_started', 'active'].includes(sched.status)) {
      throw invalid(`You cannot ${verb} a subscription schedule that is currently in the \`${sched.status}\` status. It must be in one of the following statuses: \`not_started\`, \`active\`.`);
    }
  };

  function createSchedule(p) {
    const t = now();
    if (p.from_subscription !== undefined) {
      for (const k of ['phases', 'start_date', 'customer', 'default_settings', 'end_behavior']) {
        if (p[k] !== undefined) throw invalid(`You cannot set \`${k}\` if \`from_subscription\` is set.`, k);
      }
      const sub = get('subscription', p.from_subscription, 'subscription', 'from_subscription');
      if (ended(sub)) throw invalid(`The subscription ${sub.id} has ended; a schedule needs a live subscription.`, 'from_subscription');
      if (sub.schedule) throw invalid(`You cannot migrate a subscription that is already attached to a schedule: \`${sub.schedule}\`.`, 'from_subscription');
      const per = c.periodOf(sub);
      const sched = O.subscriptionSchedule(U.randomId('sub_sched', 24), sub.customer, t);
      sched.phases = [O.schedulePhase({
        currency: sub.currency, start_date: per.start, end_date: per.end, metadata: {},
        trial_end: sub.status === 'trialing' ? sub.trial_end : null,
        items: sub.items.data.map((it) => ({ price: it.price.id, quantity: it.quantity, metadata: clone(it.metadata) })),
      })];
      sched.default_settings.default_payment_method = sub.default_payment_method;
      sched.status = 'active';
      sched.subscription = sub.id;
      sched.current_phase = { end_date: per.end, start_date: per.start };
      c.setMetadata(sched, p.metadata);
      put('subscription_schedule', sched);
      sub.schedule = sched.id;
      emit('subscription_schedule.created', sched);
      emit('customer.subscription.updated', sub, { schedule: null });
      return sched;
    }
    if (!p.customer) throw invalid('Missing required param: customer (or from_subscription).', 'customer', 'parameter_missing');
    const cus = get('customer', p.customer, 'customer', 'customer');
    const start = p.start_date === undefined ? t : timestamp(p.start_date, 'start_date');
    if (start < t - 60) throw invalid('A start_date in the past (backdating) is not emulated by the Stripe fake.', 'start_date');
    const sched = O.subscriptionSchedule(U.randomId('sub_sched', 24), cus.id, t);
    if (p.end_behavior !== undefined) sched.end_behavior = endBehavior(p.end_behavior);
    sched.phases = buildPhases(p.phases, Math.max(start, t), Math.max(start, t));
    const ds = p.default_settings || {};
    if (ds.default_payment_method) {
      const pm = get('payment_method', ds.default_payment_method, 'PaymentMethod', 'default_settings[default_payment_method]');
      if (pm.customer !== cus.id) throw invalid('The payment method must be attached to the customer.', 'default_settings[default_payment_method]');
      sched.default_settings.default_payment_method = pm.id;
    }
    c.setMetadata(sched, p.metadata);
    put('subscription_schedule', sched);
    if (start <= t) startSchedule(sched);
    emit('subscription_schedule.created', sched);
    return sched;
  }

  function updateSchedule(sched, p) {
    mustBeLive(sched, 'update');
    const prev = {};
    const behavior = prorationBehavior(p.proration_behavior, 'proration_behavior');
    if (p.end_behavior !== undefined) { prev.end_behavior = sched.end_behavior; sched.end_behavior = endBehavior(p.end_behavior); }
    if (p.metadata !== undefined) { prev.metadata = clone(sched.metadata); c.setMetadata(sched, p.metadata); }
    const sub = subOf(sched);
    if (p.phases !== undefined) {
      if (!Array.isArray(p.phases) || p.phases.length === 0) throw invalid('Missing required param: phases.', 'phases', 'parameter_missing');
      const active = sched.status === 'active';
      const first = p.phases[0] || {};
      const given = first.start_date === undefined ? null : timestamp(first.start_date, 'phases[0][start_date]');
      let start;
      if (active) {
        start = sched.current_phase.start_date;
        if (given !== null && given !== start) throw invalid('You can not modify the start date of the current phase.', 'phases[0][start_date]');
      } else {
        start = given === null ? sched.phases[0].start_date : given;
        if (start < now() - 60) throw invalid('A start_date in the past (backdating) is not emulated by the Stripe fake.', 'phases[0][start_date]');
      }
      const phases = buildPhases(p.phases, start, active && sub ? sub.billing_cycle_anchor : start);
      prev.phases = clone(sched.phases);
      sched.phases = phases;
      if (active) {
        prev.current_phase = clone(sched.current_phase);
        sched.current_phase = { end_date: phases[0].end_date, start_date: phases[0].start_date };
        if (sub) applyPhase(sub, phases[0], behavior);
      }
    }
    emit('subscription_schedule.updated', sched, prev);
    if (sched.status === 'active' && sched.current_phase.end_date <= now()) nextPhase(sched);
    return sched;
  }

  function cancelSchedule(sched, p) {
    mustBeLive(sched, 'cancel');
    const sub = subOf(sched);
    const prev = { status: sched.status, canceled_at: null, current_phase: clone(sched.current_phase) };
    sched.status = 'canceled';
    sched.canceled_at = now();
    sched.current_phase = null;
    if (sub && !ended(sub)) {
      c.cancelNow(sub, 'cancellation_requested', {
        prorate: toBool(p.prorate, 'prorate') ?? true, invoice_now: toBool(p.invoice_now, 'invoice_now') ?? true,
      });
    }
    emit('subscription_schedule.canceled', sched, prev);
    return sched;
  }

  /* A subscription canceled directly cancels its live schedule. */
  c.cancelHooks.push((sub) => {
    if (!sub.schedule) return;
    const e = c.state().store.subscription_schedule && c.state().store.subscription_schedule.get(sub.schedule);
    if (!e || !['not_started', 'active'].includes(e.obj.status)) return;
    const sched = e.obj;
    const prev = { status: sched.status, canceled_at: null, current_phase: clone(sched.current_phase) };
    sched.status = 'canceled';
    sched.canceled_at = now();
    sched.current_phase = null;
    emit('subscription_schedule.canceled', sched, prev);
  });

  c.jobHooks.push((consider) => {
    for (const { obj: sched } of all('subscription_schedule')) {
      if (sched.status === 'not_started') {
        consider(sched.phases[0].start_date, () => {
          const prev = { status: 'not_started', subscription: null, current_phase: null };
          startSchedule(sched);
          emit('subscription_schedule.updated', sched, prev);
        });
        continue;
      }
      if (sched.status !== 'active') continue;
      const end = sched.phases[sched.phases.length - 1].end_date;
      if (sched._expiring_for !== end && end - EXPIRING_NOTICE > sched.created) {
        consider(end - EXPIRING_NOTICE, () => { sched._expiring_for = end; emit('subscription_schedule.expiring', sched); });
      }
      consider(sched.current_phase.end_date, () => nextPhase(sched));
    }
  });

  route('POST', '/v1/subscription_schedules', (prm, p) => createSchedule(p));
  route('GET', '/v1/subscription_schedules', c.filterList('subscription_schedule', '/v1/subscription_schedules', (o, q) => (!q.customer || o.customer === q.customer) &&
    (q.scheduled === undefined || (q.scheduled === 'true') === (o.status === 'not_started'))));
  route('GET', '/v1/subscription_schedules/:id', c.byId('subscription_schedule', 'subscription_schedule'));
  route('POST', '/v1/subscription_schedules/:id', (prm, p) => updateSchedule(get('subscription_schedule', prm.id, 'subscription_schedule'), p));
  route('POST', '/v1/subscription_schedules/:id/release', (prm, p) => {
    const sched = get('subscription_schedule', prm.id, 'subscription_schedule');
    mustBeLive(sched, 'release');
    toBool(p.preserve_cancel_date, 'preserve_cancel_date');
    return release(sched);
  });
  route('POST', '/v1/subscription_schedules/:id/cancel', (prm, p) => cancelSchedule(get('subscription_schedule', prm.id, 'subscription_schedule'), p));
}

module.exports = { install };
