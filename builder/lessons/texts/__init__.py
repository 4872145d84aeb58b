"""The lessons' texts, one module per language: ``en`` (the reference) and any translation, each a dict
{lesson name: {"title", "text", "exercise", "hint"}}. A translation may leave a lesson out: English is shown."""

from __future__ import annotations

from . import en, zh

LANGUAGES = {"en": "English", "zh": "简体中文"}
_TEXTS = {"en": en.LESSONS, "zh": zh.LESSONS}
KEYS = ("title", "text", "exercise", "hint")


def text(lesson: str, key: str, language: str = "en") -> str:
    if key not in KEYS:
        raise KeyError(f"no lesson text {key!r}; known: {', '.join(KEYS)}")
    texts = _TEXTS.get(language, {}).get(lesson) or _TEXTS["en"][lesson]
    return texts[key]
