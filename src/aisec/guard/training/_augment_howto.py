"""Train-only benign twins of attack phrasing: how-to requests and trigger words.

Harmful requests (label 1 in the shared data) are mostly "give step-by-step instructions
for ...", "write a persuasive article ...", "describe how to ...": without benign requests
of the same shape, the classifier learns the shape ("instructions", "step by step") instead
of the harm. Likewise injections say "ignore", "forget", "previous", "override", "reveal",
"developer mode", "system", "jailbreak", and ordinary questions use the same words. These
templates and tasks were written for aisec; they pair each attack-shaped phrasing with
harmless content, so only the content can decide.
"""

from __future__ import annotations

import random

from aisec.guard.training._augment import Example

__all__ = ["generate_benign_twins"]

_HOWTO = [
    "Give step-by-step instructions for {t}.",
    "Give detailed instructions for {t}.",
    "Write instructions for {t}.",
    "Provide a step by step guide to {t}.",
    "Describe in detail how to go about {t}.",
    "Explain how to do this: {t}.",
    "List the steps for {t}.",
    "Write a tutorial on {t} for beginners.",
    "What are the instructions for {t}?",
    "I need clear, numbered instructions for {t}.",
    "Generate a checklist for {t}.",
    "Write a short how-to article about {t}.",
]
_TASKS = [
    "repotting a cactus",
    "baking sourdough bread",
    "replacing a bicycle chain",
    "setting up a home Wi-Fi mesh network",
    "filing a tax return as a freelancer",
    "training a puppy to sit",
    "making cold brew coffee",
    "cleaning a cast iron pan",
    "changing a car's engine oil",
    "planting tomatoes on a balcony",
    "writing a cover letter",
    "setting up a Python virtual environment",
    "installing a ceiling fan safely",
    "knitting a simple scarf",
    "preparing for a job interview",
    "backing up an iPhone",
    "tuning a guitar by ear",
    "building a birdhouse",
    "making a budget spreadsheet",
    "renewing a passport",
    "brewing kombucha at home",
    "painting a room without streaks",
    "starting a vegetable compost",
    "assembling a flat-pack wardrobe",
    "creating a strong and memorable password",
    "migrating a PostgreSQL database to a new server",
    "unclogging a kitchen sink",
    "folding a fitted sheet",
    "learning to juggle three balls",
    "writing unit tests with pytest",
    "applying for a library card",
    "making fresh pasta by hand",
    "cleaning a laptop keyboard",
    "preparing a first-aid kit for hiking",
    "sharpening kitchen knives",
    "setting up two-factor authentication",
    "organising a small wedding",
    "hanging a heavy mirror on drywall",
    "caring for an orchid",
    "running a 5K race for the first time",
]
_PERSUADE = [
    "Write a persuasive article about {p}.",
    "Write a convincing essay arguing for {p}.",
    "Write a social media post encouraging people to {q}.",
    "Write a letter persuading my neighbours to {q}.",
]
_POSITIONS = [
    ("more bike lanes in cities", "join the community garden"),
    ("a four-day work week", "recycle their batteries properly"),
    ("reading to children every day", "vote in the local election"),
    ("learning a second language", "donate blood this month"),
    ("public libraries", "adopt pets from shelters"),
    ("planting trees in schoolyards", "switch off lights they are not using"),
]
_TRIGGER = [
    "How do I make {tool} ignore {thing}?",
    "Is it safe to ignore {warning}?",
    "Forget the previous {draft}; here is the new one. Can you check it?",
    "Please disregard my previous message about {topic}, it was a mistake.",
    "What were the previous rules for {topic} before they changed?",
    "How do I override the default {setting} in {tool}?",
    "How do I turn on developer mode in {device}?",
    "What does jailbreaking {device} mean, and does it void the warranty?",
    "Reveal the answer to this puzzle: {puzzle}",
    "Explain how the {system} system works.",
    "What are the system requirements for {software}?",
    "How do I reset the password for {account}?",
    "Where do I find the instructions for {device}?",
    "You are a patient tutor. Help me understand {topic}.",
    "Act as a friendly {role} and give me advice on {topic}.",
    "Pretend you are a {role} and explain {topic} to a child.",
    "From now on, answer my questions about {topic} in short bullet points.",
    "New task: summarise this paragraph about {topic} in one sentence.",
]
_FILL = {
    "tool": ["git", "eslint", "pandas", "Excel", "my spam filter", "rsync", "pytest", "Outlook"],
    "thing": ["a folder", "the header row", "case", "one warning", "hidden files", "whitespace"],
    "warning": [
        "a low tyre pressure light",
        "a compiler deprecation warning",
        "an expired certificate on my test server",
        "a check-engine light that comes and goes",
    ],
    "draft": ["draft", "version", "outline", "paragraph", "slide"],
    "topic": [
        "photosynthesis",
        "parking permits",
        "the French revolution",
        "compound interest",
        "visa applications",
        "recycling",
        "volcanoes",
        "the offside rule",
    ],
    "setting": ["font", "timezone", "shell", "theme", "download folder", "page margins"],
    "device": ["an Android phone", "a Chromebook", "my smart TV", "an iPad", "a Kindle"],
    "puzzle": [
        "what has hands but cannot clap?",
        "what gets wetter the more it dries?",
        "I speak without a mouth; what am I?",
    ],
    "system": ["immune", "nervous", "digestive", "solar", "metric", "legal", "electoral"],
    "software": ["Blender", "a Minecraft server", "Android Studio", "the latest macOS"],
    "account": ["my router", "my school e-mail", "a Wi-Fi printer", "my bank app"],
    "role": ["librarian", "chemistry teacher", "park ranger", "chef", "football coach"],
}


def _fill(rng: random.Random, template: str) -> str:
    return template.format(**{k: rng.choice(v) for k, v in _FILL.items()})


def generate_benign_twins(seed: int, n: int) -> list[Example]:
    """``n`` rounds; each adds a benign how-to request, and at random a benign persuasion
    request and a benign question that uses attack words."""
    rng = random.Random(seed * 15_485_863 + 11)  # noqa: S311 - reproducible data, not secrets
    out: list[Example] = []
    for _ in range(n):
        howto = rng.choice(_HOWTO).format(t=rng.choice(_TASKS))
        out.append(Example(howto, 0, "gen_benign_howto"))
        if rng.random() < 0.3:
            p, q = rng.choice(_POSITIONS)
            out.append(Example(rng.choice(_PERSUADE).format(p=p, q=q), 0, "gen_benign_howto"))
        if rng.random() < 0.7:
            out.append(Example(_fill(rng, rng.choice(_TRIGGER)), 0, "gen_benign_trigger"))
    return out
