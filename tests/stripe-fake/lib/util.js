'use strict';
/*
 * Helpers for the Stripe fake: form decoding, ids, money arithmetic,
 * calendar periods, errors.
 */

/* An error the API answers with Stripe's error shape. */
class StripeError extends Error {
  constructor(status, type, message, extra = {}) {
    super(message);
    this.status = status;
    this.type = type;
    this.extra = extra; /* code, param, decline_code, headers, store */
  }
  toJSON() {
    const e = { type: this.type, message: this.message };
    for (const k of ['code', 'param', 'decline_code', 'doc_url']) {
      if (this.extra[k] !== undefined) e[k] = this.extra[k];
    }
    return { error: e };
  }
}

const invalid = (message, param, code) =>
  new StripeError(400, 'invalid_request_error', message, { param, code: code || (param ? 'parameter_invalid' : undefined) });
const missing = (kind, id, param) =>
  new StripeError(404, 'invalid_request_error', `No such ${kind}: '${id}'`, { code: 'resource_missing', param: param || 'id' });

/* Decode application/x-www-form-urlencoded with Stripe's bracket nesting:
 * a[b]=1&c[0][d]=2 -> {a:{b:'1'}, c:[{d:'2'}]}. Values stay strings. */
function decodeForm(text) {
  const root = {};
  if (!text) return root;
  for (const part of text.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const rawK = eq < 0 ? part : part.slice(0, eq);
    const rawV = eq < 0 ? '' : part.slice(eq + 1);
    const dec = (s) => decodeURIComponent(s.replace(/\+/g, ' '));
    const key = dec(rawK);
    const val = dec(rawV);
    const m = /^([^[]*)((?:\[[^\]]*\])*)$/.exec(key);
    const path = m ? [m[1], ...(m[2].match(/\[([^\]]*)\]/g) || []).map((s) => s.slice(1, -1))] : [key];
    let cur = root;
    for (let i = 0; i < path.length - 1; i++) {
      const seg = path[i] === '' && i > 0 ? String(Object.keys(cur[path[i]] || {}).length) : path[i];
      if (typeof cur[seg] !== 'object' || cur[seg] === null) cur[seg] = {};
      cur = cur[seg];
    }
    const last = path[path.length - 1];
    if (last === '' && path.length > 1) cur[String(Object.keys(cur).length)] = val;
    else cur[last] = val;
  }
  return arrayify(root);
}

/* Objects whose keys are exactly 0..n-1 become arrays. */
function arrayify(v) {
  if (typeof v !== 'object' || v === null) return v;
  const keys = Object.keys(v);
  for (const k of keys) v[k] = arrayify(v[k]);
  if (keys.length > 0 && keys.every((k, i) => k === String(i))) return keys.map((k) => v[k]);
  return v;
}

/* JSON with sorted keys, for comparing idempotent requests. */
function canonical(v) {
  if (Array.isArray(v)) return '[' + v.map(canonical).join(',') + ']';
  if (v && typeof v === 'object') {
    return '{' + Object.keys(v).sort().map((k) => JSON.stringify(k) + ':' + canonical(v[k])).join(',') + '}';
  }
  return JSON.stringify(v);
}

const ALNUM = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
function randomId(prefix, n = 14) {
  let s = '';
  for (let i = 0; i < n; i++) s += ALNUM[Math.floor(Math.random() * ALNUM.length)];
  return `${prefix}_${s}`;
}

/* Integers from form strings. */
function toInt(v, param, { min = -Infinity, required = false } = {}) {
  if (v === undefined || v === null || v === '') {
    if (required) throw invalid(`Missing required param: ${param}.`, param, 'parameter_missing');
    return undefined;
  }
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v !== 'string' || !/^-?\d+$/.test(v)) throw invalid(`Invalid integer: ${v}`, param);
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < min) throw invalid(`Invalid integer: ${v}`, param);
  return n;
}

function toBool(v, param) {
  if (v === undefined || v === '') return undefined;
  if (v === true || v === 'true') return true;
  if (v === false || v === 'false') return false;
  throw invalid(`Invalid boolean: ${v}`, param);
}

/*
 * Proration, integer-only: round(unitAmount * quantity * remaining / period)
 * with the one rounding rule of this fake: round half away from zero,
 * applied once to the final amount. BigInt keeps it exact.
 */
function prorate(unitAmount, quantity, remaining, period) {
  if (period <= 0) return 0;
  const num = BigInt(unitAmount) * BigInt(quantity) * BigInt(remaining);
  const den = BigInt(period);
  const neg = num < 0n;
  const a = neg ? -num : num;
  const q = (2n * a + den) / (2n * den); /* floor((a/den) + 1/2) */
  return Number(neg ? -q : q);
}

/* Add `count` intervals to a UTC timestamp, clamping the day of month like
 * Stripe (Jan 31 + 1 month = Feb 28/29) relative to the anchor day. */
function addInterval(ts, interval, count, anchorTs) {
  const d = new Date(ts * 1000);
  switch (interval) {
    case 'day': return ts + 86400 * count;
    case 'week': return ts + 7 * 86400 * count;
    case 'month':
    case 'year': {
      const months = interval === 'year' ? 12 * count : count;
      const anchor = new Date((anchorTs || ts) * 1000);
      const y = d.getUTCFullYear();
      const m = d.getUTCMonth() + months;
      const ty = y + Math.floor(m / 12);
      const tm = ((m % 12) + 12) % 12;
      const dim = new Date(Date.UTC(ty, tm + 1, 0)).getUTCDate();
      const day = Math.min(anchor.getUTCDate(), dim);
      return Math.floor(Date.UTC(ty, tm, day, anchor.getUTCHours(), anchor.getUTCMinutes(), anchor.getUTCSeconds()) / 1000);
    }
    default: throw invalid(`Invalid interval: ${interval}`, 'recurring[interval]');
  }
}

/* A deep copy without the fake's private fields (keys starting with "_"),
 * which never reach an answer or an event. */
const clone = (o) => (o === undefined ? undefined : JSON.parse(JSON.stringify(o, (k, v) => (k.startsWith('_') ? undefined : v))));

module.exports = {
  StripeError, invalid, missing, decodeForm, canonical, randomId, toInt, toBool,
  prorate, addInterval, clone,
};
