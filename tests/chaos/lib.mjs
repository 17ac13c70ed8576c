// The fault drill's pieces: the stack's settings, HTTP through nginx, the
// Stripe fake's controls, the CLI, and the faults themselves (each a
// function that injects one and returns when the stack has been told to
// recover, as systemd or an operator would).
import { execFile, execFileSync } from "node:child_process";
import { readFileSync, existsSync, rmSync } from "node:fs";
import path from "node:path";

process.env.NODE_TLS_REJECT_UNAUTHORIZED = "0";	// the stack's self-signed certificate

export const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), "../..");
export const sleep = (ms) => new Promise((ok) => setTimeout(ok, ms));

// The stack under RUN: its env file and where its processes keep pids.
export function stackOf(run, bin) {
	const env = Object.fromEntries(readFileSync(path.join(run, "orgbill.env"), "utf8").split("\n")
		.filter((l) => /^[A-Z_]+=/.test(l)).map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]));
	const shared = existsSync(path.join(run, "shared-dir")) ? readFileSync(path.join(run, "shared-dir"), "utf8").trim() : "";
	return {
		run, bin, env, base: env.ORGBILL_PUBLIC_URL, fake: env.STRIPE_API_BASE,
		pgDir: process.env.OB_PG_DIR || (shared ? path.join(shared, "pg") : path.join(run, "pg")),
		pid: (name) => Number(readFileSync(path.join(run, "pids", `${name}.pid`), "utf8").trim()),
		// A small file system of its own under the cluster (run.sh mounts
		// one when it runs as root): the disk that fills up.
		walMount: process.env.OB_CHAOS_WAL_MOUNT || "",
	};
}

// orgbill CLI against the stack (stdin optional); its output, trimmed.
export function cli(st, args, input) {
	return execFileSync(path.join(st.bin, "orgbill"), ["--config", path.join(st.run, "orgbill.env"), ...args],
		{ input: input ?? "", encoding: "utf8", stdio: ["pipe", "pipe", "pipe"] }).trim();
}

export function psql(st, sql) {
	return execFileSync("psql", ["-XAtq", "-v", "ON_ERROR_STOP=1", st.env.DATABASE_URL, "-c", sql],
		{ encoding: "utf8" }).trim();
}

// deploy/stack.sh COMMAND RUN [ARG]: resolves with its exit status.
export function stack(st, cmd, arg) {
	return new Promise((ok) => {
		execFile(path.join(ROOT, "deploy/stack.sh"), [cmd, st.run, ...(arg ? [arg] : [])],
			{ env: { ...process.env } }, (err) => ok(err ? (err.code ?? 1) : 0));
	});
}

// One HTTP exchange through nginx: {status, body, ms}; status 0 when no
// answer came (connection refused or reset, timeout).
export async function http(st, method, p, { headers = {}, json, form, timeout = 15000 } = {}) {
	const t0 = Date.now();
	try {
		const r = await fetch(`${st.base}${p}`, {
			method, redirect: "manual", signal: AbortSignal.timeout(timeout),
			headers: { ...(json !== undefined ? { "content-type": "application/json" } : {}),
				...(form ? { "content-type": "application/x-www-form-urlencoded", origin: st.base } : {}), ...headers },
			body: json !== undefined ? JSON.stringify(json) : form ? new URLSearchParams(form) : undefined,
		});
		const text = await r.text();
		let body = text;
		try { body = JSON.parse(text); } catch { /* a page */ }
		return { status: r.status, body, ms: Date.now() - t0, headers: r.headers };
	} catch (e) {
		return { status: 0, body: String(e.cause?.code || e.name || e), ms: Date.now() - t0 };
	}
}

// The Stripe fake's control and API endpoints.
export async function fake(st, method, p, body, timeout = 30000) {
	const r = await fetch(`${st.fake}${p}`, {
		method, headers: { "content-type": "application/json", authorization: `Bearer ${st.env.STRIPE_SECRET_KEY}` },
		body: body ? JSON.stringify(body) : undefined, signal: AbortSignal.timeout(timeout),
	});
	return r.json();
}

