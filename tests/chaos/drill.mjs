// The fault drill: a mixed workload against a running stack while faults
// are injected one at a time, then overlapping; every request and answer
// is kept (the client's own ledger), and afterwards the checker proves the
// database agrees with it. docs/RELIABILITY.md explains the figures.
//
//   node tests/chaos/drill.mjs RUN_DIR BIN_DIR SECONDS OUT.json
//
// Exit 0 when every check holds; 1 with the failed checks listed.
import { writeFileSync } from "node:fs";
import { FAULTS, cli, fake, http, psql, signIn, sleep, stackOf } from "./lib.mjs";

const [run, bin, secs, out] = process.argv.slice(2);
if (!out) {
	console.error("usage: drill.mjs RUN_DIR BIN_DIR SECONDS OUT.json");
	process.exit(2);
}
const SECONDS = Number(secs);
const st = stackOf(run, bin);
const API = "/api/v1/org-billing";
const GRANT = 1000000;
const PASSWORD = "chaos-drill-password";

// ---------- set-up: one org, people, keys, a paid subscription ----------
const tag = Date.now().toString(36);
const org = cli(st, ["org", "create", "--name", `Chaos ${tag}`, "--slug", `chaos-${tag}`, "--billing-email", `billing@${tag}.test`]);
const people = [];
for (const [i, role] of ["owner", "member", "member", "member", "member"].entries()) {
	const email = `p${i}@${tag}.test`;
	const id = cli(st, ["user", "create", "--email", email, "--name", `Person ${i}`], `${PASSWORD}\n`);
	cli(st, ["member", "add", "--org", org, "--user", id, "--role", role]);
	people.push({ id: Number(id), email, role });
}
const members = people.slice(1);
const meterKey = cli(st, ["apikey", "create", "--org", org, "--scopes", "meter", "--name", "drill meter"]);
const adminKey = cli(st, ["apikey", "create", "--org", org, "--scopes", "admin", "--name", "drill admin"]);
cli(st, ["credits", "grant", "--org", org, "--amount", String(GRANT), "--reason", "fault drill"]);
const auth = (k) => ({ authorization: `Bearer ${k}` });

await fake(st, "POST", "/_fake/config", { webhook_auto: false });
await fake(st, "DELETE", "/_fake/faults");
let r = await http(st, "POST", `${API}/subscriptions/${org}`, {
	headers: { ...auth(adminKey), "idempotency-key": `sub-${tag}` },
	json: { plan: "pro", seats: 3, cycle: "month", payment_method: "pm_card_visa", email: `billing@${tag}.test` },
});
if (r.status >= 300) throw new Error(`subscribe: ${r.status} ${JSON.stringify(r.body)}`);
await fake(st, "POST", "/_fake/webhooks/deliver", {});
// Two members have allocations: the first a small one, so refusals happen.
const allocated = { [members[0].id]: 3000, [members[1].id]: 400000 };
for (const [uid, limit] of Object.entries(allocated)) {
	r = await http(st, "POST", `${API}/credits/${org}/allocate`, {
		headers: { ...auth(adminKey), "idempotency-key": `alloc-${tag}-${uid}-0` }, json: { user_id: Number(uid), limit },
	});
	if (r.status !== 200) throw new Error(`allocate: ${r.status} ${JSON.stringify(r.body)}`);
}
const owner = await signIn(st, people[0].email, PASSWORD);

// ---------- the client's ledger ----------
const ops = [];		// {kind, key, body, answers: [{status, at}], final}
const t0 = Date.now();
const now = () => Date.now() - t0;
let seq = 0;

function op(kind, key, send) { const o = { kind, key, send, answers: [], final: null }; ops.push(o); return o; }

// One attempt: an answer is final unless it is 5xx, 409 in progress or none.
async function attempt(o) {
	const at = now();
	const a = await o.send();
	o.answers.push({ status: a.status, at, ms: a.ms });
	const s = a.status;
	if (s === 0 || s >= 500 || (s === 409 && /in_progress|processing/.test(JSON.stringify(a.body)))) return false;
	o.final = { status: s, body: a.body };
	return true;
}

function deduction() {
	const m = members[Math.floor(Math.random() * members.length)];
	const body = { user_id: m.id, amount: 1 + Math.floor(Math.random() * 20), service: "drill" };
	const key = `d-${tag}-${++seq}`;
	return op("deduct", key, () => http(st, "POST", `${API}/credits/${org}/deduct`,
		{ headers: { ...auth(meterKey), "idempotency-key": key }, json: body }));
}

function replay() {
	const done = ops.filter((o) => o.kind === "deduct" && o.final?.status === 200);
	if (!done.length) return deduction();
	const o0 = done[Math.floor(Math.random() * done.length)];
	const o = op("replay", o0.key, o0.send);
	o.of = o0;
	return o;
}

