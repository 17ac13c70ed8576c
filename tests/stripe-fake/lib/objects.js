'use strict';
/*
 * Object builders. Field names and nesting follow Stripe's published
 * fixtures (../shared/stripe/fixtures3.json) for the emulated API version;
 * test/shapes.test.js checks that every field emitted here exists there.
 */

const API_VERSION = '2026-10-28.endive';

const address = (a = {}) => ({
  city: a.city ?? null, country: a.country ?? null, line1: a.line1 ?? null,
  line2: a.line2 ?? null, postal_code: a.postal_code ?? null, state: a.state ?? null,
});

function customer(id, p, now) {
  return {
    id, object: 'customer',
    address: p.address ? address(p.address) : null,
    balance: 0, created: now, currency: null,
    default_source: null, delinquent: false, description: p.description || null,
    discount: null, email: p.email || null,
    invoice_prefix: id.slice(4, 11).toUpperCase(),
    invoice_settings: {
      custom_fields: null,
      default_payment_method: null,
      footer: null,
      rendering_options: null,
    },
    livemode: false, metadata: {}, name: p.name || null, next_invoice_sequence: 1,
    phone: p.phone || null, preferred_locales: Array.isArray(p.preferred_locales) ? p.preferred_locales : [],
    shipping: null, tax_exempt: p.tax_exempt || 'none', test_clock: null,
  };
}

function product(id, p, now) {
  return {
    id, object: 'product', active: p.active !== 'false', created: now, default_price: null,
    description: p.description || null, images: [], livemode: false, marketing_features: [],
    metadata: {}, name: p.name, package_dimensions: null, shippable: null,
    statement_descriptor: null, tax_code: null, type: 'service', unit_label: p.unit_label || null,
    updated: now, url: null,
  };
}

function price(id, p, productId, unitAmount, now) {
  const rec = p.recurring;
  return {
    id, object: 'price', active: p.active !== 'false', billing_scheme: 'per_unit', created: now,
    currency: String(p.currency || 'usd').toLowerCase(), custom_unit_amount: null, livemode: false,
    lookup_key: p.lookup_key || null, metadata: {}, nickname: p.nickname || null, product: productId,
    recurring: rec ? {
      interval: rec.interval, interval_count: Number(rec.interval_count || 1), meter: null,
      usage_type: 'licensed', trial_period_days: null,
    } : null,
    tax_behavior: 'unspecified', tiers_mode: null, transform_quantity: null,
    type: rec ? 'recurring' : 'one_time', unit_amount: unitAmount,
    unit_amount_decimal: String(unitAmount),
  };
}

/* The legacy plan view of a recurring price, as Stripe still embeds it. */
function planOf(pr) {
  return {
    id: pr.id, object: 'plan', active: pr.active, amount: pr.unit_amount,
    amount_decimal: pr.unit_amount_decimal, billing_scheme: 'per_unit', created: pr.created,
    currency: pr.currency, interval: pr.recurring.interval, interval_count: pr.recurring.interval_count,
    livemode: false, metadata: {}, meter: null, nickname: pr.nickname, product: pr.product,
    tiers_mode: null, transform_usage: null, trial_period_days: null, usage_type: 'licensed',
  };
}

function paymentMethod(id, card, now) {
  return {
    id, object: 'payment_method', allow_redisplay: 'unspecified',
    billing_details: { address: address(), email: null, name: null, phone: null, tax_id: null },
    card: {
      brand: card.brand, checks: { address_line1_check: null, address_postal_code_check: null, cvc_check: 'pass' },
      country: 'US', display_brand: card.brand, exp_month: 12, exp_year: new Date(now * 1000).getUTCFullYear() + 3,
      fingerprint: card.fingerprint, funding: 'credit', generated_from: null, last4: card.last4,
      networks: { available: [card.brand], preferred: null }, regulated_status: 'unregulated',
      three_d_secure_usage: { supported: true }, wallet: null,
    },
    created: now, customer: null, customer_account: null, livemode: false, metadata: {}, type: 'card',
  };
}

