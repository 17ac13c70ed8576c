// A real OpenID Connect provider (the oidc-provider package) on loopback
// for orgbill's single sign-on tests; deploy/stack.sh starts it when
// OB_OIDC_PORT is set (tests/run-all.sh sets it). docs/SSO.md.
//
// Environment:
//   OIDC_PORT            the port (issuer http://127.0.0.1:OIDC_PORT)
//   OIDC_REDIRECT_URI    orgbill's callback, https://localhost:PORT/sso/callback
//
// Clients (client_secret_basic): "orgbill-rs" signs ID tokens with RS256,
// "orgbill-es" with ES256; their secrets are "<client id>-secret".
//
// Signing in needs no page: the interaction signs in the account the tests
// chose last (POST /_test/account), and a first-party grant is made at once.
// Test-only controls, on loopback only:
//   POST /_test/account  {"sub","email","email_verified"}: who signs in next
//   POST /_test/rotate   new RS256 and ES256 keys with new kids sign from now
//                        on (the old keys stay published after them)
//   GET  /_test/kids     the kids the provider signs with now
//   POST /_test/bad      {"mode"}: the next ID token of the "bad" issuer
//                        (below) is minted wrong on purpose: wrong_aud,
//                        expired, bad_signature, wrong_nonce, unknown_kid
//
// The "bad" issuers, http://127.0.0.1:OIDC_PORT/bad and /bad-NAME (any
// NAME of letters, digits and dashes: a fresh issuer for a test that needs
// caches empty), are a tiny provider of our own with the same clients: its
// authorization endpoint answers with a code at once, its token endpoint
// returns an ID token minted here with its own key, broken the way
// /_test/bad says (a real provider cannot be made to issue such tokens).
// An issuer whose NAME contains "jwksdown" answers 503 for its JWKS.
//   GET /_test/bad-stats?issuer=bad-NAME  {"jwks": how often its JWKS was fetched}
import http from 'node:http';
import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';

import Provider from 'oidc-provider';
import { SignJWT, importJWK } from 'jose';

const port = Number(process.env.OIDC_PORT || 12190);
const issuer = `http://127.0.0.1:${port}`;
const redirectUri = process.env.OIDC_REDIRECT_URI || 'https://localhost:18443/sso/callback';

let account = { sub: 'alice-sub', email: 'alice@sso-acme.test', email_verified: true };
let generation = 0;
let keys = [];

function newKeys() {
  generation += 1;
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
  return [
    { ...rsa, kid: `rs-${generation}-${randomUUID().slice(0, 8)}`, use: 'sig', alg: 'RS256' },
    { ...ec, kid: `es-${generation}-${randomUUID().slice(0, 8)}`, use: 'sig', alg: 'ES256' },
  ];
}

const clients = [
  {
    client_id: 'orgbill-rs',
    client_secret: 'orgbill-rs-secret',
    redirect_uris: [redirectUri],
    id_token_signed_response_alg: 'RS256',
    token_endpoint_auth_method: 'client_secret_basic',
  },
  {
    client_id: 'orgbill-es',
    client_secret: 'orgbill-es-secret',
    redirect_uris: [redirectUri],
    id_token_signed_response_alg: 'ES256',
    token_endpoint_auth_method: 'client_secret_basic',
  },
];

function makeProvider() {
  const p = new Provider(issuer, {
    clients,
    jwks: { keys },
    cookies: { keys: [randomBytes(32).toString('hex')] },
    claims: { openid: ['sub'], email: ['email', 'email_verified'] },
    conformIdTokenClaims: false,
    features: { devInteractions: { enabled: false } },
    pkce: { required: () => true },
    interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
    async findAccount(ctx, id) {
      return {
        accountId: id,
        async claims() {
          if (id !== account.sub) return { sub: id };
          return { sub: id, email: account.email, email_verified: account.email_verified };
        },
      };
    },
    async loadExistingGrant(ctx) {
      const id = ctx.oidc.result?.consent?.grantId
        || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
      if (id) return ctx.oidc.provider.Grant.find(id);
      const grant = new ctx.oidc.provider.Grant({
        clientId: ctx.oidc.client.clientId,
        accountId: ctx.oidc.session.accountId,
      });
      grant.addOIDCScope('openid email');
      await grant.save();
      return grant;
    },
  });
  p.on('server_error', (ctx, err) => console.error('oidc server_error', err));
  return p;
}

keys = newKeys();
let provider = makeProvider();
let handler = provider.callback();

// ---- the "bad" issuer ------------------------------------------------------

const bad = { mode: '', codes: new Map(), key: newKeys()[0], other: newKeys()[0], fetches: new Map() };

function publicJwk(k) {
  const { d, p, q, dp, dq, qi, ...pub } = k; // eslint-disable-line no-unused-vars
  return pub;
}

