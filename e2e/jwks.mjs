// An app back end verifying zhanghao access tokens with the standard `jose`
// library, from the public keys of GET /.well-known/jwks.json and nothing
// else (no shared secret). Run by tests/it/jwks.rs, which passes:
//   ZHANGHAO_JWKS_URL   the JWKS address
//   ZHANGHAO_ISSUER, ZHANGHAO_AUDIENCE, ZHANGHAO_ALG   what the back end pins
//   ZHANGHAO_NOW        the server's clock, seconds (the test moves it)
//   ZHANGHAO_CASES      JSON [{ "name", "token", "expect": "valid" | "invalid" }]
// Prints one line per case and exits 1 when any case is not as expected.
import { createRemoteJWKSet, importJWK, jwtVerify } from "jose";

const url = new URL(process.env.ZHANGHAO_JWKS_URL);
const alg = process.env.ZHANGHAO_ALG;
const cases = JSON.parse(process.env.ZHANGHAO_CASES);
const currentDate = new Date(Number(process.env.ZHANGHAO_NOW) * 1000);

// Every published key must import as a public key of the pinned algorithm.
const set = await (await fetch(url)).json();
for (const jwk of set.keys) {
  if ("d" in jwk) throw new Error(`the JWKS publishes a private key: ${jwk.kid}`);
  const key = await importJWK(jwk, alg);
  console.log(`published ${jwk.kid} ${jwk.alg} ${key.type}`);
}

const jwks = createRemoteJWKSet(url);
let wrong = 0;
for (const { name, token, expect } of cases) {
  let outcome;
  try {
    const { payload, protectedHeader } = await jwtVerify(token, jwks, {
      issuer: process.env.ZHANGHAO_ISSUER,
      audience: process.env.ZHANGHAO_AUDIENCE,
      algorithms: [alg],
      requiredClaims: ["sub", "iat", "nbf", "exp", "jti"],
      clockTolerance: 30,
      currentDate,
    });
    outcome = `valid (sub ${payload.sub}, kid ${protectedHeader.kid})`;
  } catch (err) {
    outcome = `invalid (${err.code ?? err.message})`;
  }
  const ok = outcome.startsWith(expect);
  if (!ok) wrong += 1;
  console.log(`${ok ? "ok  " : "FAIL"} ${name}: ${outcome}, expected ${expect}`);
}
process.exit(wrong === 0 ? 0 : 1);