function subscriptionItem(id, subId, pr, quantity, start, end, now) {
  return {
    id, object: 'subscription_item', billing_thresholds: null, created: now,
    current_period_end: end, current_period_start: start, discounts: [], metadata: {},
    plan: planOf(pr), price: pr, quantity, subscription: subId, tax_rates: [],
  };
}

function subscription(id, customerId, now) {
  return {
    id, object: 'subscription', application: null, application_fee_percent: null,
    automatic_tax: { disabled_reason: null, enabled: false, liability: null },
    billing_cycle_anchor: now, billing_cycle_anchor_config: null,
    billing_mode: { type: 'flexible', flexible: null }, billing_thresholds: null,
    cancel_at: null, cancel_at_period_end: false, canceled_at: null,
    cancellation_details: { comment: null, feedback: null, reason: null },
    collection_method: 'charge_automatically', created: now, currency: 'usd', customer: customerId,
    customer_account: null, days_until_due: null, default_payment_method: null, default_source: null,
    default_tax_rates: [], description: null, discounts: [], ended_at: null,
    invoice_settings: { account_tax_ids: null, issuer: { type: 'self' } },
    items: { object: 'list', data: [], has_more: false, url: `/v1/subscription_items?subscription=${id}` },
    billing_schedules: [], latest_invoice: null, livemode: false, managed_payments: null, metadata: {},
    next_pending_invoice_item_invoice: null,
    on_behalf_of: null, pause_collection: null,
    payment_settings: { payment_method_options: null, payment_method_types: null, save_default_payment_method: 'off' },
    pending_invoice_item_interval: null, pending_setup_intent: null, pending_update: null,
    schedule: null, start_date: now, status: 'active', test_clock: null, transfer_data: null,
    trial_end: null, trial_settings: { end_behavior: { missing_payment_method: 'create_invoice' } },
    trial_start: null,
  };
}

function invoice(id, cus, now, p = {}) {
  return {
    id, object: 'invoice', account_country: 'US', account_name: 'orgbill fake', account_tax_ids: null,
    amount_due: 0, amount_overpaid: 0, amount_paid: 0, amount_remaining: 0, amount_shipping: 0,
    application: null, attempt_count: 0, attempted: false, auto_advance: p.auto_advance ?? false,
    automatic_tax: { disabled_reason: null, enabled: false, liability: null, provider: null, status: null },
    automatically_finalizes_at: null, billing_reason: p.billing_reason || 'manual',
    collection_method: p.collection_method || 'charge_automatically', created: now, currency: p.currency || 'usd',
    custom_fields: null, customer: cus.id, customer_account: null, customer_address: cus.address,
    customer_email: cus.email, customer_name: cus.name, customer_phone: cus.phone,
    customer_shipping: null, customer_tax_exempt: cus.tax_exempt, customer_tax_ids: [],
    default_payment_method: null, default_source: null, default_tax_rates: [],
    description: p.description || null, discounts: [], due_date: p.due_date ?? null, effective_at: null,
    ending_balance: null, footer: null, from_invoice: null, hosted_invoice_url: null, invoice_pdf: null,
    issuer: { type: 'self' }, last_finalization_error: null, latest_revision: null,
    lines: { object: 'list', data: [], has_more: false, url: `/v1/invoices/${id}/lines` },
    livemode: false, metadata: {}, next_payment_attempt: null, number: null, on_behalf_of: null,
    parent: p.subscription
      ? { quote_details: null, subscription_details: { metadata: null, subscription: p.subscription }, type: 'subscription_details' }
      : null,
    payment_settings: { default_mandate: null, payment_method_options: null, payment_method_types: null },
    period_end: p.period_end ?? now, period_start: p.period_start ?? now,
    post_payment_credit_notes_amount: 0, pre_payment_credit_notes_amount: 0, receipt_number: null,
    rendering: null, shipping_cost: null, shipping_details: null, starting_balance: 0,
    statement_descriptor: null, status: 'draft',
    status_transitions: { finalized_at: null, marked_uncollectible_at: null, paid_at: null, voided_at: null },
    subscription: p.subscription || null,
    subtotal: 0, subtotal_excluding_tax: 0, test_clock: null, total: 0, total_discount_amounts: [],
    total_excluding_tax: 0, total_pretax_credit_amounts: [], total_taxes: [], webhooks_delivered_at: null,
  };
}

