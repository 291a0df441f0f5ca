"""Precise prompt-injection and jailbreak rules, run on folded text (see ``_normalise``).

Each rule is a few regular expressions for one technique with a fixed score; they complement
the classifier where wording is distinctive (instruction override, prompt extraction, chat
template tokens, persona jailbreaks, concealment, instructions addressed to the model).
Patterns are bounded (no nested quantifiers) so they run in linear time on any input.
"""

from __future__ import annotations

import math
import re
import string
from dataclasses import dataclass

__all__ = ["RULES", "Rule", "RuleHit", "match_rules"]


@dataclass(frozen=True, slots=True)
class Rule:
    """One technique: ``parts`` are (keywords, pattern); a pattern runs only when one of its
    keywords occurs in the text, which keeps the rules at a few microseconds per KB."""

    rule_id: str
    title: str
    score: float
    parts: tuple[tuple[tuple[str, ...], re.Pattern[str]], ...]


@dataclass(frozen=True, slots=True)
class RuleHit:
    rule: Rule
    offset: int
    excerpt: str


_W = r"[\w'-]+"  # one word
_GAP = rf"(?:\s+{_W}){{0,4}}?\s+"  # up to four words between
_OVERRIDE_VERBS = r"(?:ignore|disregard|forget|skip|override|bypass|discard|abandon|neglect)"
_PRIOR = (
    r"(?:previous|prior|above|earlier|preceding|former|original|initial|old|existing|"
    r"system|developer|given|all|any|your|the|these|those|other|safety)"
)
_RULE_NOUNS = (
    r"(?:instructions?|directions|prompts?|rules|guidelines|commands|orders|context|"
    r"tasks?|assignments|programming|directives?|constraints|restrictions|polic(?:y|ies)|"
    r"guardrails|safeguards|filters|conversation|messages|training|information)"
)
_AI = r"(?:ai|a\.i\.|llm|language model|assistant|chat ?bot|gpt|model|agent|bot)s?"


def _strip_leading_boundaries(pattern: str) -> str:
    """Drop ``\\b`` at the start of each top-level alternative.

    A leading ``\\b`` stops Python's regex engine from skipping ahead to the possible first
    characters, which makes a search several times slower; :func:`match_rules` checks the
    word boundary at the match start itself instead.
    """
    out: list[str] = []
    depth = 0
    in_class = False
    i = 0
    at_start = True
    while i < len(pattern):
        ch = pattern[i]
        if at_start and depth == 0 and pattern.startswith("\\b", i):
            i += 2
            at_start = False
            continue
        at_start = False
        if ch == "\\":
            out.append(pattern[i : i + 2])
            i += 2
            continue
        if in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "|" and depth == 0:
            at_start = True
        out.append(ch)
        i += 1
    return "".join(out)


def _r(pattern: str) -> re.Pattern[str]:
    return re.compile(_strip_leading_boundaries(pattern), re.MULTILINE)


_OVERRIDE_KW = (
    "ignor",
    "disregard",
    "forget",
    "skip",
    "overrid",
    "bypass",
    "discard",
    "abandon",
    "neglect",
)
_AI_KW = (
    "ai",
    "ais",
    "llm",
    "llms",
    "model",
    "assistant",
    "bot",
    "bots",
    "chatbot",
    "gpt",
    "gpts",
    "agent",
    "language",
)

