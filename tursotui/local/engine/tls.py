"""Mutual TLS for sqld's gRPC replication port: only our replica sqld may replicate from the primary.

The primary's gRPC port serves every database's replication log (and forwards writes). Plain, any
local process could connect and read it all. With these files the primary runs with
``--grpc-tls`` and accepts only clients holding a certificate from our CA (sqld's rustls server uses
``AllowAnyAuthenticatedClient``); the replica sqld connects with ``--primary-grpc-tls`` and the client
certificate. sqld's client checks the server name ``sqld``, so the server certificate carries it
beside ``localhost`` and 127.0.0.1.

The CA's private key is never written: once the certificates exist nobody can mint another one. All
files are 0600 in ``<data>/sqld/tls``; a missing or unreadable file means a new set.
"""

from __future__ import annotations

import datetime
import ipaddress
from dataclasses import dataclass
from pathlib import Path

from tursotui.support.atomic import atomic_write

TLS_DIR = "tls"
SERVER_NAMES = ("sqld", "localhost")
"""DNS names of the primary's certificate: sqld 0.24.32's client always asks for ``sqld``."""
VALIDITY = datetime.timedelta(days=3650)


@dataclass(frozen=True)
class GrpcTls:
    """Where the PEM files are (PKCS#8 keys: sqld's rustls server reads only those)."""

    directory: Path

    @property
    def ca_cert(self) -> Path:
        return self.directory / "ca.pem"

    @property
    def server_cert(self) -> Path:
        return self.directory / "server.pem"

    @property
    def server_key(self) -> Path:
        return self.directory / "server.key"

    @property
    def client_cert(self) -> Path:
        return self.directory / "client.pem"

    @property
    def client_key(self) -> Path:
        return self.directory / "client.key"

    @property
    def files(self) -> tuple[Path, ...]:
        return (self.ca_cert, self.server_cert, self.server_key, self.client_cert, self.client_key)

    def server_args(self) -> list[str]:
        """sqld flags of the primary (file paths only: no secret in argv)."""
        return [
            "--grpc-tls",
            "--grpc-cert-file",
            str(self.server_cert),
            "--grpc-key-file",
            str(self.server_key),
            "--grpc-ca-cert-file",
            str(self.ca_cert),
        ]

    def client_args(self) -> list[str]:
        """sqld flags of a replica connecting to the primary."""
        return [
            "--primary-grpc-tls",
            "--primary-grpc-cert-file",
            str(self.client_cert),
            "--primary-grpc-key-file",
            str(self.client_key),
            "--primary-grpc-ca-cert-file",
            str(self.ca_cert),
        ]


def ensure_grpc_tls(root: Path) -> GrpcTls:
    """The CA, server and client certificates under ``root/tls``, made when any file is missing."""
    tls = GrpcTls(root / TLS_DIR)
    if all(path.is_file() and path.stat().st_size > 0 for path in tls.files):
        return tls
    tls.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    for path, data in _generate().items():
        atomic_write(tls.directory / path, data, mode=0o600)
    return tls


def _generate() -> dict[str, bytes]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=5)

    def name(common: str) -> x509.Name:
        return x509.Name(
            [
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, "tursotui local Turso"),
                x509.NameAttribute(NameOID.COMMON_NAME, common),
            ]
        )

    def pem_key(key: ec.EllipticCurvePrivateKey) -> bytes:
        return key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = name("tursotui local Turso gRPC CA")
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )

    def leaf(common: str, usage: x509.ObjectIdentifier) -> tuple[bytes, bytes]:
        key = ec.generate_private_key(ec.SECP256R1())
        builder = (
            x509.CertificateBuilder()
            .subject_name(name(common))
            .issuer_name(ca_name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now)
            .not_valid_after(now + VALIDITY)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
            )
        )
        if usage == ExtendedKeyUsageOID.SERVER_AUTH:
            sans: list[x509.GeneralName] = [x509.DNSName(n) for n in SERVER_NAMES]
            sans.append(x509.IPAddress(ipaddress.ip_address("127.0.0.1")))
            builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
        cert = builder.sign(ca_key, hashes.SHA256())
        return cert.public_bytes(serialization.Encoding.PEM), pem_key(key)

    server_cert, server_key = leaf("sqld", ExtendedKeyUsageOID.SERVER_AUTH)
    client_cert, client_key = leaf("tursotui replica", ExtendedKeyUsageOID.CLIENT_AUTH)
    return {
        "ca.pem": ca_cert.public_bytes(serialization.Encoding.PEM),
        "server.pem": server_cert,
        "server.key": server_key,
        "client.pem": client_cert,
        "client.key": client_key,
    }