/* An invoice item (pending until it is put on an invoice). */
function invoiceItem(id, p, now) {
  return {
    id, object: 'invoiceitem', amount: p.amount, currency: p.currency || 'usd', customer: p.customer,
    customer_account: null, date: now, description: p.description || null, discountable: !p.proration,
    discounts: [], invoice: p.invoice || null, livemode: false, metadata: p.metadata || {},
    net_amount: p.amount,
    parent: p.subscription
      ? { subscription_details: { subscription: p.subscription, subscription_item: p.subscription_item || null }, type: 'subscription_details' }
      : null,
    period: { end: p.period_end ?? now, start: p.period_start ?? now },
    pricing: p.price
      ? { price_details: { price: p.price, product: p.product }, type: 'price_details', unit_amount_decimal: String(p.unit_amount) }
      : null,
    proration: !!p.proration, quantity: p.quantity ?? 1, quantity_decimal: String(p.quantity ?? 1),
    tax_rates: [], test_clock: null,
  };
}

/* An invoice line. kind: 'subscription' (a period of an item) or
 * 'invoiceitem' (a pending item, prorations included). */
function lineItem(id, invoiceId, p) {
  const subDetails = p.kind === 'subscription' || p.subscription_item
    ? {
      invoice_item: p.invoice_item || null, proration: !!p.proration,
      proration_details: { credited_items: null }, subscription: p.subscription || null,
      subscription_item: p.subscription_item || null,
    }
    : null;
  const iiDetails = !subDetails
    ? { invoice_item: p.invoice_item, proration: !!p.proration, proration_details: { credited_items: null }, subscription: p.subscription || null }
    : null;
  return {
    id, object: 'line_item', amount: p.amount, currency: p.currency || 'usd', description: p.description || null,
    discount_amounts: [], discountable: !p.proration, discounts: [], invoice: invoiceId, livemode: false,
    metadata: p.metadata || {},
    parent: {
      invoice_item_details: iiDetails, subscription_item_details: subDetails,
      type: subDetails ? 'subscription_item_details' : 'invoice_item_details',
    },
    period: { end: p.period_end, start: p.period_start },
    pretax_credit_amounts: [],
    pricing: p.price
      ? { price_details: { price: p.price, product: p.product }, type: 'price_details', unit_amount_decimal: String(p.unit_amount) }
      : null,
    quantity: p.quantity ?? 1, quantity_decimal: String(p.quantity ?? 1), subscription: p.subscription || null,
    subtotal: p.amount, taxes: [],
  };
}

function charge(id, p, now) {
  return {
    id, object: 'charge', amount: p.amount, amount_captured: p.paid ? p.amount : 0, amount_refunded: 0,
    application: null, application_fee: null, application_fee_amount: null, balance_transaction: null,
    billing_details: { address: address(), email: null, name: null, phone: null, tax_id: null },
    calculated_statement_descriptor: 'ORGBILL', captured: !!p.paid, created: now, currency: p.currency,
    customer: p.customer, description: p.description || null, disputed: false,
    failure_balance_transaction: null, failure_code: p.paid ? null : 'card_declined',
    failure_message: p.paid ? null : 'Your card was declined.', fraud_details: {}, livemode: false,
    metadata: { invoice: p.invoice }, on_behalf_of: null,
    outcome: null, paid: !!p.paid, payment_intent: p.payment_intent, payment_method: p.payment_method,
    payment_method_details: { card: null, type: 'card' }, receipt_email: null, receipt_number: null,
    receipt_url: null, refunded: false,
    refunds: { object: 'list', data: [], has_more: false, url: `/v1/charges/${id}/refunds` },
    review: null, shipping: null, source: null, source_transfer: null, statement_descriptor: null,
    statement_descriptor_suffix: null, status: p.paid ? 'succeeded' : 'failed', transfer_data: null,
    transfer_group: null,
  };
}

