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


@pytest.mark.parametrize("trail,value", [
    # keys that name where a secret is kept (the shapes real charts use), with reference-shaped values
    (("ingress", "tlsSecret"), "api-tls"), (("caCerts", "secret"), "ca-certs"), (("extraEnvVarsSecret",), "api-env"),
    (("tls", "certificatesSecret"), "db-certs"), (("secretKey",), "password"), (("gcs", "secretKey"), "credentials.json"),
    (("serviceAccountSecretKey",), "key.json"), (("existingSecret",), "grafana-admin"), (("passwordKey",), "admin-password"),
    (("clientSecretRef",), "oauth-client"), (("tokenPath",), "/var/run/secrets/tokens/api"),
    # values that are not credentials whatever the key
    (("adminPassword",), ""), (("adminPassword",), "/run/secrets/admin"), (("smtpPassword",), "<set in the smtp Secret>"),
    (("password",), "{{ .Values.global.password }}"), (("token",), "${API_TOKEN}"), (("automountServiceAccountToken",), False),
])
def test_helm_values_keys_that_name_a_secret(trail, value):
    from k8slint.sensitive import helm_value_is_credential

    assert not helm_value_is_credential(trail, value)


@pytest.mark.parametrize("trail,value", [
    (("admin", "adminPassword"), "admin"), (("auth", "postgresPassword"), "changeme"), (("apiKey",), "k-123"),
    (("pin", "password"), 1234), (("session", "jwtSecret"), "short"), (("jwt", "secret"), "my-jwt-secret"),
    (("backup", "s3", "secretKey"), "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"), (("minio", "secretKey"), "minio123"),
    (("webhooks", "github", "secret"), "9f8e7d6c5b4a39281706f5e4d3c2b1a0"), (("tlsSecret",), "Xk39fjQ02LmZ8s7dPq1W"),
    (("oauth", "clientSecret"), "abc"),
])
def test_helm_values_keys_that_hold_a_secret(trail, value):
    from k8slint.sensitive import helm_value_is_credential

    assert helm_value_is_credential(trail, value)


def test_credentials_inside_config_files_are_found_by_name_and_line_never_by_value():
    from k8slint.sensitive import inner_credentials, is_config_file

    env = "LOG_LEVEL=info\nDB_PASSWORD=hunter2\nexport API_TOKEN='abc def'\nDB_PASSWORD_FILE=/run/x\nEMPTY_PASSWORD=\nREF_PASSWORD=${DB_PASSWORD}\n"
    assert inner_credentials(env) == [("DB_PASSWORD", 1), ("API_TOKEN", 2)]
    properties = ("# spring\nspring.datasource.url=jdbc:postgresql://db:5432/app\nspring.datasource.password=s3cret\n"
                  "jasypt.encryptor.password=ENC(abc)\napp.oauth.client-secret = xyz\nmail.password=${MAIL_PASSWORD:}\n")
    assert inner_credentials(properties) == [("spring.datasource.password", 2), ("app.oauth.client-secret", 4)]
    yaml_text = ("spring:\n  datasource:\n    url: jdbc:postgresql://db/app\n    password: s3cret # prod\n  mail:\n"
                 "    password: \"${MAIL_PASSWORD}\"\nscrape:\n  - job: api\n    basic_auth:\n      password_file: /etc/p\n"
                 "      password: <secret>\n    bearer_token: abc123\n")
    assert inner_credentials(yaml_text) == [("spring.datasource.password", 3), ("scrape.bearer_token", 11)]
    json_text = '{\n  "db": {\n    "host": "x",\n    "password": "pw"\n  },\n  "apiKey": "k",\n  "tokenUrl": "https://a/t"\n}\n'
    assert inner_credentials(json_text) == [("db.password", 3), ("apiKey", 5)]
    script = "#!/bin/sh\nset -e\nPGPASSWORD=$POSTGRES_PASSWORD psql -h db -c 'select 1'\nTOKEN=$1\n"
    assert inner_credentials(script) == [] and inner_credentials("db:\n  password: !vault |\n    $ANSIBLE_VAULT;1.1\n") == []
    assert all("hunter2" not in name and "s3cret" not in name for name, _ in inner_credentials(env + properties))
    assert is_config_file("application.properties", "a=b") and is_config_file("x", "a=1\nb=2\n")
    assert not is_config_file("LOG_LEVEL", "info") and not is_config_file("DB_HOST", "db\n")