// A console session for a person (cookie jar and CSRF token), used for
// the actions only people may take (buying credits).
export async function signIn(st, email, password) {
	const jar = new Map();
	const keep = (r) => {
		for (const c of r.headers?.getSetCookie?.() ?? []) {
			const [kv] = c.split(";");
			jar.set(kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1));
		}
	};
	const cookie = () => [...jar].map(([k, v]) => `${k}=${v}`).join("; ");
	const login = await http(st, "GET", "/login");
	keep(login);
	const token = (String(login.body).match(/name="login_token" value="([^"]*)"/) || [])[1];
	const r = await http(st, "POST", "/login", { headers: { cookie: cookie() }, form: { login_token: token, email, password } });
	keep(r);
	if (r.status !== 303) throw new Error(`sign-in as ${email}: ${r.status}`);
	const home = await http(st, "GET", "/", { headers: { cookie: cookie() } });
	const csrf = (String(home.body).match(/name="csrf" value="([^"]*)"/) || [])[1];
	return { headers: () => ({ cookie: cookie(), origin: st.base, "x-csrf-token": csrf }) };
}

function killPid(pid, sig = "SIGKILL") {
	if (!Number.isInteger(pid) || pid <= 1) return false;	// never a process group
	try { process.kill(pid, sig); return true; } catch { return false; }
}

function children(pid) {
	try {
		return execFileSync("pgrep", ["-P", String(pid)], { encoding: "utf8" }).split("\n").filter(Boolean).map(Number);
	} catch { return []; }
}

function postmaster(st) {
	return Number(readFileSync(path.join(st.pgDir, "postmaster.pid"), "utf8").split("\n")[0]);
}

// pg-start until it succeeds (after a kill -9 the old backends take a
// moment to notice their postmaster is gone and let go of shared memory).
async function pgStart(st) {
	for (let i = 0; i < 60; i++) {
		if (await stack(st, "pg-start") === 0) return;
		await sleep(500);
	}
	throw new Error("PostgreSQL did not restart");
}

// The faults: name → async function(st) that injects it and recovers.
export const FAULTS = {
	"pg kill -9": async (st) => { killPid(postmaster(st)); await sleep(1000); await pgStart(st); },
	"pg backend kill -9": async (st) => {
		// One client backend (a worker's connection): PostgreSQL restarts
		// every process and recovers, as after a crash.
		const pids = psql(st, "SELECT pid FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()")
			.split("\n").filter(Boolean).map(Number);
		killPid(pids[0] ?? 0);
		await sleep(500);
	},
	"pg fast restart": async (st) => { await stack(st, "pg-restart"); },
	"app worker kill -9": async (st) => { children(st.pid("app")).forEach((p) => killPid(p)); await sleep(300); },
	"app master kill -9": async (st) => {
		killPid(st.pid("app"));
		await sleep(1000);
		await stack(st, "pool-restart", "app");
	},
	"webhook master kill -9": async (st) => {
		killPid(st.pid("webhook"));
		await sleep(1000);
		await stack(st, "pool-restart", "webhook");
	},
	"nginx reload": async (st) => { await stack(st, "nginx-reload"); },
	"nginx restart": async (st) => { await stack(st, "nginx-restart"); },
	"disk full under PostgreSQL": async (st) => {
		if (!st.walMount) return "skipped: needs root to mount a small file system";
		// Fill it: PostgreSQL cannot extend a table (the write fails, 503)
		// or write WAL (PANIC and restart); then free it and start
		// PostgreSQL again if it gave up meanwhile.
		try {
			execFileSync("dd", ["if=/dev/zero", `of=${st.walMount}/fill`, "bs=1M"], { stdio: "ignore" });
		} catch { /* "No space left on device": full */ }
		await sleep(4000);
		rmSync(`${st.walMount}/fill`, { force: true });
		await pgStart(st);
		return "";
	},
	"stripe 500s": async (st) => {
		await fake(st, "POST", "/_fake/faults", { status: 500, count: 3 });
		await sleep(2000);
	},
	"stripe 429s": async (st) => {
		await fake(st, "POST", "/_fake/faults", { status: 429, count: 3, retry_after: "1" });
		await sleep(2000);
	},
	"stripe connection resets": async (st) => {
		await fake(st, "POST", "/_fake/faults", { drop: true, count: 2 });
		await sleep(2000);
	},
	"stripe timeout after charge": async (st) => {
		await fake(st, "POST", "/_fake/faults", { method: "POST", path_prefix: "/v1/invoices", delay_ms: 40000, count: 1 });
		await sleep(2000);
	},
};