function refund(id, ch, amount, p, now) {
  return {
    id, object: 'refund', amount, balance_transaction: null, charge: ch.id, created: now,
    currency: ch.currency, customer: ch.customer, customer_account: null,
    destination_details: { card: { type: 'refund' }, type: 'card' }, metadata: p.metadata || {},
    payment_intent: ch.payment_intent, payment_method: ch.payment_method, reason: p.reason || null,
    receipt_number: null, source_transfer_reversal: null, status: 'succeeded', transfer_reversal: null,
  };
}

function portalSession(id, p, url, now) {
  return {
    id, object: 'billing_portal.session', configuration: 'bpc_fake_default', created: now,
    customer: p.customer, customer_account: null, flow: null, livemode: false, locale: p.locale || null,
    on_behalf_of: null, return_url: p.return_url || null, url,
  };
}

/* A Checkout Session (hosted page). */
function checkoutSession(id, p, now) {
  return {
    id, object: 'checkout.session', adaptive_pricing: { enabled: false }, after_expiration: null,
    allow_promotion_codes: null, amount_subtotal: p.amount, amount_total: p.amount,
    automatic_tax: { enabled: false, liability: null, provider: null, status: null },
    billing_address_collection: null, cancel_url: p.cancel_url || null,
    client_reference_id: p.client_reference_id || null, client_secret: null, collected_information: null,
    consent: null, consent_collection: null, created: now, currency: p.currency, currency_conversion: null,
    custom_fields: [], custom_text: { after_submit: null, shipping_address: null, submit: null, terms_of_service_acceptance: null },
    customer: p.customer || null, customer_account: null, customer_creation: p.customer_creation || null,
    customer_details: null, customer_email: p.customer_email || null, discounts: [], expires_at: p.expires_at,
    integration_identifier: null, invoice: null, invoice_creation: p.invoice_creation || null, livemode: false,
    locale: p.locale || null, managed_payments: null, metadata: {}, mode: p.mode, origin_context: null,
    payment_intent: null, payment_link: null, payment_method_collection: p.mode === 'subscription' ? 'always' : null,
    payment_method_configuration_details: null, payment_method_options: {}, payment_method_types: ['card'],
    payment_status: 'unpaid', permissions: null, phone_number_collection: { enabled: false }, recovered_from: null,
    saved_payment_method_options: null, setup_intent: null, shipping_address_collection: null, shipping_cost: null,
    shipping_options: [], status: 'open', submit_type: null, subscription: null, success_url: p.success_url || null,
    total_details: { amount_discount: 0, amount_shipping: 0, amount_tax: 0 }, ui_mode: 'hosted_page', url: p.url,
    wallet_options: null,
  };
}

/* The invoice_creation field of a payment-mode session. */
function invoiceCreation(enabled, data = {}) {
  return {
    enabled,
    invoice_data: {
      account_tax_ids: null, custom_fields: null, description: data.description || null, footer: data.footer || null,
      issuer: { type: 'self' }, metadata: data.metadata || {}, rendering_options: null,
    },
  };
}

/* A line item of a Checkout Session. */
function checkoutItem(id, pr, quantity, description) {
  const amount = pr.unit_amount * quantity;
  return {
    id, object: 'item', adjustable_quantity: null, amount_discount: 0, amount_subtotal: amount, amount_tax: 0,
    amount_total: amount, currency: pr.currency, description, metadata: {}, price: pr, quantity,
  };
}

