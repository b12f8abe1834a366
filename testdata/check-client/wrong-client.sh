#!/bin/sh
# A deliberately WRONG INSi client for check-client's tests (docs/check-client.md), with curl
# only (a system package the test scripts already install). It
# - skips the first-name loop (sends every prénom in one call),
# - reuses one MessageID for every request,
# - sends the traits in lower case, unvalidated (DUPONT2 goes out too),
# - retries a business fault once,
# - sends no Emetteur and no Content-Type action.
# Drive contract: the INSI_* variables. Exit 77 for what it cannot do. TEST MATERIAL.
set -u
[ "$INSI_AUTH" = mtls ] && [ "$INSI_OPERATION" = search-traits ] || exit 77
lower() { printf '%s' "$1" | tr '[:upper:]' '[:lower:]'; }
now=$(date -u +%Y-%m-%dT%H:%M:%S.000Z)
lieu=
[ -n "$INSI_LIEU" ] && lieu="<ins:LieuNaissance>$INSI_LIEU</ins:LieuNaissance>"
body="<soap:Envelope xmlns:soap=\"http://www.w3.org/2003/05/soap-envelope\"><soap:Header>\
<ctxbam:ContexteBAM xmlns:ctxbam=\"urn:siram:bam:ctxbam\" Version=\"01_02\"><ctxbam:Id>1</ctxbam:Id>\
<ctxbam:Temps>$now</ctxbam:Temps><ctxbam:COUVERTURE/></ctxbam:ContexteBAM>\
<ctxlps:ContexteLPS xmlns:ctxlps=\"urn:siram:lps:ctxlps\" Nature=\"CTXLPS\" Version=\"01_00\"><ctxlps:Id>1</ctxlps:Id>\
<ctxlps:Temps>$now</ctxlps:Temps><ctxlps:LPS><ctxlps:IDAM R=\"4\">$INSI_IDAM</ctxlps:IDAM>\
<ctxlps:Version>1.0</ctxlps:Version><ctxlps:Instance>$INSI_INSTANCE</ctxlps:Instance>\
<ctxlps:Nom>urn:lps:wrong-client:1.0</ctxlps:Nom></ctxlps:LPS></ctxlps:ContexteLPS>\
<wsa:Action xmlns:wsa=\"http://www.w3.org/2005/08/addressing\">urn:ServiceIdentiteCertifiee:1.0.0:rechercherInsAvecTraitsIdentite</wsa:Action>\
<wsa:MessageID xmlns:wsa=\"http://www.w3.org/2005/08/addressing\">uuid:0e2f6f5c-1b1a-4c2e-9d51-000000000001</wsa:MessageID>\
</soap:Header><soap:Body><ins:RECSANSVITALE xmlns:ins=\"http://www.cnamts.fr/INSiRecSans\">\
<ins:NomNaissance>$(lower "$INSI_NOM")</ins:NomNaissance><ins:Prenom>$(lower "$INSI_PRENOMS")</ins:Prenom>\
<ins:Sexe>$INSI_SEXE</ins:Sexe><ins:DateNaissance>$INSI_NAISSANCE</ins:DateNaissance>$lieu\
</ins:RECSANSVITALE></soap:Body></soap:Envelope>"
# The PEM files next to the PKCS#12.
base=${INSI_P12%.p12}
for attempt in 1 2; do
  status=$(printf '%s' "$body" | curl -sS --max-time 10 -o /dev/null -w '%{http_code}' \
    --cacert "$INSI_CA" --cert "$base.pem" --key "$base.key" \
    -H 'Content-Type: application/soap+xml; charset=utf-8' --data-binary @- "$INSI_URL")
  echo "attempt $attempt: HTTP $status"
  [ "$status" = 200 ] && exit 0
done
exit 1