function allocation() {
	const uid = members[0].id;
	const limit = 2000 + Math.floor(Math.random() * 6000);
	const key = `a-${tag}-${++seq}`;
	const o = op("allocate", key, () => http(st, "POST", `${API}/credits/${org}/allocate`,
		{ headers: { ...auth(adminKey), "idempotency-key": key }, json: { user_id: uid, limit } }));
	return o;
}

function seats() {
	const n = 3 + Math.floor(Math.random() * 4);
	const key = `s-${tag}-${++seq}`;
	return op("seats", key, () => http(st, "PATCH", `${API}/subscriptions/${org}`,
		{ headers: { ...auth(adminKey), "idempotency-key": key }, json: { seats: n } }));
}

function plan() {
	// Up to Business charges the difference now; down to Pro is scheduled
	// for the period's end (docs/BILLING.md).
	const to = Math.random() < 0.5 ? "business" : "pro";
	const key = `u-${tag}-${++seq}`;
	return op("plan", key, () => http(st, "PATCH", `${API}/subscriptions/${org}`,
		{ headers: { ...auth(adminKey), "idempotency-key": key }, json: { plan: to } }));
}

function purchase() {
	const key = `p-${tag}-${++seq}`;
	return op("purchase", key, () => http(st, "POST", `${API}/credit-purchases/${org}`,
		{ headers: { ...owner.headers(), "idempotency-key": key }, json: { credits: 500 }, timeout: 70000 }));
}

function pick() {
	const x = Math.random();
	if (x < 0.80) return deduction();
	if (x < 0.90) return replay();
	if (x < 0.94) return allocation();
	if (x < 0.96) return seats();
	if (x < 0.97) return plan();
	return purchase();
}

// ---------- faults: one at a time, then overlapping ----------
const faultLog = [];
async function inject(name) {
	const f = { name, start: now(), end: null };
	faultLog.push(f);
	try {
		const note = await FAULTS[name](st);
		if (note) f.note = note;
	} catch (e) { f.error = String(e.message || e); }
	f.end = now();
}
const single = Object.keys(FAULTS);
const overlapping = [["pg kill -9", "app worker kill -9"], ["nginx restart", "app master kill -9"],
	["stripe 500s", "pg fast restart"], ["disk full under PostgreSQL", "webhook master kill -9"]];

let running = true;
const unresolved = [];
async function client() {
	while (running) {
		const o = pick();
		if (!await attempt(o)) unresolved.push(o);
		await sleep(5);
	}
}
async function webhooks() {
	// Stripe's deliveries, duplicated, reordered and late: every few seconds
	// what is pending goes out, sometimes twice, sometimes backwards.
	while (running) {
		await sleep(1500 + Math.random() * 3000);
		const x = Math.random();
		if (x < 0.3) continue;	// held back: delivered late
		await fake(st, "POST", "/_fake/webhooks/deliver", { duplicate: x < 0.6 ? 2 : 1, reverse: x > 0.8 }).catch(() => {});
	}
}
async function faults() {
	const slot = Math.max(6000, (SECONDS * 1000 - 8000) / (single.length + overlapping.length + 1));
	await sleep(4000);
	for (const name of single) {
		if (!running) return;
		await inject(name);
		await sleep(Math.max(1000, slot - 1000));
	}
	for (const pair of overlapping) {
		if (!running) return;
		await Promise.all(pair.map((n) => inject(n)));
		await sleep(Math.max(1000, slot - 1000));
	}
}

const clients = Array.from({ length: 6 }, client);
const side = [webhooks(), faults()];
await sleep(SECONDS * 1000);
running = false;
await Promise.all([...clients, ...side]);
await fake(st, "DELETE", "/_fake/faults");

// ---------- after the run: every unanswered request retried with its key ----------
const failures = [];
for (let round = 0; round < 90 && unresolved.some((o) => !o.final); round++) {
	for (const o of unresolved) if (!o.final) await attempt(o);
	if (unresolved.some((o) => !o.final)) await sleep(1000);
}
for (const o of unresolved.filter((x) => !x.final))
	failures.push(`${o.kind} ${o.key}: still unanswered after retries (${o.answers.map((a) => a.status).join(",")})`);
// Webhooks still pending go out (twice), until the fake has none left
// (deliveries orgbill could not take come back, as Stripe retries them),
// and the jobs catch up with the events orgbill stored but could not apply.
for (let i = 0; i < 120; i++) {
	const w = await fake(st, "GET", "/_fake/webhooks");
	const open = Number(psql(st, "SELECT count(*) FROM webhook_events WHERE status IN ('received', 'failed') AND attempts < 8"));
	if (!w.pending.length && !open) break;
	if (w.pending.length) await fake(st, "POST", "/_fake/webhooks/deliver", { duplicate: 2 }, 600000);
	cli(st, ["jobs", "--once"]);
	await sleep(1000);
}

