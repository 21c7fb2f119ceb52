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

from . import lazyre

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


# -- a Helm values key: does it hold a credential, or name where one is kept? ----------------------
# "secret" ends both kinds of key: `jwtSecret: <the secret>` holds one, `tlsSecret: api-tls` names a
# Secret object; `secretKey` is an S3/MinIO secret key or the key inside a Secret (`secretKey: password`).
# The word before it decides when it can (these qualifiers make it a credential); otherwise the value's
# shape does: a Kubernetes object name or a Secret data key is a reference, anything else a credential.
CREDENTIAL_QUALIFIERS = frozenset({
    "jwt", "client", "api", "session", "cookie", "webhook", "shared", "hmac", "signing", "encryption",
    "master", "oauth", "oidc", "csrf", "django", "rails", "flask", "aws", "s3", "minio", "access", "bootstrap",
})
_K8S_NAME = lazyre.compile(r"[a-z0-9](?:[-a-z0-9]*[a-z0-9])?(?:\.[a-z0-9](?:[-a-z0-9]*[a-z0-9])?)*")
_DATA_KEY = lazyre.compile(r"[-._a-zA-Z0-9]+")
_PATH = lazyre.compile(r"(?:/|\./|~/)[^\s]*")


def _random_looking(text: str) -> bool:
    """Generated rather than typed: long and mixing lower case, upper case and digits, or a long run of
    letters and digits with no separator (hex, base32). Kubernetes names separate their words."""
    classes = sum(bool(re.search(p, text)) for p in ("[a-z]", "[A-Z]", "[0-9]"))
    if len(text) >= 16 and classes == 3:
        return True
    return len(text) >= 20 and bool(re.search("[0-9]", text)) and bool(re.fullmatch(r"[A-Za-z0-9]+", text))


def _reference_shaped(text: str) -> bool:
    """A Kubernetes object name (`api-tls`) or a Secret data key (`password`, `tls.key`)."""
    if len(text) > 63 or _random_looking(text):
        return False
    return bool(_K8S_NAME.fullmatch(text) or _DATA_KEY.fullmatch(text))


def helm_value_is_credential(trail: tuple, value) -> bool:
    """Whether a Helm values key (``trail``: its key path) is set to a committed credential.

    Key shape first (:func:`sensitive_name`: ``existingSecret``, ``secretName``, ``passwordKey``,
    ``*Ref``, ``*File``, ``*Path`` name a secret, they do not hold one), then value shape: no
    literal (empty, a flag, ``{{ }}``/``${}`` placeholders, ``<...>``), a path, and for keys that
    end in a bare ``secret``/``secretKey`` without a qualifier that makes them a credential
    (``tlsSecret``, ``caCerts.secret``, ``secretKey``, ``serviceAccountSecretKey``), a value
    shaped like a Kubernetes name or a Secret data key: they name where the secret is kept."""
    key = str(trail[-1])
    if not sensitive_name(key) or not literal_value(value):
        return False
    if not isinstance(value, str):
        return True  # a number: a PIN, a numeric password
    text = value.strip()
    if _PATH.fullmatch(text) or re.fullmatch(r"<[^<>]*>", text):
        return False
    tokens = _tokens(words(key))
    last = max(i for i, t in enumerate(tokens) if t in SENSITIVE_WORDS)
    if tokens[last] not in ("secret", "secretkey"):
        return True  # password, token, apiKey, clientSecret, privateKey: the key holds the value
    before = tokens[last - 1] if last > 0 else None
    if before is None and len(trail) > 1:  # a bare `secret:`: the parent key qualifies it (jwt.secret)
        parent = _tokens(words(str(trail[-2])))
        before = parent[-1] if parent else None
    if before in CREDENTIAL_QUALIFIERS:
        return True
    return not _reference_shaped(text)


def credential_value(value) -> str | None:
    """What kind of credential a value looks like ('a PEM private key', ...), or None."""
    if not isinstance(value, str) or len(value) < 16:
        return None
    for what, pattern in CREDENTIAL_VALUES:
        if pattern.search(value):
            return what
    return None


