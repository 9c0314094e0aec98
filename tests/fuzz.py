"""Random member input for fuzz tests: search syntax, markdown, mentions, RTL and
invisible characters, emoji, random code points and (optionally) lone surrogates."""

from __future__ import annotations

import random

ALPHABET = (
    'abcxyz naloxone relapse AA NA 12-step "quoted -not * ( ) : ^ NEAR AND OR NOT'
    " \\ ' ` ~ | @everyone <@123> # ** __ || \u200b \u202e é ñ ß 中文 😀 \t\n"
)


def random_text(rng: random.Random, *, surrogates: bool = False) -> str:
    pieces = ALPHABET.split(" ")
    out = []
    for _ in range(rng.randint(1, 12)):
        roll = rng.random()
        if roll < 0.6:
            out.append(rng.choice(pieces))
        elif roll < 0.9:
            out.append("".join(chr(rng.randint(32, 0x2FFF)) for _ in range(rng.randint(1, 6))))
        else:
            out.append("".join(rng.choice('"*-()^:+') for _ in range(rng.randint(1, 5))))
    text = " ".join(out)
    if surrogates and rng.random() < 0.1:
        text += "\ud800"
    return text
