#!/usr/bin/env python3
"""A deliberately WRONG INSi client for check-client's tests (docs/check-client.md): it
- skips the first-name loop (sends every prénom in one call),
- reuses one MessageID for every request,
- sends the traits in lower case, unvalidated (so DUPONT2 goes out too),
- retries a business fault once.
Standard library only (urllib, ssl), the drive contract's INSI_* variables. TEST MATERIAL."""

import os
import ssl
import sys
import urllib.error
import urllib.request
import uuid
from datetime import datetime, timezone
from xml.sax.saxutils import escape

ACTION = "urn:ServiceIdentiteCertifiee:1.0.0:rechercherInsAvecTraitsIdentite"
REUSED_MESSAGE_ID = "uuid:0e2f6f5c-1b1a-4c2e-9d51-000000000001"


def envelope(emetteur):
    now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    e = os.environ
    lieu = e.get("INSI_LIEU", "")
    lieu_xml = f"<ins:LieuNaissance>{escape(lieu)}</ins:LieuNaissance>" if lieu else ""
    return f"""<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Header>\
<ctxbam:ContexteBAM xmlns:ctxbam="urn:siram:bam:ctxbam" Version="01_02"><ctxbam:Id>{uuid.uuid4()}</ctxbam:Id>\
<ctxbam:Temps>{now}</ctxbam:Temps><ctxbam:Emetteur>{emetteur}</ctxbam:Emetteur><ctxbam:COUVERTURE/></ctxbam:ContexteBAM>\
<ctxlps:ContexteLPS xmlns:ctxlps="urn:siram:lps:ctxlps" Nature="CTXLPS" Version="01_00"><ctxlps:Id>{uuid.uuid4()}</ctxlps:Id>\
<ctxlps:Temps>{now}</ctxlps:Temps><ctxlps:Emetteur>{emetteur}</ctxlps:Emetteur><ctxlps:LPS>\
<ctxlps:IDAM R="4">{escape(e["INSI_IDAM"])}</ctxlps:IDAM><ctxlps:Version>1.0</ctxlps:Version>\
<ctxlps:Instance>{e["INSI_INSTANCE"]}</ctxlps:Instance><ctxlps:Nom>urn:lps:wrong-client:1.0</ctxlps:Nom></ctxlps:LPS></ctxlps:ContexteLPS>\
<wsa:Action xmlns:wsa="http://www.w3.org/2005/08/addressing">{ACTION}</wsa:Action>\
<wsa:MessageID xmlns:wsa="http://www.w3.org/2005/08/addressing">{REUSED_MESSAGE_ID}</wsa:MessageID></soap:Header>\
<soap:Body><ins:RECSANSVITALE xmlns:ins="http://www.cnamts.fr/INSiRecSans">\
<ins:NomNaissance>{escape(e["INSI_NOM"].lower())}</ins:NomNaissance><ins:Prenom>{escape(e["INSI_PRENOMS"].lower())}</ins:Prenom>\
<ins:Sexe>{escape(e["INSI_SEXE"])}</ins:Sexe><ins:DateNaissance>{escape(e["INSI_NAISSANCE"])}</ins:DateNaissance>{lieu_xml}\
</ins:RECSANSVITALE></soap:Body></soap:Envelope>""".encode()


def main():
    e = os.environ
    if e.get("INSI_AUTH") != "mtls" or e.get("INSI_OPERATION") != "search-traits":
        return 77
    # The PEM files next to the PKCS#12 (the standard library reads no PKCS#12).
    base = e["INSI_P12"][: -len(".p12")]
    context = ssl.create_default_context(cafile=e["INSI_CA"])
    context.load_cert_chain(base + ".pem", base + ".key")
    subject = dict(x for rdn in ssl._ssl._test_decode_cert(base + ".pem")["subject"] for x in rdn)
    emetteur = subject.get("organizationalUnitName", "")
    for attempt in range(2):
        request = urllib.request.Request(
            e["INSI_URL"],
            data=envelope(emetteur),
            headers={"Content-Type": "application/soap+xml; charset=utf-8"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, context=context, timeout=10) as answer:
                print(answer.status, answer.read()[:200])
                return 0
        except urllib.error.HTTPError as fault:
            print("fault", fault.code, "- retrying" if attempt == 0 else "")
    return 1


if __name__ == "__main__":
    sys.exit(main())