// ---------- the checks ----------
const check = (ok, what) => { if (!ok) failures.push(what); };
const deducts = ops.filter((o) => o.kind === "deduct");
const accepted = deducts.filter((o) => o.final?.status === 200);
const refused = deducts.filter((o) => o.final && o.final.status !== 200);
const rows = new Map(psql(st, `SELECT idem_key || ' ' || amount || ' ' || user_id FROM credit_usage
	WHERE org_id = ${org} AND kind = 'deduction'`).split("\n").filter(Boolean).map((l) => {
	const [k, a, u] = l.split(" ");
	return [k, { amount: Number(a), user: Number(u) }];
}));
const dupes = Number(psql(st, `SELECT count(*) - count(DISTINCT idem_key) FROM credit_usage WHERE org_id = ${org}`));
let lost = 0;
let extra = 0;
for (const o of accepted) {
	const row = rows.get(o.key);
	if (!row) { lost++; failures.push(`deduction ${o.key} answered 200 but is not in the ledger`); }
}
for (const o of refused) {
	if (rows.has(o.key)) { extra++; failures.push(`deduction ${o.key} answered ${o.final.status} but is in the ledger`); }
}
const known = new Set(deducts.map((o) => o.key));
for (const k of rows.keys()) if (!known.has(k)) { extra++; failures.push(`ledger row ${k} was never sent`); }
check(dupes === 0, `${dupes} idempotency keys recorded more than once`);
for (const o of ops.filter((x) => x.kind === "replay")) {
	if (o.final && o.final.status !== o.of.final.status)
		failures.push(`replay of ${o.key} answered ${o.final.status}, first answer ${o.of.final.status}`);
	// The same answer, marked as replayed (docs/openapi.yaml).
	const same = (b) => JSON.stringify({ ...b, replayed: undefined });
	if (o.final?.status === 200 && (same(o.final.body) !== same(o.of.final.body) || o.final.body.replayed !== true))
		failures.push(`replay of ${o.key} answered ${JSON.stringify(o.final.body)}, first ${JSON.stringify(o.of.final.body)}`);
}
const sumBy = (list, f) => list.reduce((s, o) => s + f(o), 0);
const spent = sumBy(accepted, (o) => rows.get(o.key)?.amount ?? 0);
const [pGranted, pUsed, pRemaining, grants] = psql(st, `SELECT p.granted, p.used, p.remaining,
	(SELECT coalesce(sum(amount), 0) FROM credit_grants g WHERE g.pool_id = p.id) FROM credit_pools p WHERE p.org_id = ${org}`).split("|").map(Number);
check(pUsed === spent, `pool used ${pUsed} != accepted deductions ${spent}`);
check(pGranted === grants, `pool granted ${pGranted} != sum of grants ${grants}`);
check(pRemaining === pGranted - pUsed && pRemaining >= 0, `pool remaining ${pRemaining} != ${pGranted} - ${pUsed}`);
for (const uid of Object.keys(allocated)) {
	const used = Number(psql(st, `SELECT used FROM credit_allocations WHERE org_id = ${org} AND user_id = ${uid}`));
	const mine = sumBy(accepted.filter((o) => rows.get(o.key)?.user === Number(uid)), (o) => rows.get(o.key).amount);
	check(used === mine, `allocation of user ${uid}: used ${used} != accepted ${mine}`);
}
const neg = Number(psql(st, `SELECT (SELECT count(*) FROM credit_pools WHERE remaining < 0 OR used < 0)
	+ (SELECT count(*) FROM credit_allocations WHERE used < 0)`));
check(neg === 0, `${neg} balances below zero`);
let verify = "ok";
try { cli(st, ["verify-ledger"]); } catch (e) { verify = String(e.stdout || e.message); failures.push(`verify-ledger: ${verify}`); }

// Purchases: each granted once, and only when its invoice was paid.
const purchases = ops.filter((o) => o.kind === "purchase");
const pRows = psql(st, `SELECT idem_key || ' ' || status || ' ' || coalesce(grant_id::text, '-') || ' ' || coalesce(stripe_invoice_id, '-')
	FROM credit_purchases WHERE org_id = ${org}`).split("\n").filter(Boolean).map((l) => l.split(" "));
