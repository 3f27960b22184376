// End-to-end: the built-in JWT authenticator with OIDC discovery against a
// local test issuer (node:crypto keys, a discovery document and a JWKS on
// loopback), the owner policy, and the official JS SDK, all without Go
// code: what a team with an identity provider configures.
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { generateKeyPairSync, sign as cryptoSign, createHmac } from "node:crypto";
import { startServer, statusOf, clientWithToken } from "../harness.js";
import { ownerIsolation } from "../suites/owner.js";

const b64 = (v) => Buffer.from(typeof v === "string" ? v : JSON.stringify(v)).toString("base64url");

function rsaKey(kid) {
  const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  return { kid, privateKey, jwk: { ...publicKey.export({ format: "jwk" }), kid, alg: "RS256", use: "sig" } };
}

/** A local OIDC issuer: discovery, a JWKS whose keys can be rotated, and a token minter. */
async function testIssuer() {
  const state = { keys: [rsaKey("key-1")], jwksFetches: 0 };
  const srv = createServer((req, res) => {
    const json = (body) => res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body));
    if (req.url === "/.well-known/openid-configuration") {
      json({ issuer: iss, jwks_uri: `${iss}/jwks`, id_token_signing_alg_values_supported: ["RS256"] });
    } else if (req.url === "/jwks") {
      state.jwksFetches++;
      json({ keys: state.keys.map((k) => k.jwk) });
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise((r) => srv.listen(0, "127.0.0.1", r));
  const iss = `http://127.0.0.1:${srv.address().port}`;
  const now = () => Math.floor(Date.now() / 1000);
  /** Mints an RS256 token for sub, with claim overrides and header overrides. */
  function mint(sub, claims = {}, { key = state.keys[0], header = {} } = {}) {
    const h = { alg: "RS256", typ: "JWT", kid: key.kid, ...header };
    const p = { iss, aud: "agentgate", sub, name: sub.toUpperCase(), scope: "threads:read threads:write", iat: now(), nbf: now(), exp: now() + 600, ...claims };
    const input = `${b64(h)}.${b64(p)}`;
    return `${input}.${cryptoSign("sha256", Buffer.from(input), key.privateKey).toString("base64url")}`;
  }
  return { iss, state, mint, now, close: () => new Promise((r) => srv.close(r)) };
}

describe("built-in JWT authenticator (OIDC discovery, local issuer) + owner policy, no code", () => {
  let idp;
  let srv;
  before(async () => {
    idp = await testIssuer();
    srv = await startServer("memory", {
      configJSON: {
        graphs: { chatbot: "builtin:chatbot" },
        auth: {
          authenticators: [{
            type: "jwt", issuer: idp.iss, audience: "agentgate", oidc_discovery: true, algorithms: ["RS256"],
            jwks_min_refetch_seconds: 1,
            claims: { identity: "sub", display_name: "name", permissions: ["scope"] },
          }],
          policy: "owner",
        },
      },
    });
  });
  after(async () => {
    if (srv) {
      const { code, signal } = await srv.stop();
      assert.equal(code, 0, `agentgate exited with ${code ?? signal}; stderr:\n${srv.stderr()}`);
    }
    await idp?.close();
  });

  // Tokens are minted when each test runs (they expire in 10 minutes).
  const alice = () => idp.mint("alice");
  const bob = () => idp.mint("bob");
  ownerIsolation(() => srv, ["alice", "bob"], "chatbot", {
    as: (url, who) => clientWithToken(url, who === null ? null : who === "alice" || who === "bob" ? idp.mint(who) : who),
  });

  test("the identity and permissions come from the token's claims", async () => {
    const t = await clientWithToken(srv.url, alice()).threads.create({ metadata: { owner: "mallory" } });
    assert.equal(t.metadata.owner, "alice");
  });

  const rejected = {
    "expired (beyond the leeway)": () => idp.mint("alice", { exp: idp.now() - 120, iat: idp.now() - 900, nbf: idp.now() - 900 }),
    "not valid yet": () => idp.mint("alice", { nbf: idp.now() + 300 }),
    "issued in the future": () => idp.mint("alice", { iat: idp.now() + 300 }),
    "no exp": () => idp.mint("alice", { exp: undefined }),
    "wrong audience": () => idp.mint("alice", { aud: "someone-else" }),
    "bad signature": () => {
      const t = alice();
      return t.slice(0, -6) + (t.endsWith("AAAAAA") ? "BBBBBB" : "AAAAAA");
    },
    "signed by another key with a known kid": () => idp.mint("alice", {}, { key: { ...rsaKey("key-1") } }),
    "alg none": () => `${b64({ alg: "none", typ: "JWT" })}.${b64({ iss: idp.iss, aud: "agentgate", sub: "alice", exp: idp.now() + 600 })}.`,
    "HS256 signed with the public key (confusion)": () => {
      const input = `${b64({ alg: "HS256", typ: "JWT", kid: "key-1" })}.${b64({ iss: idp.iss, aud: "agentgate", sub: "alice", exp: idp.now() + 600, iat: idp.now() })}`;
      const pem = JSON.stringify(idp.state.keys[0].jwk);
      return `${input}.${createHmac("sha256", pem).update(input).digest("base64url")}`;
    },
    "unknown kid": () => idp.mint("alice", {}, { key: rsaKey("never-published") }),
    "malformed": () => "eyJhbGciOi.not-a-jwt",
    "oversized": () => idp.mint("alice", { padding: "x".repeat(9000) }),
  };
  for (const [name, token] of Object.entries(rejected)) {
    test(`${name}: 401 with WWW-Authenticate`, async () => {
      const r = await fetch(`${srv.url}/threads/search`, {
        method: "POST", body: "{}", headers: { "content-type": "application/json", authorization: `Bearer ${token()}` },
      });
      const text = await r.text();
      assert.equal(r.status, 401, text);
      assert.match(r.headers.get("www-authenticate") ?? "", /^Bearer/);
      assert.equal(typeof JSON.parse(text).detail, "string");
    });
  }

  test("key rotation: a token signed by a newly published key is accepted after a JWKS refetch", async () => {
    const first = idp.state.keys[0];
    const next = rsaKey("key-2");
    idp.state.keys.push(next);
    await new Promise((r) => setTimeout(r, 1100)); // jwks_min_refetch_seconds: 1
    const fetches = idp.state.jwksFetches;
    const t = await clientWithToken(srv.url, idp.mint("carol", {}, { key: next })).threads.create();
    assert.equal(t.metadata.owner, "carol");
    assert.ok(idp.state.jwksFetches > fetches, "the JWKS was not fetched again for the unknown kid");
    // The old key still works while it is published.
    assert.equal((await clientWithToken(srv.url, alice()).threads.search()).constructor, Array);
    // Retired: tokens signed with the old key stop working once it is gone.
    idp.state.keys = [next];
    await new Promise((r) => setTimeout(r, 1100));
    // A token with an unknown kid makes the server refetch; then key-1 is unknown.
    const before = idp.state.jwksFetches;
    assert.equal(await statusOf(clientWithToken(srv.url, idp.mint("alice", {}, { key: rsaKey("key-3") })).threads.search()), 401, "unknown kid key-3");
    assert.ok(idp.state.jwksFetches > before, "no refetch for key-3");
    await new Promise((r) => setTimeout(r, 1100));
    assert.equal(await statusOf(clientWithToken(srv.url, idp.mint("alice", {}, { key: first })).threads.search()), 401, "retired key-1");
    assert.equal((await clientWithToken(srv.url, idp.mint("alice", {}, { key: next })).threads.search()).constructor, Array);
  });
});
