"""Builders for the signing tests: model folders, EC keys, a tiny CA, the reference CLI."""

from __future__ import annotations

import datetime
import os
import subprocess
import sys
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

MODEL_SIGNING = [sys.executable, "-m", "model_signing"]


def make_model(folder: Path) -> Path:
    """A small model folder: weights, configs, a nested tokenizer folder."""
    (folder / "tokenizer").mkdir(parents=True)
    (folder / "model.safetensors").write_bytes(os.urandom(300_000))
    (folder / "config.json").write_text('{"hidden_size": 8}')
    (folder / "tokenizer" / "vocab.txt").write_text("a\nb\nc\n")
    return folder


def write_ec_key(folder: Path, name: str = "k") -> tuple[Path, Path]:
    """A P-256 private key (PEM, PKCS8) and its public key (PEM); returns both paths."""
    key = ec.generate_private_key(ec.SECP256R1())
    private = folder / f"{name}.pem"
    public = folder / f"{name}.pub"
    private.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    public.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return private, public


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def make_ca(folder: Path, name: str = "ca") -> tuple[Path, Path, Path]:
    """A root CA and a leaf signing certificate under it: (root.pem, leaf.pem, leaf key)."""
    now = datetime.datetime.now(datetime.UTC)
    root_key = ec.generate_private_key(ec.SECP256R1())
    root = (
        x509.CertificateBuilder()
        .subject_name(_name(f"{name} root"))
        .issuer_name(_name(f"{name} root"))
        .public_key(root_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
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
        .sign(root_key, hashes.SHA256())
    )
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder()
        .subject_name(_name(f"{name} model signer"))
        .issuer_name(root.subject)
        .public_key(leaf_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=7))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(root_key, hashes.SHA256())
    )
    root_pem = folder / f"{name}-root.pem"
    leaf_pem = folder / f"{name}-leaf.pem"
    key_pem = folder / f"{name}-leaf.key"
    root_pem.write_bytes(root.public_bytes(serialization.Encoding.PEM))
    leaf_pem.write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    key_pem.write_bytes(
        leaf_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return root_pem, leaf_pem, key_pem


def model_signing_cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    """Run the reference ``model_signing`` CLI (the installed OpenSSF package)."""
    return subprocess.run(
        [*MODEL_SIGNING, *(str(a) for a in args)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
