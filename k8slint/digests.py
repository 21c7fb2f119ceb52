"""SHA-256 and BLAKE2b from CPython's own small hash modules, not ``hashlib``.

``hashlib`` loads OpenSSL's libcrypto when imported (5-30 ms, ~14 million instructions: a
tenth of a pre-commit check of one file) to offer algorithms k8slint never uses. The same
two functions, the same digests, come from the interpreter's built-in implementations;
``hashlib`` is the fallback where an interpreter lacks them.
"""

from __future__ import annotations

try:
    from _sha256 import sha256  # CPython 3.11
except ImportError:  # pragma: no cover - depends on the interpreter
    try:
        from _sha2 import sha256  # CPython 3.12+
    except ImportError:
        from hashlib import sha256

try:
    from _blake2 import blake2b
except ImportError:  # pragma: no cover - depends on the interpreter
    from hashlib import blake2b

__all__ = ["blake2b", "sha256"]
