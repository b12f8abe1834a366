// node-soap's response parsing (`WSDL#xmlToObject`, what its client runs on every answer) on
// the same bytes as the Rust decode bench: prints one JSON line with the mean per decode.
//
//   node benches/node/node_soap_decode.js FILE.xml [ITERATIONS]
//
// `soap` comes from the cache directory `scripts/bench` installs it into (NODE_PATH).
'use strict';
const fs = require('fs');
const path = require('path');
const soap = require('soap');

const file = process.argv[2];
const iterations = Number(process.argv[3] || 20000);
const xml = fs.readFileSync(file, 'utf8');
const wsdlText = fs.readFileSync(path.join(__dirname, 'insi-resultat.wsdl'), 'utf8');

const wsdl = new soap.WSDL(wsdlText, 'file://' + path.join(__dirname, 'insi-resultat.wsdl'), {});
wsdl.onReady((err) => {
  if (err) throw err;
  const obj = wsdl.xmlToObject(xml);
  const body = obj && obj.Body && obj.Body.RESULTAT;
  // The parse must have produced the result, or the timing means nothing.
  if (!body || !body.CR || body.CR.CodeCR === undefined) {
    throw new Error('node-soap did not decode a RESULTAT: ' + JSON.stringify(obj));
  }
  // Warm-up (JIT), then three timed rounds; the best round is reported, like criterion's
  // lower bound, so that a busy machine does not flatter the ratio.
  for (let i = 0; i < Math.min(iterations, 5000); i++) wsdl.xmlToObject(xml);
  const rounds = [];
  for (let r = 0; r < 3; r++) {
    const t = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) wsdl.xmlToObject(xml);
    rounds.push(Number(process.hrtime.bigint() - t) / iterations / 1000);
  }
  console.log(JSON.stringify({
    bench: 'node-soap xmlToObject',
    soap_version: require('soap/package.json').version,
    node: process.version,
    file: path.basename(file),
    bytes: Buffer.byteLength(xml),
    iterations,
    us_per_decode_rounds: rounds.map((x) => Number(x.toFixed(2))),
    us_per_decode_best: Number(Math.min(...rounds).toFixed(2)),
    code_cr: body.CR.CodeCR,
    inshisto: [].concat((body.INDIVIDU && body.INDIVIDU.INSHISTO) || []).length,
  }));
});