RULES: tuple[Rule, ...] = (
    Rule(
        "guard-prompt-injection-override",
        "Instruction override: asks the model to ignore its instructions",
        0.97,
        (
            (
                _OVERRIDE_KW,
                _r(
                    rf"\b{_OVERRIDE_VERBS}(?:\s+(?:all|any|every|each|of|the|your|these|those|"
                    rf"that)){{0,4}}(?:\s+{_PRIOR}){{1,4}}(?:\s+{_W})?\s+{_RULE_NOUNS}\b"
                    rf"|\b{_OVERRIDE_VERBS}\s+(?:everything|all|anything)\s+(?:you|that)\s+"
                    rf"(?:were|was|have been|'ve been|had been)\s+(?:told|taught|given|"
                    rf"instructed|said)"
                ),
            ),
            (
                (
                    "void",
                    "cancel",
                    "outdated",
                    "obsolete",
                    "revoked",
                    "invalid",
                    "no longer",
                    "supersede",
                    "overridden",
                ),
                _r(
                    rf"\b(?:previous|prior|above|earlier|original|old)\s+{_RULE_NOUNS}\s+"
                    rf"(?:are|is)\s+(?:now\s+)?(?:void|cancell?ed|outdated|obsolete|revoked|"
                    rf"invalid|no longer valid|superseded|overridden)"
                ),
            ),
        ),
    ),
    Rule(
        "guard-prompt-injection-new-instructions",
        "New instructions injected: claims to replace the model's task or prompt",
        0.93,
        (
            (
                ("instruction", "directive", "system prompt", "orders", "rules"),
                _r(
                    r"\b(?:new|updated|real|true|actual|hidden|secret|additional|revised)\s+"
                    r"(?:system\s+)?(?:instructions?|directives?|system prompt|orders|rules)\s*"
                    r"(?:from (?:the )?(?:developer|admin|system|operator)\s*)?[:\-]"
                ),
            ),
            (
                # not "your only job is": that scopes a persona or a system prompt ("your
                # only purpose is to engage in research"); it claims no replacement
                ("your new", "your real", "your true", "your actual"),
                _r(
                    r"\byour (?:new|real|true|actual) (?:task|job|goal|purpose|"
                    r"instructions?|mission|objective) (?:is|are|will be)\b"
                ),
            ),
            (
                ("supersedes", "overrides", "replaces"),
                _r(r"\bthis (?:message|text|note|instruction) (?:supersedes|overrides|replaces)"),
            ),
            (
                ("from now on",),
                _r(
                    r"\bfrom now on,? you (?:are|will|must|shall|should|'re|'ll)\s+(?:be |now )?"
                    r"(?:going to |to )?(?:act|respond|answer|reply|ignore|pretend|only|behave|"
                    r"obey|follow|play|simulate|operate|function)"
                ),
            ),
            (("override",), _r(r"\b(?:system|admin|developer|priority|security) override\b")),
        ),
    ),
    Rule(
        "guard-prompt-injection-prompt-extraction",
        "System prompt extraction: asks the model to disclose its hidden instructions",
        0.95,
        (
            (
                (
                    "prompt",
                    "system message",
                    "instructions",
                    "rules",
                    "guidelines",
                    "configuration",
                ),
                _r(
                    r"\b(?:reveal|print|repeat|output|leak|dump|recite|show|tell|display|share|"
                    r"give|disclose|expose|spell|echo|translate|encode)"
                    r"(?:\s+[\w']+){0,4}?\s+(?:system prompts?|system messages?|initial prompts?|"
                    r"pre-?prompts?|(?:hidden|secret|original|initial|internal|confidential|"
                    r"developer|system) (?:instructions|prompts?|rules|guidelines|configuration))"
                    r"\b|\b(?:your|the) (?:instructions|prompt|rules|guidelines) "
                    r"(?:verbatim|word for word)"
                    r"|\bwhat (?:were|are|was|is) your (?:initial|original|first|exact|hidden|"
                    r"system) (?:instructions|prompt|rules)"
                ),
            ),
            (
                ("above", "before", "prior", "given"),
                _r(
                    r"\b(?:repeat|print|output|recite|copy) (?:everything|all|the (?:text|words|"
                    r"lines|content)) (?:above|before|prior)"
                    r"|\b(?:text|instructions|words) (?:you were|you've been|you have been) given "
                    r"(?:at the (?:start|beginning)|initially|before)"
                ),
            ),
        ),
    ),
    Rule(
        "guard-prompt-injection-jailbreak-persona",
        "Jailbreak persona: asks the model to become an unrestricted character",
        0.93,
        (
            (
                ("do anything now", "developer mode", "dan mode", "jailbr", "god mode", "evil "),
                _r(
                    r"\b(?:do anything now|developer mode (?:enabled|activated|on|output)|"
                    r"dan mode|jailbreak(?:ed)? mode|jailbroken|god mode (?:enabled|activated)|"
                    r"evil (?:confidant|mode|assistant|ai|twin))\b"
                ),
            ),
            (
                (
                    "restriction",
                    "limit",
                    "filter",
                    "rules",
                    "guideline",
                    "ethic",
                    "moral",
                    "censor",
                    "boundaries",
                    "safeguard",
                    "polic",
                    "constraint",
                ),
                _r(
                    r"\b(?:act as|pretend(?: to be| you are| that you are)?|you are|you're|"
                    r"roleplay as|role-play as|become|simulate|play the role of|behave as|"
                    r"answer as)(?:\s+[\w'\-]+){0,12}?\s+(?:with (?:no|zero)|without(?: any)?|"
                    r"free (?:of|from)|that (?:has|have) no|who (?:has|have) no|which has no)\s+"
                    r"(?:\w+\s+)?(?:restrictions|limits|limitations|filters|filtering|rules|"
                    r"guidelines|ethics|morals|moral|ethical|censorship|boundaries|safeguards|"
                    r"content polic(?:y|ies)|constraints)"
                ),
            ),
            (
                ("unfiltered", "uncensored", "amoral", "unrestricted", "unethical", "unhinged"),
                _r(
                    r"\b(?:unfiltered|uncensored|amoral|unrestricted|unethical|unhinged) "
                    r"(?:ai|assistant|chatbot|model|version|mode|response|character|persona)"
                ),
            ),
            (
                (
                    "filter",
                    "guideline",
                    "restriction",
                    "safeguard",
                    "guardrail",
                    "protocol",
                    "safety training",
                    "polic",
                    "alignment",
                ),
                _r(
                    r"\b(?:disable|turn off|remove|deactivate|lift|suspend|bypass|ignore|override)"
                    r"\s+(?:(?:your|all|the|any|its) ){0,4}(?:(?:safety|content|ethical|moral)\s*)?"
                    r"(?:filters|guidelines|restrictions|safeguards|guardrails|protocols|"
                    r"safety training|content polic(?:y|ies)|alignment)\b"
                ),
            ),
            (
                ("confines", "restrictions", "rules", "limitations", "shackles"),
                _r(
                    r"\b(?:broken|break|freed?|escaped?) (?:free )?(?:of|from) (?:the )?"
                    r"(?:typical |usual |normal )?(?:confines|restrictions|rules|limitations|"
                    r"shackles)"
                ),
            ),
            (
                ("no ", "without "),
                _r(
                    r"\b(?:if you (?:had|were|have) (?:no|without(?: any)?)|(?:ai|assistant|"
                    r"model|chatbot|bot|character|version of yourself|persona)(?: named [\w-]+)?,? "
                    r"(?:who|that|which) (?:has|have|had) no|(?:no|without) (?:any )?(?:content "
                    r"polic(?:y|ies)|ethical (?:guidelines|constraints|boundaries)|moral "
                    r"(?:compass|constraints|guidelines)|safety (?:guidelines|filters|rules)))"
                    r"(?:\s+(?:content|ethical|moral|safety))?\s*(?:polic(?:y|ies)|guidelines|"
                    r"restrictions|rules|filters|limits|ethics|morals|censorship|constraints|"
                    r"boundaries|,|\.|and|to|you)"
                ),
            ),
            (
                ("stay in character",),
                _r(
                    r"\bstay in character\b.{0,200}\b(?:never|no matter|"
                    r"even if|refus)"
                ),
            ),
        ),
    ),
    Rule(
        "guard-prompt-injection-role-delimiter",
        "Chat template or role delimiter injected into the text",
        0.92,
        (
            (
                ("<|", "[inst]", "[/inst]", "<<sys>>", "<</sys>>", "</system>", "</admin>"),
                _r(
                    r"<\|(?:im_start|im_end|system|user|assistant|endoftext|start_header_id|"
                    r"end_header_id|eot_id|begin_of_text)\|>|\[/?inst\]|<</?sys>>|</system>|"
                    r"</admin>"
                ),
            ),
            (
                # a spoofed role marker in data: "###(system_message)", "[SYSTEM NOTE]",
                # "<admin override>"; not a call or index in code (append(system_message),
                # cfg[system_note]: a name or dot before the bracket), not a {placeholder}
                ("system", "admin", "developer", "root"),
                _r(
                    r"(?<![\w.])[(\[<]\s*(?:system|admin|administrator|developer|root)[ _-]?"
                    r"(?:message|instructions?|note|override|notice|command)s?\s*[)\]>]"
                ),
            ),
            (
                ("new system", "new instruction", "system prompt"),
                _r(
                    r"#{2,8}\s*new\s+(?:system|instruction)s?(?:\s+prompt)?\b|"
                    r"\bnew system (?:prompt|message|instructions?)\s*"
                    r"(?::|#|-|is\b|reads\b|follows\b)|"
                    r"^[ \t]*(?:updated|new|real|actual|true) system prompt\s*:"
                ),
            ),
        ),
    ),
    Rule(
        "guard-prompt-injection-concealment",
        "Concealment: tells the model to hide what it does from the user",
        0.85,
        (
            (
                ("not", "don", "never", "without"),
                _r(
                    r"\b(?:do not|don't|never|without) (?:mention|tell(?:ing)?|reveal|"
                    r"inform(?:ing)?|alert(?:ing)?|let|notify(?:ing)?|mentioning|revealing) "
                    r"(?:this|these|it|the user|anyone|them|the reader|the human)(?: about)?"
                    r"(?: this)?(?:\s+(?:instructions?|directive|message|note|change|step|part))?"
                    r"\s*(?:[,.;:]|but|and|to|know|that|about)"
                ),
            ),
        ),
    ),
    Rule(
        "guard-prompt-injection-addressed-to-ai",
        "Instructions addressed to the AI inside content",
        0.9,
        (
            (
                _AI_KW,
                _r(
                    rf"\b(?:note|message|warning|ps|p\.s\.)s?\s*(?:to|for)\s+(?:the\s+|any\s+|"
                    rf"all\s+)?{_AI}\b"
                    rf"|\b(?:attention|listen),?\s+{_AI}\s*[:,!]"
                    rf"|^[ \t]*{_AI}\s*(?:agents?\s*)?:\s+(?:you|please|ignore|do|now|before)"
                    rf"|\b(?:ai|assistant|model),?\s+you (?:must|are required to|have to|need to) "
                    rf"(?:comply|obey|follow)"
                ),
            ),
            (
                ("before you", "instead", "ignore", "tell", "disregard"),
                _r(
                    rf"(?:^|[^\w\s]\s*|\b(?:hey|hi|dear)\s+){_AI},?\s+(?:before you|instead|"
                    rf"ignore|disregard|don't tell|do not tell)"
                ),
            ),
            (
                ("if you are a",),
                _r(
                    r"\bif you are an?\s+(?:ai|llm|large language model|language model|assistant|"
                    r"chat ?bot|automated|model)\b"
                ),
            ),
            (
                ("reading", "processing", "parsing", "summari", "analy", "viewing", "scanning"),
                _r(
                    rf"\b{_AI}(?:\s+agents?)?\s+(?:reading|processing|parsing|summari[sz]ing|"
                    rf"analy[sz]ing|viewing|scanning) (?:this|the following)"
                ),
            ),
        ),
    ),
)


