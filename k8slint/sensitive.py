"""Does a key name, or a value, look like a credential? Shared by the secrets templates.

Key names are split into words (``adminPasswordSecretKey`` -> admin, password, secret, key;
``DB_PASSWORD`` -> db, password). A name is sensitive when its last sensitive word (or pair:
``api key``, ``private key``, ``access key``, ``secret key``, ``client secret``) ends the name,
or is followed only by words that still name the value (``hash``, ``value``, ``b64``...).
Anything else after it makes the key *about* a secret, not the secret itself:
``PASSWORD_FILE``, ``TOKEN_URL``, ``secretName``, ``passwordKey``, ``API_KEY_ID``.
References to Secret objects are not secrets either: ``existingSecret``,
``passwordSecretKey``, ``tokenSecretRef``, ``imagePullSecrets`` (plural is a list of refs).
Only key names ever leave this module; values are looked at, never returned.
"""

from __future__ import annotations

import re

SENSITIVE_WORDS = frozenset({"password", "passwd", "passphrase", "secret", "token", "apikey", "credential", "credentials",
                             "privatekey", "accesskey", "secretkey", "clientsecret"})
PAIRS = {("api", "key"): "apikey", ("private", "key"): "privatekey", ("access", "key"): "accesskey",
         ("secret", "key"): "secretkey", ("client", "secret"): "clientsecret"}
KEEPS_VALUE = frozenset({"hash", "value", "b64", "base64", "plain", "plaintext", "raw", "string", "str", "enc"})
REFERENCE_PREFIXES = frozenset({"existing", "external", "use", "ref", "from"})
NOT_A_VALUE = frozenset({"true", "false", "yes", "no", "on", "off", "y", "n", "enabled", "disabled", "none", "null", "~"})

_WORDS = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")

CREDENTIAL_VALUES = (
    ("a PEM private key", re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----")),
    ("a GitHub token", re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})")),
    ("a GitLab token", re.compile(r"\bglpat-[A-Za-z0-9_-]{20,}")),
    ("a Slack token", re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}")),
    ("an AWS access key", re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b")),
    ("a Stripe live key", re.compile(r"\b[sr]k_live_[0-9A-Za-z]{20,}")),
    ("a Google API key", re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b")),
    ("a URL with an embedded password", re.compile(r"\b[a-z][a-z0-9+.-]*://[^/\s:@]+:(?![$%{<])[^/\s@]+@[^\s/]")),
)


def words(name: str) -> list[str]:
    return [w.lower() for w in _WORDS.findall(str(name))]


def _tokens(parts: list[str]) -> list[str]:
    out: list[str] = []
    i = 0
    while i < len(parts):
        pair = PAIRS.get(tuple(parts[i : i + 2]))  # type: ignore[arg-type]
        if pair:
            out.append(pair)
            i += 2
        else:
            out.append(parts[i])
            i += 1
    return out


def sensitive_name(name: str) -> bool:
    """True for key names that hold a credential (PASSWORD, apiKey, DB_PASSWORD, client_secret)."""
    tokens = _tokens(words(name))
    hits = [i for i, t in enumerate(tokens) if t in SENSITIVE_WORDS]
    if not hits:
        return False
    last = hits[-1]
    if any(t not in KEEPS_VALUE and not t.isdigit() for t in tokens[last + 1 :]):
        return False  # PASSWORD_FILE, TOKEN_URL, secretName, passwordKey, API_KEY_ID
    if any(t in REFERENCE_PREFIXES for t in tokens[:last]):
        return False  # existingSecret, useSecret
    if tokens[last].startswith("secret") and len(hits) > 1:
        return False  # passwordSecret, passwordSecretKey, tokenSecret: names a Secret object that holds it
    return True


def literal_value(value) -> bool:
    """A value that commits something: a non-empty string or a number, not a flag or a reference."""
    if isinstance(value, bool) or value is None:
        return False
    if isinstance(value, (int, float)):
        return True
    if not isinstance(value, str):
        return False
    text = value.strip()
    if not text or text.lower() in NOT_A_VALUE:
        return False
    if text.startswith("ENC[") or "{{" in text:  # SOPS-encrypted, or a template expression
        return False
    if re.fullmatch(r"\$\{[^}]*\}|\$\([^)]*\)", text):  # a reference to another variable
        return False
    return True


def credential_value(value) -> str | None:
    """What kind of credential a value looks like ('a PEM private key', ...), or None."""
    if not isinstance(value, str) or len(value) < 16:
        return None
    for what, pattern in CREDENTIAL_VALUES:
        if pattern.search(value):
            return what
    return None