function customerDetails(email, cus) {
  return {
    address: address(cus && cus.address ? cus.address : {}), business_name: null, email: email || null,
    individual_name: null, name: cus ? cus.name : null, phone: cus ? cus.phone : null, tax_exempt: 'none', tax_ids: [],
  };
}

/* A PaymentIntent (only those Checkout makes in payment mode). */
function paymentIntent(id, p, now) {
  return {
    id, object: 'payment_intent', amount: p.amount, amount_capturable: 0, amount_details: { tip: {} },
    amount_received: 0, application: null, application_fee_amount: null, automatic_payment_methods: null,
    canceled_at: null, cancellation_reason: null, capture_method: 'automatic_async',
    client_secret: `${id}_secret_${id.slice(-10)}`, confirmation_method: 'automatic', created: now, currency: p.currency,
    customer: p.customer || null, customer_account: null, description: p.description || null,
    excluded_payment_method_types: null, last_payment_error: null, latest_charge: null, livemode: false,
    managed_payments: null, metadata: {}, next_action: null, on_behalf_of: null, payment_method: null,
    payment_method_configuration_details: null, payment_method_options: {}, payment_method_types: ['card'],
    processing: null, receipt_email: null, review: null, setup_future_usage: p.setup_future_usage || null, shipping: null,
    source: null, statement_descriptor: null, statement_descriptor_suffix: null, status: 'requires_payment_method',
    transfer_data: null, transfer_group: null,
  };
}

/* A subscription schedule; phases are built with schedulePhase. */
function subscriptionSchedule(id, customerId, now) {
  return {
    id, object: 'subscription_schedule', application: null, billing_mode: { flexible: null, type: 'flexible' },
    canceled_at: null, completed_at: null, created: now, current_phase: null, customer: customerId,
    customer_account: null,
    default_settings: {
      application_fee_percent: null, automatic_tax: { disabled_reason: null, enabled: false, liability: null },
      billing_cycle_anchor: 'automatic', billing_thresholds: null, collection_method: 'charge_automatically',
      default_payment_method: null, description: null,
      invoice_settings: { account_tax_ids: null, custom_fields: null, days_until_due: null, description: null, footer: null, issuer: { type: 'self' } },
      on_behalf_of: null, transfer_data: null,
    },
    end_behavior: 'release', livemode: false, metadata: {}, phases: [], released_at: null,
    released_subscription: null, status: 'not_started', subscription: null, test_clock: null,
  };
}

/* items: [{price (id), quantity, metadata}] */
function schedulePhase(p) {
  return {
    add_invoice_items: [], application_fee_percent: null, billing_cycle_anchor: null, billing_thresholds: null,
    collection_method: null, currency: p.currency, default_payment_method: null, default_tax_rates: [],
    description: null, discounts: [], end_date: p.end_date, invoice_settings: null,
    items: p.items.map((it) => ({
      billing_thresholds: null, discounts: [], metadata: it.metadata || {}, price: it.price, quantity: it.quantity, tax_rates: [],
    })),
    metadata: p.metadata || {}, on_behalf_of: null, proration_behavior: p.proration_behavior || 'create_prorations',
    start_date: p.start_date, transfer_data: null, trial_end: p.trial_end || null,
  };
}

function event(id, type, obj, prev, now, req) {
  const data = { object: obj };
  if (prev) data.previous_attributes = prev;
  return {
    id, object: 'event', api_version: API_VERSION, created: now, data, livemode: false,
    pending_webhooks: 1, request: { id: req ? req.id : null, idempotency_key: req ? req.idem || null : null },
    type,
  };
}

module.exports = {
  API_VERSION, customer, product, price, planOf, paymentMethod, subscriptionItem, subscription,
  invoice, invoiceItem, lineItem, charge, refund, portalSession, event, checkoutSession, invoiceCreation,
  checkoutItem, customerDetails, paymentIntent, subscriptionSchedule, schedulePhase,
};