_BEFORE, _AFTER = 200, 320  # a window around each keyword covers the longest pattern
_MAX_WINDOWS = 6


def _windows(folded: str, keywords: tuple[str, ...]) -> list[tuple[int, int]] | None:
    """Spans around keyword hits, merged; [] when no keyword occurs; None when there are
    so many hits that searching the whole text is cheaper."""
    hits: list[int] = []
    for k in keywords:
        i = folded.find(k)
        while i != -1:
            hits.append(i)
            if len(hits) > _MAX_WINDOWS:
                return None
            i = folded.find(k, i + 1)
    if not hits:
        return []
    hits.sort()
    spans: list[tuple[int, int]] = []
    for i in hits:
        lo, hi = max(0, i - _BEFORE), i + _AFTER
        if spans and lo <= spans[-1][1]:
            spans[-1] = (spans[-1][0], hi)
        else:
            spans.append((lo, hi))
    return spans


def _search(
    pattern: re.Pattern[str], text: str, lo: int = 0, hi: int | None = None
) -> re.Match[str] | None:
    """``pattern.search`` with the word boundary at the match start checked here."""
    end = len(text) if hi is None else hi
    m = pattern.search(text, lo, end)
    while (
        m is not None
        and m.start() > 0
        and _is_word(text[m.start() - 1])
        and (m.end() > m.start() and _is_word(text[m.start()]))
    ):
        m = pattern.search(text, m.start() + 1, end)
    return m


