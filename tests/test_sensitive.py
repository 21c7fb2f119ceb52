"""Which key names and values count as credentials (k8slint/sensitive.py)."""

import pytest

from k8slint.sensitive import credential_value, literal_value, sensitive_name


@pytest.mark.parametrize("name", [
    "PASSWORD", "DB_PASSWORD", "adminPassword", "postgresPassword", "passwd", "apiKey", "API_KEY", "api-key",
    "token", "GITHUB_TOKEN", "authToken", "SECRET_KEY", "secretKey", "AWS_SECRET_ACCESS_KEY", "client_secret",
    "clientSecret", "PRIVATE_KEY", "credentials", "JWT_SECRET", "POSTGRES_PASSWORD_HASH", "wordpressPassword",
])
def test_sensitive_names(name):
    assert sensitive_name(name)


@pytest.mark.parametrize("name", [
    # references to a Secret object or to a key inside one
    "existingSecret", "secretName", "imagePullSecrets", "passwordSecretKey", "adminPasswordKey", "userPasswordKey",
    "existingSecretPasswordKey", "tokenSecretRef", "credentialsSecret", "secretRef",
    # about a secret, not the secret
    "PASSWORD_FILE", "TOKEN_URL", "API_KEY_ID", "AWS_ACCESS_KEY_ID", "passwordMinLength", "TOKEN_TTL", "usePasswordFiles",
    # not about secrets at all
    "tokenizer", "LOG_LEVEL", "secrets", "keycloakUrl",
])
def test_reference_and_unrelated_names(name):
    assert not sensitive_name(name)


@pytest.mark.parametrize("value,expected", [
    ("admin", True), (12345, True), ("", False), ("   ", False), (None, False), (True, False), ("no", False),
    ("true", False), ("ENC[AES256_GCM,data:abc]", False), ("{{ .Values.x }}", False), ("$(DB_PASSWORD)", False),
    ("${DB_PASSWORD}", False), ({"name": "x"}, False),
])
def test_literal_values(value, expected):
    assert literal_value(value) is expected


def test_flags_with_sensitive_names_are_not_secrets():
    # automountServiceAccountToken / ALLOW_EMPTY_PASSWORD name a token or password, but hold a flag
    assert sensitive_name("automountServiceAccountToken") and not literal_value(False)
    assert sensitive_name("ALLOW_EMPTY_PASSWORD") and not literal_value("yes")


def test_credential_looking_values_are_recognised_without_returning_them():
    pem = "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----"
    assert credential_value(pem) == "a PEM private key"
    assert credential_value("ghp_" + "a" * 36) == "a GitHub token"
    assert credential_value("postgres://app:s3cr3t-value@db:5432/app") == "a URL with an embedded password"
    assert credential_value("postgres://app:$(DB_PASSWORD)@db:5432/app") is None
    assert credential_value("https://example.com/path?x=1") is None
    assert credential_value("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----") is None
