// A standards-compliant OpenID Connect provider (the `oidc-provider` package) on loopback, for the single sign-on
// tests. Configured by environment variables:
//   OIDC_PORT      the port to listen on (127.0.0.1); the issuer is http://127.0.0.1:<port>
//   OIDC_CLIENTS   JSON list of client registrations (client_id, client_secret, redirect_uris, ...)
//   OIDC_ACCOUNTS  JSON object: login -> the claims of that account (email, email_verified, name, groups, ...)
// The login form accepts any password for a listed login (the package's development interactions).
//
// POST /test/tamper?mode=MODE makes the next token response carry an altered ID token, to check that the client
// refuses it: `forged` (the same claims signed by a key the provider never published, under the published key's
// id), `expired` (signed by the provider's own key, expired an hour ago), `audience` (signed by the provider's own
// key, issued to another client), `nonce` (signed by the provider's own key, carrying another nonce).
import * as jose from 'jose';
import Provider from 'oidc-provider';

const port = Number(process.env.OIDC_PORT);
const issuer = `http://127.0.0.1:${port}`;
const clients = JSON.parse(process.env.OIDC_CLIENTS ?? '[]');
const accounts = JSON.parse(process.env.OIDC_ACCOUNTS ?? '{}');

async function signingKey(alg, kid) {
  const { privateKey } = await jose.generateKeyPair(alg, { extractable: true });
  return { ...(await jose.exportJWK(privateKey)), kid, alg, use: 'sig' };
}

const published = [await signingKey('RS256', 'rsa-1'), await signingKey('ES256', 'ec-1')];
const unpublished = [await signingKey('RS256', 'rsa-1'), await signingKey('ES256', 'ec-1')];
const keyFor = (keys, alg) => jose.importJWK(keys.find((key) => key.alg === alg), alg);

const provider = new Provider(issuer, {
  clients,
  jwks: { keys: published },
  cookies: { keys: ['callintel-test-provider-cookie-key'] },
  scopes: ['openid', 'offline_access', 'email', 'profile', 'groups'],
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name', 'preferred_username', 'locale'],
    groups: ['groups'],
  },
  features: { devInteractions: { enabled: true } },
  pkce: { required: () => true },
  async findAccount(ctx, sub) {
    if (!Object.hasOwn(accounts, sub)) return undefined;
    return { accountId: sub, claims: async () => ({ sub, ...accounts[sub] }) };
  },
});

let tamper = null;
const now = () => Math.floor(Date.now() / 1000);

async function tampered(idToken, mode) {
  const header = jose.decodeProtectedHeader(idToken);
  const claims = jose.decodeJwt(idToken);
  let key = await keyFor(published, header.alg);
  if (mode === 'forged') key = await keyFor(unpublished, header.alg);
  if (mode === 'expired') Object.assign(claims, { iat: now() - 7200, exp: now() - 3600 });
  if (mode === 'audience') claims.aud = 'another-client';
  if (mode === 'nonce') claims.nonce = 'another-nonce';
  return new jose.SignJWT(claims).setProtectedHeader({ alg: header.alg, kid: header.kid, typ: 'JWT' }).sign(key);
}

provider.use(async (ctx, next) => {
  if (ctx.method === 'POST' && ctx.path === '/test/tamper') {
    tamper = ctx.query.mode;
    ctx.status = 204;
    return;
  }
  await next();
  if (tamper && ctx.path === '/token' && ctx.status === 200 && ctx.body?.id_token) {
    ctx.body = { ...ctx.body, id_token: await tampered(ctx.body.id_token, tamper) };
    tamper = null;
  }
});

provider.listen(port, '127.0.0.1', () => console.log(`oidc provider listening at ${issuer}`));
