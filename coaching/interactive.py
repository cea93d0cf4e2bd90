"""Content a worker answers by tapping: options, media, and what WhatsApp and Twilio accept of them.

Pure: the API checks content against these rules when it is written and when a journey is
published, activation builds Twilio Content API templates and SMS texts from them, and the
simulator answers by them. The limits are Twilio's content types on WhatsApp
(twilio/quick-reply: up to 10 buttons of 20 characters, 3 in a session message sent without
approval; twilio/list-picker: up to 10 items of 24 characters with a 72-character description,
in a session only; bodies up to 1,024 characters) and WhatsApp's accepted media types and sizes.

Layout: up to three options are quick-reply buttons, in the 24-hour window and outside it; four to
ten are a list picker in the window and quick-reply buttons (an approved template) outside it.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

MAX_OPTIONS = 10
SESSION_BUTTONS = 3  # quick-reply buttons WhatsApp allows in a session message
BUTTON_TITLE = 20
LIST_ITEM = 24
LIST_DESCRIPTION = 72
LIST_BUTTON = 20
PAYLOAD = 200
INTERACTIVE_BODY = 1024
PAYLOAD_PATTERN = re.compile(r"^[A-Za-z0-9_.-]{1,200}$")
LIST_BUTTON_TEXT = "Choose"

MB = 1024 * 1024


class MediaKind(StrEnum):
    IMAGE = "image"
    AUDIO = "audio"
    VIDEO = "video"
    DOCUMENT = "document"


# WhatsApp's accepted media types, each with its size limit.
ACCEPTED_MEDIA: dict[str, tuple[MediaKind, int]] = {
    "image/jpeg": (MediaKind.IMAGE, 5 * MB),
    "image/png": (MediaKind.IMAGE, 5 * MB),
    "audio/aac": (MediaKind.AUDIO, 16 * MB),
    "audio/amr": (MediaKind.AUDIO, 16 * MB),
    "audio/mpeg": (MediaKind.AUDIO, 16 * MB),
    "audio/mp4": (MediaKind.AUDIO, 16 * MB),
    "audio/ogg": (MediaKind.AUDIO, 16 * MB),
    "video/mp4": (MediaKind.VIDEO, 16 * MB),
    "video/3gpp": (MediaKind.VIDEO, 16 * MB),
    "application/pdf": (MediaKind.DOCUMENT, 100 * MB),
    "application/msword": (MediaKind.DOCUMENT, 100 * MB),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": (
        MediaKind.DOCUMENT,
        100 * MB,
    ),
    "application/vnd.ms-excel": (MediaKind.DOCUMENT, 100 * MB),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": (
        MediaKind.DOCUMENT,
        100 * MB,
    ),
    "text/plain": (MediaKind.DOCUMENT, 100 * MB),
}
# What a file name's extension says its type is (the emulator and the checks of a bare URL).
EXTENSION_TYPES = {
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".aac": "audio/aac",
    ".amr": "audio/amr",
    ".mp3": "audio/mpeg",
    ".m4a": "audio/mp4",
    ".ogg": "audio/ogg",
    ".opus": "audio/ogg",
    ".mp4": "video/mp4",
    ".3gp": "video/3gpp",
    ".pdf": "application/pdf",
    ".doc": "application/msword",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xls": "application/vnd.ms-excel",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".txt": "text/plain",
    ".gif": "image/gif",
    ".webp": "image/webp",
}
# Printable ASCII only (a URL is percent-encoded), spelled so that Python's `re` and the JSON
# Schema (ECMAScript) regex of the API's document mean the same: `\s` differs between them.
# The first character after the scheme is none of / $ . ? # (no look-ahead: Rust's regex, which
# pydantic uses, has none).
MEDIA_URL_PATTERN = r'^https?://[!"%-\-0->@-~][!-~]*$'
URL_PATTERN = re.compile(MEDIA_URL_PATTERN, re.IGNORECASE)


class Layout(StrEnum):
    QUICK_REPLY = "quick_reply"  # buttons: in the window and, approved, outside it
    LIST_PICKER = "list_picker"  # a menu: only inside the 24-hour window
    MEDIA = "media"  # an approved media template, for media content sent outside the window


@dataclass(frozen=True)
class Option:
    """One answer a worker can give: what it says, what comes back when tapped, what it means."""

    payload: str
    text: str
    description: str | None = None
    correct: bool = False
    score: int | None = None

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> Option:
        return cls(
            payload=str(raw["payload"]),
            text=str(raw["text"]),
            description=raw.get("description"),
            correct=bool(raw.get("correct", False)),
            score=None if raw.get("score") is None else int(raw["score"]),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "payload": self.payload,
            "text": self.text,
            "description": self.description,
            "correct": self.correct,
            "score": self.score,
        }


@dataclass(frozen=True)
class Problem:
    path: str
    reason: str


def parse_options(raw: Any) -> list[Option]:
    """Stored options (a JSON list) as Options; anything unreadable reads as no options."""
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            return []
    if not isinstance(raw, list):
        return []
    try:
        return [Option.from_json(item) for item in raw]
    except (KeyError, TypeError, ValueError):
        return []


def session_layout(count: int) -> Layout:
    """How `count` options are shown inside the 24-hour window."""
    return Layout.QUICK_REPLY if count <= SESSION_BUTTONS else Layout.LIST_PICKER


def option_problems(options: Sequence[Option], path: str = "options") -> list[Problem]:
    """What WhatsApp would refuse of these options, or what makes them ambiguous, each with its
    path; the text limit is the list picker's when there are more than three options."""
    problems: list[Problem] = []
    if len(options) > MAX_OPTIONS:
        problems.append(Problem(path, f"at most {MAX_OPTIONS} options, not {len(options)}"))
    limit = BUTTON_TITLE if len(options) <= SESSION_BUTTONS else LIST_ITEM
    seen_payloads: set[str] = set()
    seen_texts: set[str] = set()
    for i, option in enumerate(options):
        at = f"{path}[{i}]"
        if not PAYLOAD_PATTERN.match(option.payload):
            problems.append(
                Problem(
                    f"{at}.payload",
                    f"1 to {PAYLOAD} letters, digits, '.', '_' or '-'",
                )
            )
        elif option.payload.upper() in seen_payloads:
            problems.append(Problem(f"{at}.payload", f"{option.payload!r} is used twice"))
        seen_payloads.add(option.payload.upper())
        problems += text_problems(option.text, limit, f"{at}.text")
        if option.text.strip().casefold() in seen_texts:
            problems.append(Problem(f"{at}.text", f"{option.text!r} is used twice"))
        seen_texts.add(option.text.strip().casefold())
        if option.description is not None and len(option.description) > LIST_DESCRIPTION:
            problems.append(Problem(f"{at}.description", f"at most {LIST_DESCRIPTION} characters"))
    if sum(option.correct for option in options) > 1:
        problems.append(Problem(path, "at most one option is correct"))
    return problems


