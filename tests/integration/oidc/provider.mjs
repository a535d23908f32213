// A real third-party OpenID provider (the npm package oidc-provider) for
// postern's integration test: it issues JWT access tokens (RFC 9068) with
// the client_credentials grant, for the resource indicators below. Test use
// only: loopback, keys generated at start, a fixed client secret.
//
// usage: node provider.mjs PORT   (prints "listening ISSUER" when ready)
import { generateKeyPairSync } from 'node:crypto';
import Provider, { errors } from 'oidc-provider';

const port = Number(process.argv[2]);
if (!Number.isInteger(port) || port <= 0 || port > 65535) {
  console.error('usage: node provider.mjs PORT');
  process.exit(2);
}
const issuer = `http://127.0.0.1:${port}`;
// resource indicator (RFC 8707) -> signing algorithm; both have aud orders-api
const RESOURCES = {
  'urn:postern:orders-api': 'RS256',
  'urn:postern:orders-api:es256': 'ES256',
};
// a real token for another service (aud billing-api), which postern must refuse
const OTHER_RESOURCE = 'urn:postern:billing-api';

function signingKey(type, options, alg) {
  const { privateKey } = generateKeyPairSync(type, options);
  return { ...privateKey.export({ format: 'jwk' }), use: 'sig', alg };
}

const configuration = {
  clients: [
    {
      client_id: 'postern-test',
      client_secret: 'postern-test-secret',
      grant_types: ['client_credentials'],
      redirect_uris: [],
      response_types: [],
      token_endpoint_auth_method: 'client_secret_basic',
    },
  ],
  jwks: {
    keys: [
      signingKey('rsa', { modulusLength: 2048 }, 'RS256'),
      signingKey('ec', { namedCurve: 'P-256' }, 'ES256'),
    ],
  },
  cookies: { keys: ['postern-test-only-cookie-key'] },
  scopes: ['orders:read'],
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => 'urn:postern:orders-api',
      useGrantedResource: () => true,
      getResourceServerInfo(ctx, resourceIndicator) {
        const alg = resourceIndicator === OTHER_RESOURCE ? 'RS256' : RESOURCES[resourceIndicator];
        if (!alg) {
          throw new errors.InvalidTarget();
        }
        return {
          scope: 'orders:read',
          audience: resourceIndicator === OTHER_RESOURCE ? 'billing-api' : 'orders-api',
          accessTokenTTL: 300,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg } },
        };
      },
    },
  },
};

const provider = new Provider(issuer, configuration);
const server = provider.listen(port, '127.0.0.1', () => {
  console.log(`listening ${issuer}`);
});
for (const sig of ['SIGTERM', 'SIGINT']) {
  process.on(sig, () => server.close(() => process.exit(0)));
}
