#!/bin/sh
# check-client --drive contract, played by insi-bench's own CLI as "the software under test":
# one `insi-bench search traits` (or `verify`) per case, from the INSI_* variables
# (docs/check-client.md). $INSI_BENCH_BIN names the binary (default: insi-bench on PATH).
# Exit 77: this software cannot do the case (a Vitale search). TEST MATERIAL.
set -u
bin=${INSI_BENCH_BIN:-insi-bench}
case "$INSI_OPERATION" in
  search-traits) set -- search traits ;;
  verify) set -- verify --matricule "$INSI_MATRICULE" --oid "$INSI_OID" ${INSI_CLE:+--cle "$INSI_CLE"} ;;
  *) exit 77 ;;
esac
if [ "$INSI_AUTH" = cpx ]; then
  # Practice attributes of the PS assertion: the simulator's test values (insi_sim::cpx).
  set -- "$@" --env "$INSI_CPX_URL" --auth cpx --ps-cert "$INSI_PS_CERT" --ps-key "$INSI_PS_KEY" \
    --facturation 991130972 --secteur SA05
else
  set -- "$@" --env "$INSI_URL" --p12 "$INSI_P12" --p12-password-env INSI_P12_PASSWORD
fi
[ -n "$INSI_LIEU" ] && set -- "$@" --lieu "$INSI_LIEU"
# The installation identity stays the same across cases (one installation, many processes).
export INSI_BENCH_INSTANCE="$INSI_INSTANCE"
# `--nom=VALUE`: a value is never taken for a flag.
exec "$bin" "$@" --ca "$INSI_CA" --idam "$INSI_IDAM" --strategy "${INSI_STRATEGY:-cnda}" \
  --nom="$INSI_NOM" --prenoms="$INSI_PRENOMS" --sexe="$INSI_SEXE" --naissance="$INSI_NAISSANCE"