def text_problems(text: str, limit: int, path: str) -> list[Problem]:
    if not text.strip():
        return [Problem(path, "must not be blank")]
    if len(text) > limit:
        return [Problem(path, f"at most {limit} characters here, not {len(text)}")]
    return []


def kind_problems(kind: str, options: Sequence[Option], path: str = "options") -> list[Problem]:
    """What a touchpoint of `kind` needs of its content's options: a quiz one correct option, a
    check-in a score on every option. Content without options is answered by typing."""
    if not options:
        return []
    if kind == "quiz" and sum(option.correct for option in options) != 1:
        return [Problem(path, "a quiz needs exactly one correct option")]
    if kind == "check_in":
        return [
            Problem(f"{path}[{i}].score", "every check-in option needs a score")
            for i, option in enumerate(options)
            if option.score is None
        ]
    return []


def translation_problems(
    options: Sequence[Option], texts: Mapping[str, str], path: str = "option_texts"
) -> list[Problem]:
    """A variant's option labels in its language: each names a payload of the content's options and
    fits where the option is shown."""
    payloads = {option.payload for option in options}
    limit = BUTTON_TITLE if len(options) <= SESSION_BUTTONS else LIST_ITEM
    problems: list[Problem] = []
    for payload, text in texts.items():
        at = f"{path}.{payload}"
        if payload not in payloads:
            problems.append(Problem(at, "no option of the content has this payload"))
        else:
            problems += text_problems(text, limit, at)
    return problems