def _is_word(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


_STEM = 5
_LETTERS = bytes(i if chr(i).isalpha() and i < 128 else 32 for i in range(256))
_Gate = tuple[frozenset[bytes], frozenset[bytes]]


def _stem_gate(keywords: tuple[str, ...]) -> _Gate | None:
    """What one of ``keywords`` needs in the text: a word starting with a 5-letter stem, or
    a whole short word. None when a keyword is not made of plain words (``<|``, ``##``):
    such parts are always searched."""
    stems: set[bytes] = set()
    words: set[bytes] = set()
    for k in keywords:
        parts = k.split()
        if not parts or not all(w.isascii() and w.isalpha() for w in parts):
            return None
        first = parts[0].encode()
        (stems if len(first) >= _STEM else words).add(first[:_STEM])
    return frozenset(stems), frozenset(words)


_GATES = {r.rule_id: [_stem_gate(kw) for kw, _ in r.parts] for r in RULES}


def match_rules(folded: str) -> list[RuleHit]:
    """Every rule that matches ``folded`` (its first match).

    Each pattern is searched only near occurrences of its keywords (or in the whole text
    when they are many); the result is the same as searching the whole text because every
    pattern is shorter than the window and contains one of its keywords.
    """
    hits: list[RuleHit] = []
    folded = " " + folded  # keywords such as " ai" also match at the very start
    short = len(folded) <= _BEFORE + _AFTER
    words = set(folded.encode("ascii", "replace").translate(_LETTERS).split())
    stems = {w[:_STEM] for w in words}
    for rule in RULES:
        for (keywords, pattern), gate in zip(rule.parts, _GATES[rule.rule_id], strict=True):
            if gate is not None and gate[0].isdisjoint(stems) and gate[1].isdisjoint(words):
                continue
            if short:
                m = _search(pattern, folded) if any(k in folded for k in keywords) else None
            else:
                spans = _windows(folded, keywords)
                if spans is None:
                    m = _search(pattern, folded)
                else:
                    m = None
                    for lo, hi in spans:
                        m = _search(pattern, folded, lo, hi)
                        if m:
                            break
            if m:
                excerpt = folded[m.start() : m.end()].strip()[:80]
                hits.append(RuleHit(rule, max(m.start() - 1, 0), excerpt))
                break
    return hits


SUFFIX_RULE = Rule(
    "guard-prompt-injection-adversarial-suffix",
    "Adversarial suffix: a request followed by an optimised run of word and symbol fragments",
    0.9,
    (),
)
_TOKEN = re.compile(r"\S+")
_PUNCT_CHARS = frozenset("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")
# a camelCase step: an upper-case letter after a lower-case one (the pattern starts with
# a character class, so the regex engine skips to such a letter, then looks behind)
_CAMEL = re.compile(r"[A-Z](?<=[a-z][A-Z])")
_SUFFIX_TOKENS = 12
_SUFFIX_ODD_SHARE = 0.6
_SUFFIX_MIN_ODD = math.ceil(_SUFFIX_ODD_SHARE * _SUFFIX_TOKENS)  # odd ones of the last tokens


# Letters to spaces: what str.split() then returns are the runs of other characters
# (``[^\sA-Za-z]+``, counted without a regex that tries every position).
_LETTERS_TO_SPACE = str.maketrans(string.ascii_letters, " " * len(string.ascii_letters))
# A whole run of such characters that only ends a word: sentence punctuation after a letter,
# before a space or the end (starting with a character class too, like _CAMEL).
_WORD_END_RUN = re.compile(r"[.,!?;:](?<=[A-Za-z][.,!?;:])[.,!?;:]*(?=\s|\Z)")


def _odd_token_bound(line: str) -> int:
    """At least the number of odd tokens of ``line`` (``_odd_token``, ``_tail_token_odd``),
    counted without splitting it into tokens: an odd token has a camelCase step or a run of
    characters other than ASCII letters, except sentence punctuation that ends a word
    ("points," "most."). Pass a slice, not a position: the look-behinds must not see before
    it."""
    runs = len(line.translate(_LETTERS_TO_SPACE).split()) - len(_WORD_END_RUN.findall(line))
    return runs + len(_CAMEL.findall(line))


def _odd_token(token: str) -> bool:
    """A word with symbols glued into it, camelCase, or a run of symbols; a word with
    ordinary punctuation around it ("word.", "(word)", "'word'") is not odd."""
    core = token.rstrip(".,!?;:").strip("\"'()")
    if core.isalpha():
        return _CAMEL.search(core) is not None
    letters = sum(c.isalpha() for c in core)
    punct = sum(c in _PUNCT_CHARS for c in core)
    return bool((letters and punct) or (not letters and punct >= 2))


def adversarial_suffix(clean: str) -> RuleHit | None:
    """GCG-style suffix: the last 12 tokens are mostly fragments that glue symbols to words
    (or camelCase), use at least 6 different symbols, follow plain prose, and are not a
    template or data (``${...}``, ``{{...}}``)."""
    # optimised suffixes are appended on the request's own line; code and data span lines
    last_line = clean[-400:].rstrip().rsplit("\n", 1)[-1]
    if _odd_token_bound(last_line) < _SUFFIX_MIN_ODD:
        return None
    tokens = _TOKEN.findall(last_line)
    if len(tokens) < _SUFFIX_TOKENS + 4:
        return None
    tail = tokens[-_SUFFIX_TOKENS:]
    if sum(_odd_token(t) for t in tail) < _SUFFIX_MIN_ODD:
        return None
    symbols = {c for t in tail for c in t if c in _PUNCT_CHARS}
    if len(symbols) < 6:
        return None
    text = " ".join(tail)
    if "${" in text or "{{" in text:
        return None
    head = " ".join(tokens[-_SUFFIX_TOKENS - 12 : -_SUFFIX_TOKENS])
    if sum(c.isalpha() or c == " " for c in head) < 0.8 * len(head):
        return None
    return RuleHit(SUFFIX_RULE, max(len(clean) - len(text), 0), text[:60])


_TAIL_MIN_TOKENS = 8
_TAIL_ODD_SHARE = 0.4
_TAIL_MIN_ODD = math.ceil(_TAIL_ODD_SHARE * _TAIL_MIN_TOKENS)  # the fewest odd tokens of a tail
_HEAD_MIN_TOKENS = 6


def request_before_junk(clean: str) -> str | None:
    """The request in front of a junk tail, or None: the last line ends in a run of at
    least eight tokens of which at least 40% are odd (symbols glued to words, camelCase,
    symbol runs) and that starts with an odd token, after at least six tokens.
    Optimised suffixes dilute a bag-of-n-grams score; the request alone is judged too."""
    text = clean.rstrip()
    # the last line, at most its last 2,000 characters
    line_start = max(text.rfind("\n") + 1, len(text) - 2000)
    if _odd_token_bound(text[line_start:]) < _TAIL_MIN_ODD:
        return None  # most prompts end here, without being split into tokens
    tokens = text[line_start:].split()  # the same tokens as _TOKEN, without match objects
    n = len(tokens)
    # a lower-case word (most tokens of a prompt) is never odd: judged without a call
    flags = [not (t.isalpha() and t.islower()) and _tail_token_odd(t) for t in tokens]
    if sum(flags) < _TAIL_MIN_ODD:
        return None  # too few odd tokens for any tail run
    odd = 0
    start: int | None = None
    for i in range(n - 1, -1, -1):
        is_odd = flags[i]
        odd += is_odd
        if is_odd and n - i >= _TAIL_MIN_TOKENS and odd >= _TAIL_ODD_SHARE * (n - i):
            start = i
    if start is None or start < _HEAD_MIN_TOKENS:
        return None
    for i, match in enumerate(_TOKEN.finditer(text, line_start)):
        if i == start:
            return text[: match.start()].rstrip()
    return None  # unreachable: str.split() and \S+ find the same tokens


def _tail_token_odd(token: str) -> bool:
    """``_odd_token(token)`` or a token with no letter or digit; a plain word (most tokens
    of a prompt) is answered without a regex call."""
    if token.isalpha():
        if token.islower() or token.isupper() or token[1:].islower():
            return False  # no lower-case letter followed by an upper-case one
        return _CAMEL.search(token) is not None
    return _odd_token(token) or not any(c.isalnum() for c in token)
