"""Path arguments: resolved the way a file API would resolve them, then compared with roots.

Every spelling a tool or a server in front of it might decode is tried, and each must land
inside an allowed root: the raw text, its percent-decodings (double encoding and the
overlong UTF-8 slash included), the NFKC fold (fullwidth dots and slashes), backslashes as
slashes, path parameters removed (``..;/`` is ``../`` to Java servers), ``~`` and ``~user``
expanded. Relative paths are taken from the first root. The comparison is made on both the
lexical form (``normpath``) and the real path (symlinks resolved), so a symlink inside a
root that points outside it is caught. Windows drives, UNC paths and URLs (``file://``,
``s3://``: URL-aware file APIs open them) are never inside a POSIX root.
"""

from __future__ import annotations

import os
import posixpath
import re
import unicodedata
from urllib.parse import unquote

__all__ = ["MAX_PATH_CHARS", "path_problem"]

MAX_PATH_CHARS = 4096
_SLASHES = {"\\": "/", "\u2215": "/", "\u2044": "/", "\uff0f": "/", "\u29f8": "/"}
_OVERLONG = {"%c0%af": "/", "%c0%ae": ".", "%e0%80%af": "/", "%u002e": ".", "%u2215": "/",
             "%uff0e": ".", "%c1%9c": "\\", "%c1%1c": "\\"}  # fmt: skip
_OVERLONG_RE = re.compile("|".join(re.escape(k) for k in _OVERLONG), re.IGNORECASE)
_DRIVE = re.compile(r"[A-Za-z]:")
_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]{0,30}:/")


def _forms(value: str) -> list[str]:
    forms = [value]
    current = value
    for _ in range(4):
        if "%" not in current:
            break
        nxt = unquote(_OVERLONG_RE.sub(lambda m: _OVERLONG[m.group().lower()], current))
        if nxt == current:
            break
        forms.append(nxt)
        current = nxt
    for form in list(forms):
        folded = unicodedata.normalize("NFKC", form)
        for ch, repl in _SLASHES.items():
            folded = folded.replace(ch, repl)
        if folded != form:
            forms.append(folded)
        if ";" in folded:  # path parameters: '..;/' and 'a;x=1/..'
            forms.append("/".join(seg.split(";", 1)[0] for seg in folded.split("/")))
    return list(dict.fromkeys(forms))


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip("/") + "/")


def path_problem(value: str, roots: tuple[str, ...]) -> str | None:
    """Why ``value`` is not a path inside one of ``roots``, or None."""
    if not roots:
        return "no allowed root is declared for this path"
    if len(value) > MAX_PATH_CHARS:
        return f"path longer than {MAX_PATH_CHARS} characters"
    if not value.strip():
        return "empty path"
    real_roots = [os.path.realpath(r) for r in roots]
    lexical_roots = [posixpath.normpath(r) for r in roots]
    for form in _forms(value):
        if any(ord(c) < 32 or ord(c) == 127 for c in form):
            return "control character or NUL in path"
        path = form
        if _DRIVE.match(path) or path.startswith("//"):
            return "Windows drive or network path"
        if _URL.match(path):  # file://, s3://... (fsspec and URL-aware file APIs)
            return "a URL where a path belongs"
        if path.startswith("~"):
            expanded = os.path.expanduser(path)  # noqa: PTH111 (a str API: no Path here)
            if expanded.startswith("~"):
                return "home directory of an unknown user"
            path = expanded
        if not path.startswith("/"):
            path = posixpath.join(roots[0], path)
        lexical = posixpath.normpath(path)
        if lexical.startswith("//"):
            lexical = "/" + lexical.lstrip("/")
        if not any(_inside(lexical, r) for r in lexical_roots):
            return f"outside {', '.join(roots)}"
        try:
            real = os.path.realpath(path)
        except (OSError, ValueError):
            return "path cannot be resolved"
        if not any(_inside(real, r) for r in real_roots):
            return f"resolves outside {', '.join(roots)} (symlink)"
    return None
