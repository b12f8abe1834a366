#!/usr/bin/env python3
"""insi-bench peer driver, Python: one INSi trait search (with the CNDA first-name loop) made by
a third-party Python stack -- zeep for SOAP 1.2, requests for the client certificate,
cryptography to read the PKCS#12 and take the Emetteur from the certificate OU -- against any
INSi endpoint (insi-bench sim serve by default). Test material, NOT FOR PRODUCTION.

Same contract as peers/node/insi-search.mjs (docs/peers.md):
  input     INSI_NOM, INSI_PRENOMS, INSI_SEXE, INSI_NAISSANCE, INSI_LIEU (optional, after a 02)
  endpoint  INSI_URL, INSI_P12, INSI_P12_PASSWORD, INSI_CA, INSI_IDAM
  optional  INSI_WSDL, INSI_TIMEOUT_MS, INSI_PEER_DEBUG=1 (request/response XML on stderr)
  output    one JSON line; exit 0 on an answer (CR 00/01/02), 3 on a SOAP fault, 2 on a setup
            error.
"""

import datetime
import json
import os
import sys
import tempfile
import uuid
from importlib.metadata import version
from pathlib import Path

OPERATION = "rechercherInsAvecTraitsIdentite"
ACTION = f"urn:ServiceIdentiteCertifiee:1.0.0:{OPERATION}"
BINDING = "{http://www.cnamts.fr/webservice}ICIRServiceBinding"
NS = {
    "bam": "urn:siram:bam:ctxbam",
    "lps": "urn:siram:lps:ctxlps",
    "wsa": "http://www.w3.org/2005/08/addressing",
    "siram": "urn:siram",
}


def fail(message):
    sys.stderr.write(f"insi_search (python): {message}\n")
    sys.exit(2)


def env(name, optional=False):
    value = os.environ.get(name, "")
    if not value:
        if optional:
            return None
        fail(f"{name} is not set (see docs/peers.md for the driver contract)")
    return value


try:
    import requests
    import zeep
    import zeep.exceptions
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.serialization import pkcs12
    from cryptography.x509.oid import NameOID
    from lxml import etree
except ImportError as err:
    fail(f"cannot import the peer packages (run scripts/peer-tier): {err}")

VERSIONS = {
    "python": sys.version.split()[0],
    "zeep": version("zeep"),
    "requests": version("requests"),
    "cryptography": version("cryptography"),
}


def read_pkcs12(path, password, directory):
    """Key and chain as PEM files for requests (ssl wants files), and the OU and CN."""
    data = Path(path).read_bytes()
    key, cert, chain = pkcs12.load_key_and_certificates(data, password.encode())
    if key is None or cert is None:
        raise ValueError("no key with its certificate in the PKCS#12")
    cert_file = Path(directory, "chain.pem")
    key_file = Path(directory, "key.pem")
    pem = cert.public_bytes(serialization.Encoding.PEM)
    pem += b"".join(c.public_bytes(serialization.Encoding.PEM) for c in chain or [])
    cert_file.write_bytes(pem)
    key_file.touch(mode=0o600)
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )

    def field(oid):
        values = cert.subject.get_attributes_for_oid(oid)
        return values[0].value if values else None

    return {
        "cert": (str(cert_file), str(key_file)),
        "emetteur": field(NameOID.ORGANIZATIONAL_UNIT_NAME),
        "cn": field(NameOID.COMMON_NAME),
        "chain": 1 + len(chain or []),
    }


def element(ns, name, text=None, attrs=None, children=()):
    el = etree.Element(f"{{{NS[ns]}}}{name}", nsmap={ns: NS[ns]})
    for k, v in (attrs or {}).items():
        el.set(k, v)
    if text is not None:
        el.text = text
    for child in children:
        el.append(child)
    return el


def headers(emetteur, idam, instance, lps_version):
    """Fresh ids and time for every request (INSI-PROTOCOL.md section 2.2-2.4)."""
    now = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="milliseconds")
    now = now.replace("+00:00", "Z")
    bam = element("bam", "ContexteBAM", attrs={"Version": "01_02"}, children=[
        element("bam", "Id", str(uuid.uuid4())),
        element("bam", "Temps", now),
        element("bam", "Emetteur", emetteur),
        element("bam", "COUVERTURE"),
    ])
    lps = element("lps", "ContexteLPS", attrs={"Nature": "CTXLPS", "Version": "01_00"}, children=[
        element("lps", "Id", str(uuid.uuid4())),
        element("lps", "Temps", now),
        element("lps", "Emetteur", emetteur),
        element("lps", "LPS", children=[
            element("lps", "IDAM", idam, attrs={"R": "4"}),
            element("lps", "Version", lps_version),
            element("lps", "Instance", instance),
            element("lps", "Nom", f"urn:lps:insi-bench-peer-python:{lps_version}"),
        ]),
    ])
    return [
        bam,
        lps,
        element("wsa", "Action", ACTION),
        element("wsa", "MessageID", f"uuid:{uuid.uuid4()}"),
    ]


