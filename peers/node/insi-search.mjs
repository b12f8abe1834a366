#!/usr/bin/env node
// insi-bench peer driver, Node: one INSi trait search (with the CNDA first-name loop) made by the
// third-party stack a TypeScript publisher client is built on — node-soap for SOAP 1.2 over mTLS,
// node-forge to read the PKCS#12 and take the Emetteur from the certificate OU — against any
// INSi endpoint (insi-bench sim serve by default). Test material, NOT FOR PRODUCTION.
//
// Contract (docs/peers.md), so that `check-client --drive 'CMD'` can run it:
//   input     INSI_NOM, INSI_PRENOMS (space-separated, in order), INSI_SEXE, INSI_NAISSANCE
//             (YYYY-MM-DD), INSI_LIEU (optional COG, sent only after a 02)
//   endpoint  INSI_URL, INSI_P12, INSI_P12_PASSWORD, INSI_CA (PEM bundle to trust), INSI_IDAM
//   optional  INSI_PEER_MODULES (node_modules directory holding soap and node-forge),
//             INSI_WSDL (default ../wsdl/insi-recsans.wsdl), INSI_TIMEOUT_MS (default 10000),
//             INSI_PEER_DEBUG=1 (each request and response XML on stderr)
//   output    one JSON line on stdout: {"peer", "versions", "emetteur", "calls", "cr", "ins",
//             "attempts", ...}; exit 0 on an answer (CR 00/01/02), 3 on a SOAP fault (the JSON
//             line carries it), 2 on a setup error (message on stderr).
// Traits are sent as given: normalising them is the job of the software under test, and this
// driver stands for one that already did.

import { createRequire } from 'node:module';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const modules = process.env.INSI_PEER_MODULES || join(here, 'node_modules');
const require = createRequire(join(modules, '..', 'package.json'));

const OPERATION = 'rechercherInsAvecTraitsIdentite';
const ACTION = `urn:ServiceIdentiteCertifiee:1.0.0:${OPERATION}`;

function fail(message) {
  process.stderr.write(`insi-search (node): ${message}\n`);
  process.exit(2);
}

function env(name, { optional = false } = {}) {
  const value = process.env[name];
  if (value === undefined || value === '') {
    if (optional) return undefined;
    fail(`${name} is not set (see docs/peers.md for the driver contract)`);
  }
  return value;
}

let soap;
let forge;
try {
  soap = require('soap');
  forge = require('node-forge');
} catch (err) {
  fail(`cannot load soap / node-forge from ${modules} (run scripts/peer-tier, or npm ci in peers/node): ${err.message}`);
}
const versions = {
  node: process.versions.node,
  soap: require('soap/package.json').version,
  'node-forge': require('node-forge/package.json').version,
};

// --- the PKCS#12, read as the public TypeScript client does: node-forge, Emetteur = OU ---
function readPkcs12(path, password) {
  const der = readFileSync(path).toString('binary');
  const p12 = forge.pkcs12.pkcs12FromAsn1(forge.asn1.fromDer(der), false, password);
  const keyBags = p12.getBags({ bagType: forge.pki.oids.pkcs8ShroudedKeyBag })[forge.pki.oids.pkcs8ShroudedKeyBag] || [];
  const certBags = p12.getBags({ bagType: forge.pki.oids.certBag })[forge.pki.oids.certBag] || [];
  if (keyBags.length === 0 || !keyBags[0].key) throw new Error('no private key in the PKCS#12');
  // node-forge decodes only RSA keys and certificates: an ECDSA file fails right here.
  const key = keyBags[0].key;
  const leaf = certBags.map((b) => b.cert).find((c) => c && c.publicKey && c.publicKey.n && c.publicKey.n.equals(key.n));
  if (!leaf) throw new Error('no certificate matching the private key in the PKCS#12');
  const ou = leaf.subject.getField('OU');
  const cn = leaf.subject.getField('CN');
  return {
    emetteur: ou ? ou.value : undefined,
    cn: cn ? cn.value : undefined,
    chain: certBags.length,
  };
}

const url = env('INSI_URL');
const p12Path = env('INSI_P12');
const p12Password = env('INSI_P12_PASSWORD');
const caPath = env('INSI_CA');
const idam = env('INSI_IDAM');
const nom = env('INSI_NOM');
const prenoms = env('INSI_PRENOMS').split(' ').filter((p) => p !== '');
const sexe = env('INSI_SEXE');
const naissance = env('INSI_NAISSANCE');
const lieu = env('INSI_LIEU', { optional: true });
const wsdl = process.env.INSI_WSDL || join(here, '..', 'wsdl', 'insi-recsans.wsdl');
const timeout = Number(process.env.INSI_TIMEOUT_MS || 10000);

let identity;
try {
  identity = readPkcs12(p12Path, p12Password);
} catch (err) {
  fail(`node-forge cannot read ${p12Path}: ${err.message}`);
}
if (!identity.emetteur) fail(`${p12Path}: the certificate has no OU to send as Emetteur`);

// --- the SOAP client: our WSDL, SOAP 1.2, the PKCS#12 straight into Node's TLS ---
let client;
try {
  client = await soap.createClientAsync(wsdl, { forceSoap12Headers: true });
} catch (err) {
  fail(`node-soap cannot read the WSDL ${wsdl}: ${err.message}`);
}
client.setEndpoint(url);
client.setSecurity(new soap.ClientSSLSecurityPFX(readFileSync(p12Path), p12Password, {
  ca: readFileSync(caPath),
  timeout,
}));