async function mintBad(badIssuer, clientId, nonce) {
  const now = Math.floor(Date.now() / 1000);
  const mode = bad.mode;
  bad.mode = '';
  let claims = {
    iss: badIssuer, sub: account.sub, aud: clientId, iat: now, exp: now + 300,
    nonce, email: account.email, email_verified: account.email_verified,
  };
  let signer = bad.key;
  let kid = bad.key.kid;
  if (mode === 'wrong_aud') claims.aud = 'some-other-client';
  if (mode === 'expired') claims = { ...claims, iat: now - 900, exp: now - 600 };
  if (mode === 'wrong_nonce') claims.nonce = 'not-the-nonce-we-were-sent';
  if (mode === 'bad_signature') signer = bad.other; // signed by a key not in the JWKS, same kid
  if (mode === 'unknown_kid') { signer = bad.other; kid = bad.other.kid; }
  const key = await importJWK(signer, 'RS256');
  return new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid }).sign(key);
}

function json(res, status, body) {
  res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
  res.end(JSON.stringify(body));
}

async function readBody(req) {
  let s = '';
  for await (const c of req) s += c;
  return s;
}

async function badRoutes(req, res, url) {
  const name = url.pathname.split('/')[1];
  const badIssuer = `${issuer}/${name}`;
  const path = url.pathname.slice(name.length + 1);
  if (path === '/.well-known/openid-configuration') {
    return json(res, 200, {
      issuer: badIssuer,
      authorization_endpoint: `${badIssuer}/auth`,
      token_endpoint: `${badIssuer}/token`,
      jwks_uri: `${badIssuer}/jwks`,
      response_types_supported: ['code'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['RS256'],
      token_endpoint_auth_methods_supported: ['client_secret_basic'],
      code_challenge_methods_supported: ['S256'],
    });
  }
  if (path === '/jwks') {
    bad.fetches.set(name, (bad.fetches.get(name) || 0) + 1);
    if (name.includes('jwksdown')) return json(res, 503, { error: 'unavailable' });
    return json(res, 200, { keys: [publicJwk(bad.key)] });
  }
  if (path === '/auth') {
    const q = url.searchParams;
    const code = randomUUID();
    bad.codes.set(code, { nonce: q.get('nonce'), client: q.get('client_id') });
    const to = new URL(q.get('redirect_uri'));
    to.searchParams.set('code', code);
    to.searchParams.set('state', q.get('state'));
    to.searchParams.set('iss', badIssuer);
    res.writeHead(303, { Location: to.toString() });
    return res.end();
  }
  if (path === '/token' && req.method === 'POST') {
    const form = new URLSearchParams(await readBody(req));
    const got = bad.codes.get(form.get('code'));
    bad.codes.delete(form.get('code'));
    if (!got) return json(res, 400, { error: 'invalid_grant' });
    return json(res, 200, {
      access_token: randomUUID(), token_type: 'Bearer', expires_in: 300,
      id_token: await mintBad(badIssuer, got.client, got.nonce),
    });
  }
  return json(res, 404, { error: 'not_found' });
}

// ---- test controls and the interaction -------------------------------------

async function testRoutes(req, res, url) {
  if (url.pathname === '/_test/account' && req.method === 'POST') {
    account = { ...account, ...JSON.parse(await readBody(req)) };
    return json(res, 200, account);
  }
  if (url.pathname === '/_test/rotate' && req.method === 'POST') {
    keys = [...newKeys(), ...keys.slice(0, 2)];
    provider = makeProvider();
    handler = provider.callback();
    return json(res, 200, { kids: keys.slice(0, 2).map((k) => k.kid) });
  }
  if (url.pathname === '/_test/kids') return json(res, 200, { kids: keys.slice(0, 2).map((k) => k.kid) });
  if (url.pathname === '/_test/bad-stats') {
    return json(res, 200, { jwks: bad.fetches.get(url.searchParams.get('issuer')) || 0 });
  }
  if (url.pathname === '/_test/bad' && req.method === 'POST') {
    bad.mode = JSON.parse(await readBody(req)).mode || '';
    return json(res, 200, { mode: bad.mode });
  }
  return json(res, 404, { error: 'not_found' });
}

async function interaction(req, res) {
  const details = await provider.interactionDetails(req, res);
  let result;
  if (details.prompt.name === 'login') {
    result = { login: { accountId: account.sub } };
  } else {
    result = { consent: {} };
  }
  await provider.interactionFinished(req, res, result, { mergeWithLastSubmission: false });
}

const server = http.createServer(async (req, res) => {
  const url = new URL(req.url, issuer);
  try {
    if (url.pathname.startsWith('/_test/')) return await testRoutes(req, res, url);
    if (/^\/bad(-[a-z0-9-]+)?(\/|$)/.test(url.pathname)) return await badRoutes(req, res, url);
    if (url.pathname.startsWith('/interaction/')) return await interaction(req, res);
    return handler(req, res);
  } catch (err) {
    console.error('oidc test server:', err);
    if (!res.headersSent) json(res, 500, { error: 'server_error', message: String(err) });
    else res.end();
  }
  return undefined;
});

server.listen(port, '127.0.0.1', () => {
  console.log(`oidc provider on ${issuer}`);
});