class Debug(zeep.Plugin):
    def egress(self, envelope, http_headers, operation, binding_options):
        sys.stderr.write("--> request\n" + etree.tostring(envelope).decode() + "\n")
        return envelope, http_headers

    def ingress(self, envelope, http_headers, operation):
        sys.stderr.write("<-- response\n" + etree.tostring(envelope).decode() + "\n")
        return envelope, http_headers


def main():
    url = env("INSI_URL")
    p12 = env("INSI_P12")
    password = env("INSI_P12_PASSWORD")
    ca = env("INSI_CA")
    idam = env("INSI_IDAM")
    nom = env("INSI_NOM")
    prenoms = [p for p in env("INSI_PRENOMS").split(" ") if p]
    sexe = env("INSI_SEXE")
    naissance = env("INSI_NAISSANCE")
    lieu = env("INSI_LIEU", optional=True)
    here = Path(__file__).resolve().parent
    wsdl = os.environ.get("INSI_WSDL") or str(here.parent / "wsdl" / "insi-recsans.wsdl")
    timeout = int(os.environ.get("INSI_TIMEOUT_MS") or 10000) / 1000
    instance = os.environ.get("INSI_INSTANCE") or str(uuid.uuid4())
    lps_version = os.environ.get("INSI_LPS_VERSION") or VERSIONS["zeep"]

    with tempfile.TemporaryDirectory(prefix="insi-peer-") as directory:
        try:
            identity = read_pkcs12(p12, password, directory)
        except (ValueError, OSError) as err:
            fail(f"cannot read {p12}: {err}")
        if not identity["emetteur"]:
            fail(f"{p12}: the certificate has no OU to send as Emetteur")
        session = requests.Session()
        # Without this, REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE in the environment silently replace
        # session.verify (requests merges the environment over the session): trust INSI_CA only.
        session.trust_env = False
        session.cert = identity["cert"]
        session.verify = ca
        transport = zeep.Transport(session=session, timeout=timeout, operation_timeout=timeout)
        plugins = [Debug()] if os.environ.get("INSI_PEER_DEBUG") == "1" else []
        try:
            client = zeep.Client(wsdl, transport=transport, plugins=plugins)
        except Exception as err:  # zeep raises many kinds for an unreadable WSDL
            fail(f"zeep cannot read the WSDL {wsdl}: {err}")
        service = client.create_service(BINDING, url)

        def call(prenom, with_lieu):
            body = {"NomNaissance": nom, "Prenom": [prenom], "Sexe": sexe, "DateNaissance": naissance}
            if with_lieu:
                body["LieuNaissance"] = lieu
            hdrs = headers(identity["emetteur"], idam, instance, lps_version)
            try:
                result = getattr(service, OPERATION)(**body, _soapheaders=hdrs)
            except zeep.exceptions.Fault as fault:
                erreur = None
                if fault.detail is not None:
                    erreur = fault.detail.find(f"{{{NS['siram']}}}Erreur")
                return {
                    "prenom": prenom,
                    "fault": {
                        "subcode": str(fault.subcodes[0].localname) if fault.subcodes else None,
                        "code": erreur.get("code") if erreur is not None else None,
                        "text": erreur.text if erreur is not None else fault.message,
                    },
                }
            cr = result.CR.CodeCR
            out = {"prenom": prenom, "lieu": lieu if with_lieu else None, "cr": cr,
                   "libelle": result.CR.LibelleCR}
            individu = result.INDIVIDU
            if individu is not None and individu.INSACTIF is not None:
                actif = individu.INSACTIF
                out["ins"] = {"matricule": actif.IdIndividu.NumIdentifiant,
                              "cle": actif.IdIndividu.Cle, "oid": actif.OID}
            return out

        # The CNDA strategy (INSI-PROTOCOL.md section 3.1), as the Node driver does it.
        attempts = []

        def attempt(prenom):
            a = call(prenom, False)
            attempts.append(a)
            if a.get("cr") == "02" and lieu:
                a = call(prenom, True)
                attempts.append(a)
            return a

        final = None
        try:
            for p in prenoms:
                final = attempt(p)
                if final.get("fault") or final.get("cr") == "00":
                    break
            if not final.get("fault") and final.get("cr") != "00" and len(prenoms) > 1:
                final = attempt(" ".join(prenoms))
        except requests.exceptions.RequestException as err:
            fail(f"call to {url} failed: {err}")
        several = [a for a in attempts if a.get("cr") == "02"]
        if not final.get("fault") and final.get("cr") != "00" and several:
            final = several[-1]

    print(json.dumps({
        "peer": "python",
        "versions": VERSIONS,
        "emetteur": identity["emetteur"],
        "certificate_cn": identity["cn"],
        "pkcs12_certificates": identity["chain"],
        "calls": len(attempts),
        "cr": final.get("cr"),
        "libelle": final.get("libelle"),
        "ins": final.get("ins"),
        "fault": final.get("fault"),
        "attempts": [{"prenom": a["prenom"], "lieu": a.get("lieu"), "cr": a.get("cr"),
                      "fault": (a.get("fault") or {}).get("code")} for a in attempts],
    }), flush=True)
    sys.exit(3 if final.get("fault") else 0)


if __name__ == "__main__":
    main()