// Fresh ids and time for every request (INSI-PROTOCOL.md §2.2–§2.4).
const instance = process.env.INSI_INSTANCE || randomUUID();
const lpsVersion = process.env.INSI_LPS_VERSION || versions.soap;
client.addSoapHeader(() => {
  const now = new Date().toISOString();
  const e = identity.emetteur;
  return (
    `<ctxbam:ContexteBAM xmlns:ctxbam="urn:siram:bam:ctxbam" Version="01_02">` +
    `<ctxbam:Id>${randomUUID()}</ctxbam:Id><ctxbam:Temps>${now}</ctxbam:Temps>` +
    `<ctxbam:Emetteur>${e}</ctxbam:Emetteur><ctxbam:COUVERTURE/></ctxbam:ContexteBAM>` +
    `<ctxlps:ContexteLPS xmlns:ctxlps="urn:siram:lps:ctxlps" Nature="CTXLPS" Version="01_00">` +
    `<ctxlps:Id>${randomUUID()}</ctxlps:Id><ctxlps:Temps>${now}</ctxlps:Temps>` +
    `<ctxlps:Emetteur>${e}</ctxlps:Emetteur><ctxlps:LPS>` +
    `<ctxlps:IDAM R="4">${escapeXml(idam)}</ctxlps:IDAM><ctxlps:Version>${escapeXml(lpsVersion)}</ctxlps:Version>` +
    `<ctxlps:Instance>${instance}</ctxlps:Instance>` +
    `<ctxlps:Nom>urn:lps:insi-bench-peer-node:${escapeXml(lpsVersion)}</ctxlps:Nom></ctxlps:LPS></ctxlps:ContexteLPS>` +
    `<wsa:Action xmlns:wsa="http://www.w3.org/2005/08/addressing">${ACTION}</wsa:Action>` +
    `<wsa:MessageID xmlns:wsa="http://www.w3.org/2005/08/addressing">uuid:${randomUUID()}</wsa:MessageID>`
  );
});

function escapeXml(text) {
  return String(text).replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' }[c]));
}

const debug = process.env.INSI_PEER_DEBUG === '1';
client.on('request', (xml) => { if (debug) process.stderr.write(`--> request\n${xml}\n`); });
client.on('response', (body, response) => {
  if (debug) process.stderr.write(`<-- HTTP ${response && response.status}\n${body}\n`);
});

// One call; returns {cr, libelle, ins, fault}.
async function call(prenom, withLieu) {
  const body = { NomNaissance: nom, Prenom: prenom, Sexe: sexe, DateNaissance: naissance };
  if (withLieu) body.LieuNaissance = lieu;
  try {
    const [result] = await client[`${OPERATION}Async`](body);
    const cr = result && result.CR ? String(result.CR.CodeCR) : undefined;
    if (cr === undefined) throw new Error('the answer has no RESULTAT/CR');
    const out = { prenom, lieu: withLieu ? lieu : undefined, cr, libelle: result.CR.LibelleCR };
    const actif = result.INDIVIDU && result.INDIVIDU.INSACTIF;
    if (actif) {
      out.ins = { matricule: actif.IdIndividu.NumIdentifiant, cle: actif.IdIndividu.Cle, oid: actif.OID };
      out.liste_prenom = result.INDIVIDU.TIQ && result.INDIVIDU.TIQ.ListePrenom;
    }
    return out;
  } catch (err) {
    const fault = err.root && err.root.Envelope && err.root.Envelope.Body && err.root.Envelope.Body.Fault;
    if (!fault) throw err;
    const erreur = fault.Detail && fault.Detail.Erreur;
    const subcode = fault.Code && fault.Code.Subcode && fault.Code.Subcode.Value;
    return {
      prenom,
      fault: {
        http_status: err.response && err.response.status,
        subcode,
        code: erreur && erreur.attributes ? erreur.attributes.code : undefined,
        text: erreur ? (erreur.$value || String(erreur)) : undefined,
      },
    };
  }
}

// The CNDA strategy (INSI-PROTOCOL.md §3.1): one call per first name, in order, stop at 00 or a
// fault; then all first names joined if there were several; a 02 is sent again with the COG.
const attempts = [];
async function attempt(prenom) {
  let a = await call(prenom, false);
  attempts.push(a);
  if (a.cr === '02' && lieu) {
    a = await call(prenom, true);
    attempts.push(a);
  }
  return a;
}
let final;
try {
  for (const p of prenoms) {
    final = await attempt(p);
    if (final.fault || final.cr === '00') break;
  }
  if (!final.fault && final.cr !== '00' && prenoms.length > 1) {
    final = await attempt(prenoms.join(' '));
  }
} catch (err) {
  fail(`call to ${url} failed: ${err.code || ''} ${err.message}`);
}
const twoOrMore = attempts.filter((a) => a.cr === '02');
if (!final.fault && final.cr !== '00' && twoOrMore.length > 0) final = twoOrMore[twoOrMore.length - 1];

process.stdout.write(JSON.stringify({
  peer: 'node',
  versions,
  emetteur: identity.emetteur,
  certificate_cn: identity.cn,
  pkcs12_certificates: identity.chain,
  calls: attempts.length,
  cr: final.cr,
  libelle: final.libelle,
  ins: final.ins,
  fault: final.fault,
  attempts: attempts.map((a) => ({ prenom: a.prenom, lieu: a.lieu, cr: a.cr, fault: a.fault && a.fault.code })),
}) + '\n');
process.exit(final.fault ? 3 : 0);