# -- credentials inside a file-valued key (an env file, application.properties, a YAML/JSON config) --
CONFIG_FILE_SUFFIXES = (".env", ".properties", ".yaml", ".yml", ".json", ".conf", ".cfg", ".ini", ".toml")
_ASSIGNMENT = lazyre.compile(
    r"""^(?P<indent>[ \t]*)(?:-[ \t]+)?(?:export[ \t]+)?(?P<q>["']?)(?P<key>[A-Za-z_][\w.\-]*)(?P=q)[ \t]*"""
    r"""(?:=|:(?=[ \t]|$))[ \t]*(?P<value>.*?)[ \t]*$"""
)
_OPENS = frozenset({"", "{", "[", "|", ">", "|-", ">-", "|+", ">+"})
_PLACEHOLDER = lazyre.compile(r"<[^<>]*>|\*+|x{3,}|ENC\(.*\)|%\([\w.]+\)s|\$\{[^}]*\}|\$\([^)]*\)|\$[A-Z_][A-Z0-9_]*")


def is_config_file(key: str, value) -> bool:
    """A ConfigMap value that holds a whole file: several lines, or a key named like a config file."""
    return isinstance(value, str) and ("\n" in value.strip() or str(key).lower().endswith(CONFIG_FILE_SUFFIXES))


def _inner_value(raw: str) -> str:
    text = raw.rstrip(",").strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        return text[1:-1]
    return re.split(r"[ \t]+[#;]", text, maxsplit=1)[0].strip()  # an unquoted value ends at a comment


def inner_credentials(text: str) -> list[tuple[str, int]]:
    """(dotted key name, 0-based line) of every line of a config file that sets a credential-named
    key to a literal: ``DB_PASSWORD=...`` (env file), ``spring.datasource.password=...``
    (.properties), ``password: ...`` under ``spring: datasource:`` (YAML, reported as
    spring.datasource.password), ``"password": "..."`` (JSON, one key per line). References and
    placeholders (``${DB_PASSWORD}``, ``<password>``, ``ENC(...)``, ``{{ ... }}``) are not
    credentials, nor is a value that starts with ``$`` (a shell variable: ``PGPASSWORD=$PW psql``) or
    ``!`` (a YAML tag such as ``!vault``). Only key names and line numbers leave this function, never
    a value."""
    found: list[tuple[str, int]] = []
    parents: list[tuple[int, str]] = []  # (indent, key) of the enclosing YAML/JSON mappings
    for number, line in enumerate(text.splitlines()):
        stripped = line.strip()
        if not stripped or stripped[0] in "#;![" or stripped.startswith("//"):
            continue
        match = _ASSIGNMENT.match(line)
        if match is None:
            continue
        indent = len(match.group("indent").expandtabs(2))
        while parents and parents[-1][0] >= indent:
            parents.pop()
        key, raw = match.group("key"), match.group("value")
        if raw in _OPENS:
            parents.append((indent, key))
            continue
        value = _inner_value(raw)
        leaf = key.rsplit(".", 1)[-1]
        if value.startswith(("$", "!")):  # a variable ($1, $DB_PASSWORD psql ...) or a YAML tag (!vault, !secret)
            continue
        if sensitive_name(leaf) and literal_value(value) and not _PLACEHOLDER.fullmatch(value):
            found.append((".".join([k for _, k in parents] + [key]), number))
    return found


# -- --set expressions in a target's label -------------------------------------------------------
_SHOWN_VALUE = lazyre.compile(r"[\w.:/@+-]{0,40}")


def shown_set_values(expressions) -> str:
    """Helm ``--set`` expressions as a target label shows them: ``image.tag=v1.2.3`` when neither the
    key nor the value looks like a credential, else only the key, and then one short hash of the
    hidden values (two runs with different secrets get different labels; no value is printed)."""
    from .digests import sha256

    shown, hidden = [], []
    for expression in expressions:
        for item in re.split(r"(?<!\\),", expression):
            key, sep, value = item.partition("=")
            last = re.split(r"[.\[\]]", key.strip())
            plain = (sep and _SHOWN_VALUE.fullmatch(value) and not _random_looking(value)
                     and not any(sensitive_name(part) for part in last if part) and credential_value(value) is None)
            shown.append(item if plain else key.strip())
            if not plain:
                hidden.append(item)
    if hidden:
        shown.append("#" + sha256("\0".join(hidden).encode("utf-8", "surrogatepass")).hexdigest()[:8])
    return ",".join(shown)
