// The restore drill (docs/RELIABILITY.md): a base backup taken under load,
// the cluster lost, a point-in-time restore from the backup and the
// archived WAL, the stack back on it; every deduction acknowledged before
// the target time is there, none sent after it is, the ledger verifies and
// Stripe's webhooks sent while the database was away are not lost.
//
//   node tests/chaos/restore.mjs RUN_DIR BIN_DIR
//
// The stack under RUN_DIR must archive its WAL (deploy/stack.sh with
// OB_PG_ARCHIVE=1). Exit 0 when every check holds.
import { execFileSync } from "node:child_process";
import { readFileSync, renameSync } from "node:fs";
import path from "node:path";
import { ROOT, cli, fake, http, psql, sleep, stack, stackOf } from "./lib.mjs";

const [run, bin] = process.argv.slice(2);
if (!bin) {
	console.error("usage: restore.mjs RUN_DIR BIN_DIR");
	process.exit(2);
}
const st = stackOf(run, bin);
const API = "/api/v1/org-billing";
const wal = readFileSync(path.join(run, "wal-archive-dir"), "utf8").trim();
const failures = [];
const t0 = Date.now();
const say = (m) => console.log(`restore: ${((Date.now() - t0) / 1000).toFixed(1)} s ${m}`);

const tag = `r${Date.now().toString(36)}`;
const org = cli(st, ["org", "create", "--name", `Restore ${tag}`, "--slug", `restore-${tag}`]);
const uid = cli(st, ["user", "create", "--email", `m@${tag}.test`], "restore-drill-password\n");
cli(st, ["member", "add", "--org", org, "--user", uid, "--role", "member"]);
const key = cli(st, ["apikey", "create", "--org", org, "--scopes", "meter"]);
cli(st, ["credits", "grant", "--org", org, "--amount", "100000000", "--reason", "restore drill"]);

// Deductions from three clients until told to stop: when each was sent and
// when (if) it was acknowledged.
const sent = [];
let loading = true;
let n = 0;
async function client() {
	while (loading) {
		const k = `${tag}-${++n}`;
		const rec = { key: k, sentAt: Date.now(), ackAt: null };
		sent.push(rec);
		const r = await http(st, "POST", `${API}/credits/${org}/deduct`, {
			headers: { authorization: `Bearer ${key}`, "idempotency-key": k },
			json: { user_id: Number(uid), amount: 1 + (n % 7), service: "restore" },
		});
		if (r.status === 200) rec.ackAt = Date.now();
	}
}
const load = [client(), client(), client()];

await sleep(2000);
say("base backup under load");
const b0 = Date.now();
const base = execFileSync(path.join(ROOT, "deploy/backup.sh"), ["base", path.join(run, "backups")],
	{ env: { ...process.env, DATABASE_URL: st.env.DATABASE_URL }, encoding: "utf8" }).trim();
const backupMs = Date.now() - b0;
await sleep(3000);
// The target: a moment in the middle of the load, after the backup.
const target = new Date();
say(`target time ${target.toISOString()}`);
await sleep(3000);
loading = false;
await Promise.all(load);
// Everything written so far reaches the archive (the last segment too).
const seg = psql(st, "SELECT pg_walfile_name(pg_switch_wal())");
for (let i = 0; i < 100 && psql(st, "SELECT coalesce(last_archived_wal, '') FROM pg_stat_archiver") < seg; i++)
	await sleep(200);

// The cluster is lost. A Stripe event arrives meanwhile: orgbill cannot
// store it and must say so, so that Stripe delivers it again.
say("cluster lost");
await stack(st, "pg-stop");
renameSync(st.pgDir, `${st.pgDir}.lost`);
await fake(st, "POST", "/_fake/config", { webhook_auto: false });
const cus = await fake(st, "POST", "/v1/customers", undefined).catch(() => null);
void cus;
const during = await fake(st, "POST", "/_fake/webhooks/deliver", {});
const whStatus = (during.data || []).map((d) => d.status);
if (!whStatus.length) failures.push("no webhook was delivered while the database was away");
if (whStatus.some((s) => s >= 200 && s < 300))
	failures.push(`a webhook was acknowledged while the database was away (${whStatus.join(",")})`);
const eventIds = (during.data || []).map((d) => d.event);

say("restoring");
const r0 = Date.now();
const stamp = target.toISOString().replace("T", " ").replace("Z", "+00");
execFileSync(path.join(ROOT, "deploy/backup.sh"), ["restore", base, wal, st.pgDir, stamp], { encoding: "utf8" });
if (await stack(st, "pg-start") !== 0) failures.push("PostgreSQL did not start on the restored directory");
let ready = false;
for (let i = 0; i < 100 && !ready; i++) {
	ready = (await http(st, "GET", "/readyz")).status === 200;
	if (!ready) await sleep(200);
}
const restoreMs = Date.now() - r0;
if (!ready) failures.push("the stack did not become ready on the restored cluster");
say(`restored and ready in ${restoreMs} ms`);

// Stripe delivers again: now it is stored, once.
await fake(st, "POST", "/_fake/webhooks/deliver", {});
for (const id of eventIds) {
	const got = psql(st, `SELECT count(*) FROM webhook_events WHERE id = '${id}'`);
	if (got !== "1") failures.push(`webhook ${id} sent while the database was away: stored ${got} times after the restore`);
}

const rows = new Set(psql(st, `SELECT idem_key FROM credit_usage WHERE org_id = ${org}`).split("\n").filter(Boolean));
const ackedBefore = sent.filter((s) => s.ackAt !== null && s.ackAt < target.getTime());
const sentAfter = sent.filter((s) => s.sentAt > target.getTime());
const missing = ackedBefore.filter((s) => !rows.has(s.key));
const extra = sentAfter.filter((s) => rows.has(s.key));
if (missing.length) failures.push(`${missing.length} deductions acknowledged before the target are missing (${missing.slice(0, 3).map((s) => s.key)})`);
if (extra.length) failures.push(`${extra.length} deductions sent after the target are in the restored ledger`);
try { cli(st, ["verify-ledger"]); } catch (e) { failures.push(`verify-ledger: ${e.stdout || e.message}`); }
try { cli(st, ["stripe", "reconcile"]); } catch (e) { failures.push(`stripe reconcile: ${e.stderr || e.message}`); }
// The stack takes writes again.
const after = await http(st, "POST", `${API}/credits/${org}/deduct`, {
	headers: { authorization: `Bearer ${key}`, "idempotency-key": `${tag}-after` },
	json: { user_id: Number(uid), amount: 1, service: "restore" },
});
if (after.status !== 200) failures.push(`a deduction after the restore answered ${after.status}`);

console.log(`restore: ${sent.length} deductions sent, ${ackedBefore.length} acknowledged before the target, ` +
	`${rows.size} in the restored ledger; base backup ${backupMs} ms, restore to ready ${restoreMs} ms; ` +
	`webhooks during the outage answered ${whStatus.join(",") || "-"} and were stored after it`);
if (failures.length) {
	console.log(`restore: FAILED\n  ${failures.join("\n  ")}`);
	process.exit(1);
}
console.log("restore: every check holds");