const pByKey = new Map(pRows.map((x) => [x[0], x]));
check(pByKey.size === pRows.length, "two purchase rows share an idempotency key");
const purchaseGrants = Number(psql(st, `SELECT count(*) FROM credit_grants g JOIN credit_pools p ON p.id = g.pool_id WHERE p.org_id = ${org} AND g.source = 'purchase'`));
const granted = pRows.filter((x) => x[1] === "granted");
check(purchaseGrants === granted.length, `${purchaseGrants} purchase grants for ${granted.length} granted purchases`);
for (const o of purchases) {
	const row = pByKey.get(o.key);
	if (o.final && o.final.status < 300 && !row) failures.push(`purchase ${o.key} answered ${o.final.status} without a row`);
}
for (const x of granted) {
	if (x[3] === "-") { failures.push(`purchase ${x[0]} granted without an invoice`); continue; }
	const inv = await fake(st, "GET", `/v1/invoices/${x[3]}`);
	if (inv.status !== "paid") failures.push(`purchase ${x[0]} granted but its invoice is ${inv.status}`);
}
for (const x of pRows.filter((y) => y[1] !== "granted" && y[3] !== "-")) {
	const inv = await fake(st, "GET", `/v1/invoices/${x[3]}`);
	if (inv.status === "paid") failures.push(`purchase ${x[0]} is ${x[1]} but its invoice was paid`);
}
// Reconciliation with Stripe: the subscription's quantity and status agree.
const sub = psql(st, `SELECT stripe_subscription_id || ' ' || status || ' ' || seats || ' ' || stripe_price_id FROM subscriptions WHERE org_id = ${org}`).split(" ");
const fsub = await fake(st, "GET", `/v1/subscriptions/${sub[0]}`);
const fqty = fsub.items?.data?.[0]?.quantity;
const fprice = fsub.items?.data?.[0]?.price?.id;
check(String(fsub.status) === sub[1] && String(fqty) === sub[2] && fprice === sub[3],
	`subscription drift: orgbill ${sub[1]}/${sub[2]} seats/${sub[3]}, Stripe ${fsub.status}/${fqty}/${fprice}`);

// 5xx only inside an outage: a fault's window (from a quarter second
// before it, the timer's grain) plus 10 s to recover.
const windows = faultLog.map((f) => [f.start - 250, f.end + 10000]);
const inWindow = (t) => windows.some(([a, b]) => t >= a && t <= b);
let stray = 0;
const answers = ops.flatMap((o) => o.answers.map((a) => ({ ...a, kind: `${o.kind} ${o.key}` })));
for (const a of answers) {
	if ((a.status === 0 || a.status >= 500) && !inWindow(a.at) && a.at < SECONDS * 1000) {
		stray++;
		failures.push(`${a.kind} answered ${a.status} at ${a.at} ms (after ${a.ms} ms), outside every fault window`);
	}
}

// Longest unavailability per fault: from the fault's start, how long until
// a request sent after it was answered (any final answer).
const okTimes = answers.filter((a) => a.status > 0 && a.status < 500).map((a) => a.at).sort((x, y) => x - y);
const perKind = {};
for (const f of faultLog) {
	const firstOk = okTimes.find((t) => t >= f.start) ?? f.start;
	let gap = 0;
	let prev = f.start;
	for (const t of okTimes) {
		if (t < f.start) continue;
		if (t > f.end + 10000) break;
		gap = Math.max(gap, t - prev);
		prev = t;
	}
	const k = f.name;
	perKind[k] = Math.max(perKind[k] ?? 0, gap, firstOk - f.start);
	if (f.error) failures.push(`fault ${f.name}: ${f.error}`);
}
const figures = {
	seconds: SECONDS, requests: answers.length, operations: ops.length,
	deductions: { sent: deducts.length, accepted: accepted.length, refused: refused.length },
	replays: ops.filter((o) => o.kind === "replay").length,
	purchases: { sent: purchases.length, granted: granted.length },
	retried_after_no_answer: unresolved.length,
	faults_injected: faultLog.length, faults: faultLog, failed_outside_windows: stray, lost, duplicated: extra + dupes,
	longest_unavailability_ms: perKind, verify_ledger: verify, failures,
};
writeFileSync(out, JSON.stringify(figures, null, 2));
console.log(`drill: ${figures.requests} requests (${figures.operations} operations) in ${SECONDS} s, ` +
	`${figures.faults_injected} faults injected; lost ${lost}, duplicated ${figures.duplicated}; ` +
	`${unresolved.length} unanswered requests resolved by retrying with their keys`);
console.log(`drill: deductions ${accepted.length} accepted / ${refused.length} refused; purchases ${purchases.length} sent / ${granted.length} granted`);
for (const [k, ms] of Object.entries(perKind)) {
	const note = faultLog.find((f) => f.name === k && f.note)?.note;
	console.log(`drill:   ${k.padEnd(28)} ${note || `longest unavailability ${ms} ms`}`);
}
if (failures.length) {
	console.log(`drill: FAILED\n  ${failures.slice(0, 40).join("\n  ")}`);
	process.exit(1);
}
console.log("drill: every check holds");