def media_type_of(url: str) -> str | None:
    """The media type a URL's file extension names, if any."""
    path = url.split("?", 1)[0].split("#", 1)[0].lower()
    dot = path.rfind(".")
    return EXTENSION_TYPES.get(path[dot:]) if dot > path.rfind("/") else None


def media_problems(
    url: str | None, content_type: str | None, size: int | None, path: str = ""
) -> list[Problem]:
    """Whether WhatsApp accepts this media: an http(s) URL, an accepted type, within its size."""
    prefix = f"{path}." if path else ""
    if url is None:
        if content_type is not None or size is not None:
            return [Problem(f"{prefix}media_url", "a media type or size needs a media URL")]
        return []
    problems = []
    if not URL_PATTERN.match(url):
        problems.append(Problem(f"{prefix}media_url", "must be an http or https URL"))
    if content_type is None:
        problems.append(Problem(f"{prefix}media_type", "the media's type is required"))
        return problems
    accepted = ACCEPTED_MEDIA.get(content_type)
    if accepted is None:
        problems.append(
            Problem(
                f"{prefix}media_type",
                f"WhatsApp does not accept {content_type}; accepted: "
                + ", ".join(sorted(ACCEPTED_MEDIA)),
            )
        )
        return problems
    kind, limit = accepted
    if size is None:
        problems.append(Problem(f"{prefix}media_bytes", "the media's size is required"))
    elif size <= 0 or size > limit:
        problems.append(
            Problem(
                f"{prefix}media_bytes",
                f"WhatsApp takes {kind} up to {limit // MB} MB, not {size:,} bytes",
            )
        )
    return problems


def labels(options: Sequence[Option], texts: Mapping[str, str] | None) -> list[str]:
    """Each option's text in a variant's language, the content's own where it has none."""
    texts = texts or {}
    return [texts.get(option.payload) or option.text for option in options]


def sms_text(
    body: str, options: Sequence[Option], texts: Mapping[str, str] | None, media_url: str | None
) -> str:
    """The SMS form of interactive content: options to type back by number, media as a link."""
    lines = [body]
    if options:
        lines.append(
            "Reply with "
            + ", ".join(f"{i} for {label}" for i, label in enumerate(labels(options, texts), 1))
        )
    if media_url:
        lines.append(media_url)
    return "\n".join(lines)


def template_requests(
    *,
    name: str,
    language: str,
    body: str,
    variables: Mapping[str, str],
    options: Sequence[Option],
    texts: Mapping[str, str] | None,
    media_url: str | None,
) -> dict[Layout, dict[str, Any]]:
    """The Content API templates one content variant needs, by layout: quick-reply buttons (any
    time), a list picker (more than three options, in the window), or a media template (media
    without options, outside the window). Each carries a plain-text type for other channels.
    The friendly name ends in a digest of the request, so a changed variant registers anew."""
    shown = labels(options, texts)
    text_type = {"body": body}
    requests: dict[Layout, dict[str, Any]] = {}
    if options:
        buttons = [
            {"title": label, "id": option.payload}
            for option, label in zip(options, shown, strict=True)
        ]
        requests[Layout.QUICK_REPLY] = {
            "twilio/quick-reply": {"body": body, "actions": buttons},
            "twilio/text": text_type,
        }
        if len(options) > SESSION_BUTTONS:
            items = [
                {"item": label, "id": option.payload, "description": option.description or label}
                for option, label in zip(options, shown, strict=True)
            ]
            requests[Layout.LIST_PICKER] = {
                "twilio/list-picker": {"body": body, "button": LIST_BUTTON_TEXT, "items": items},
                "twilio/text": text_type,
            }
    elif media_url:
        requests[Layout.MEDIA] = {
            "twilio/media": {"body": body, "media": [media_url]},
            "twilio/text": text_type,
        }
    out = {}
    for layout, types in requests.items():
        request = {"language": language, "variables": dict(variables), "types": types}
        digest = spec_digest(request)
        out[layout] = {"friendly_name": f"{name}_{layout}_{digest[:12]}", **request}
    return out


def spec_digest(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()


def options_digest(options: Sequence[Option]) -> str:
    """A fingerprint of what options mean (payloads, correct, scores), to see a changed answer key."""
    return spec_digest([[o.payload, o.correct, o.score] for o in options])[:16]
