// A real, certified OpenID provider (npm `oidc-provider`, by panva) for the tests: staff and
// customers sign in to Einblick through it. Started per test with a JSON config file:
//   node tests/oidc/provider.mjs CONFIG.json
// { "port": 0, "clients": [{ "client_id", "client_secret", "redirect_uris", "post_logout_redirect_uris" }],
//   "accounts": { "analyst": { "name": …, "email": …, "groups": [...] }, … } }
// Prints "listening <issuer>" once it serves. Signing in: GET /interaction/:uid is a plain form
// (login name), POST /interaction/:uid finishes sign-in and consent at once.
// For tests only: POST /test/fault {"fault": "signature"|"audience"|"expired"|"nonce"|null}
// makes the token endpoint hand out a forged ID token; POST /test/account {"login", "claims"}
// changes an account (e.g. removes a group).
import http from 'node:http';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const tools = createRequire(join(here, '../../.tools/package.json'));
const { default: Provider } = await import(pathToFileURL(tools.resolve('oidc-provider')));
const jose = await import(pathToFileURL(tools.resolve('jose')));

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const accounts = config.accounts;
let fault = null;

const { privateKey } = await jose.generateKeyPair('RS256', { extractable: true });
const signingJwk = { ...(await jose.exportJWK(privateKey)), kid: 'test-key-1', use: 'sig', alg: 'RS256' };

// The port is chosen first, so the issuer can name it.
const server = http.createServer();
await new Promise((resolve) => server.listen(config.port ?? 0, '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;

const provider = new Provider(issuer, {
  clients: config.clients.map((c) => ({
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
    ...c,
  })),
  jwks: { keys: [signingJwk] },
  pkce: { required: () => true },
  scopes: ['openid', 'email', 'profile', 'groups', 'customer'],
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name', 'locale', 'zoneinfo'],
    groups: ['groups', 'roles'],
    customer: ['customer_number'],
  },
  conformIdTokenClaims: false,
  cookies: { keys: ['einblick-test-provider-cookie-key'] },
  features: { devInteractions: { enabled: false }, rpInitiatedLogout: { enabled: true } },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  findAccount: (ctx, id) => ({
    accountId: id,
    claims: () => ({ sub: id, ...(accounts[id] ?? {}) }),
  }),
  ttl: { IdToken: 300, AccessToken: 300, AuthorizationCode: 60, Interaction: 600, Session: 600, Grant: 600 },
});
provider.proxy = false;

// Forged ID tokens, signed with the provider's own key where the forgery needs it.
async function forge(idToken) {
  const [header, payload, signature] = idToken.split('.');
  if (fault === 'signature') {
    const flipped = (signature[5] === 'A' ? 'B' : 'A');
    return `${header}.${payload}.${signature.slice(0, 5)}${flipped}${signature.slice(6)}`;
  }
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
  const now = Math.floor(Date.now() / 1000);
  if (fault === 'audience') claims.aud = 'another-application';
  if (fault === 'expired') { claims.iat = now - 7200; claims.exp = now - 3600; }
  if (fault === 'nonce') claims.nonce = 'not-the-nonce-that-was-sent';
  return new jose.SignJWT(claims)
    .setProtectedHeader({ alg: 'RS256', kid: signingJwk.kid })
    .sign(privateKey);
}
provider.use(async (ctx, next) => {
  await next();
  if (ctx.path === '/token' && fault && ctx.body && ctx.body.id_token) {
    ctx.body = { ...ctx.body, id_token: await forge(ctx.body.id_token) };
  }
});

function readBody(req) {
  return new Promise((resolve) => {
    let data = '';
    req.on('data', (chunk) => { data += chunk; });
    req.on('end', () => resolve(data));
  });
}

const escape = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const callback = provider.callback();

server.on('request', async (req, res) => {
  try {
    const url = new URL(req.url, issuer);
    if (url.pathname === '/test/fault' && req.method === 'POST') {
      fault = JSON.parse(await readBody(req)).fault ?? null;
      res.writeHead(204).end();
      return;
    }
    if (url.pathname === '/test/account' && req.method === 'POST') {
      const { login, claims } = JSON.parse(await readBody(req));
      accounts[login] = claims;
      res.writeHead(204).end();
      return;
    }
    const interaction = url.pathname.match(/^\/interaction\/([^/]+)$/);
    if (interaction && req.method === 'GET') {
      const details = await provider.interactionDetails(req, res);
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
      res.end(`<!DOCTYPE html><html lang="en"><head><title>Test identity provider</title></head><body>
        <h1>Test identity provider</h1><p>Sign in to ${escape(details.params.client_id)}</p>
        <form method="post" action="/interaction/${escape(details.uid)}">
          <label>Login <input name="login" autofocus></label>
          <button type="submit">Sign in</button>
        </form></body></html>`);
      return;
    }
    if (interaction && req.method === 'POST') {
      const details = await provider.interactionDetails(req, res);
      const login = new URLSearchParams(await readBody(req)).get('login') ?? '';
      const grant = new provider.Grant({ accountId: login, clientId: details.params.client_id });
      grant.addOIDCScope(details.params.scope);
      const grantId = await grant.save();
      await provider.interactionFinished(req, res, {
        login: { accountId: login },
        consent: { grantId },
      }, { mergeWithLastSubmission: false });
      return;
    }
    callback(req, res);
  } catch (error) {
    res.writeHead(500, { 'Content-Type': 'text/plain' });
    res.end(String(error && error.stack || error));
  }
});
console.log(`listening ${issuer}`);
