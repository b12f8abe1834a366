#!/usr/bin/env node
// Reads PKCS#12 files with node-forge exactly as the public TypeScript INSi client does (the
// certificate chain, the key, the OU it sends as Emetteur) and prints one JSON line per file.
// Usage: node read-p12.mjs PASSWORD FILE...; exit 1 if any file cannot be read.
// INSI_PEER_MODULES: the node_modules directory holding node-forge (scripts/peer-tier sets it).
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const modules = process.env.INSI_PEER_MODULES || join(here, 'node_modules');
const require = createRequire(join(modules, '..', 'package.json'));
const forge = require('node-forge');
const version = require('node-forge/package.json').version;

const [password, ...files] = process.argv.slice(2);
let failed = false;
for (const file of files) {
  try {
    const der = readFileSync(file).toString('binary');
    const p12 = forge.pkcs12.pkcs12FromAsn1(forge.asn1.fromDer(der), false, password);
    const certs = (p12.getBags({ bagType: forge.pki.oids.certBag })[forge.pki.oids.certBag] || []).map((b) => b.cert);
    const keys = (p12.getBags({ bagType: forge.pki.oids.pkcs8ShroudedKeyBag })[forge.pki.oids.pkcs8ShroudedKeyBag] || []).map((b) => b.key);
    // node-forge leaves cert/key null when it cannot decode them (an ECDSA key, for instance).
    if (certs.length === 0 || certs.some((c) => !c)) throw new Error('a certificate bag could not be decoded (node-forge reads RSA only)');
    if (keys.length !== 1 || !keys[0]) throw new Error('the private key could not be decoded (node-forge reads RSA only)');
    const field = (c, name) => { const f = c.subject.getField(name); return f ? f.value : undefined; };
    const leaf = certs.find((c) => c.publicKey.n.equals(keys[0].n));
    console.log(JSON.stringify({
      file, 'node-forge': version, ok: true, key: `RSA-${keys[0].n.bitLength()}`,
      leaf_cn: leaf && field(leaf, 'CN'), emetteur: leaf && field(leaf, 'OU'),
      chain: certs.map((c) => field(c, 'CN')),
    }));
  } catch (err) {
    failed = true;
    console.log(JSON.stringify({ file, 'node-forge': version, ok: false, error: err.message }));
  }
}
process.exit(failed ? 1 : 0);
