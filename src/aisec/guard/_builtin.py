"""Import the built-in scanners so they register themselves in ``SCANNERS``.

The rule-based scanners: PII, secrets, invisible text, size limits, and the output scanners
(system-prompt leak, exfiltration links, refusals). The tool-call policy and the RAG filter
are not text scanners; the engine and gateway call them directly.
"""

from __future__ import annotations

from aisec.guard import _invisible, _limits, _output, _pii, _secrets

__all__ = ["BUILTIN_MODULES"]

BUILTIN_MODULES = (_invisible, _limits, _output, _pii, _secrets)
