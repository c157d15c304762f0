"""Opening hours in the OpenStreetMap ``opening_hours`` syntax: open now? and in words of a language.

* :func:`is_open` reads the subset of the syntax that facility lists use (``24/7``;
  ``Mo-Fr 08:00-18:00``; ``Mo,We 08:00-12:00,14:00-17:30``; ``Sa 09:00-12:00; Su off``;
  ``Mo-Su 22:00-06:00`` across midnight). Anything else gives ``None``: "unknown", never a guess.
* :func:`describe_hours` says the same subset in Chinese or English words
  (``Mo-Sa 08:00-18:00`` → ``周一至周六 08:00–18:00`` / ``Mon–Sat 08:00–18:00``); text outside the
  subset is returned as it is, since it is the data owner's own wording.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Final
from zoneinfo import ZoneInfo

ORDOS_TZ: Final = ZoneInfo("Asia/Shanghai")


def ordos_now() -> datetime:
    """The local time in Ordos (China Standard Time) now, without tzinfo (as :func:`is_open` reads it)."""
    return datetime.now(ORDOS_TZ).replace(tzinfo=None)


DAYS: Final[tuple[str, ...]] = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")
_TIME = r"([01]?\d|2[0-4]):([0-5]\d)"
_RANGE_RE: Final = re.compile(rf"^{_TIME}\s*-\s*{_TIME}$")
_DAYS_RE: Final = re.compile(r"^(Mo|Tu|We|Th|Fr|Sa|Su)(\s*-\s*(Mo|Tu|We|Th|Fr|Sa|Su))?$")


def _days(spec: str) -> set[int] | None:
    out: set[int] = set()
    for part in spec.split(","):
        match = _DAYS_RE.match(part.strip())
        if match is None:
            return None
        first = DAYS.index(match.group(1))
        last = DAYS.index(match.group(3)) if match.group(3) else first
        span = range(first, last + 1) if first <= last else [*range(first, 7), *range(0, last + 1)]
        out.update(span)
    return out


def _minutes_ranges(spec: str) -> list[tuple[int, int]] | None:
    out = []
    for part in spec.split(","):
        match = _RANGE_RE.match(part.strip())
        if match is None:
            return None
        start = int(match.group(1)) * 60 + int(match.group(2))
        end = int(match.group(3)) * 60 + int(match.group(4))
        out.append((start, end))
    return out


def is_open(opening_hours: str | None, when: datetime) -> bool | None:
    """Whether a facility is open at ``when`` according to its ``opening_hours`` text.

    Parameters
    ----------
    opening_hours
        OSM ``opening_hours`` text (the subset described in the module docstring).
    when
        Local time in Ordos (China Standard Time); its tzinfo is ignored.

    Returns
    -------
    bool or None
        ``True``/``False``, or ``None`` when the text is empty or outside the supported subset.
    """
    text = (opening_hours or "").strip()
    if not text:
        return None
    if text == "24/7":
        return True
    weekday = when.weekday()
    minute = when.hour * 60 + when.minute
    # Later rules override earlier ones for the days they name (OSM semantics).
    state: bool | None = None
    known = False
    for rule in filter(None, (r.strip() for r in text.split(";"))):
        if rule.startswith("PH"):
            continue  # public holidays: no calendar here, so the rule cannot decide
        pieces = rule.split(None, 1)
        if len(pieces) == 2 and _days(pieces[0]) is not None:
            days, times = _days(pieces[0]), pieces[1].strip()
        else:
            days, times = set(range(7)), rule
        if days is None:
            return None
        if times in ("off", "closed"):
            ranges: list[tuple[int, int]] | None = []
        elif times == "24:00" or times == "00:00-24:00":
            ranges = [(0, 24 * 60)]
        else:
            ranges = _minutes_ranges(times)
        if ranges is None:
            return None
        known = True
        yesterday = (weekday - 1) % 7
        # A range past midnight (22:00-06:00) belongs to the day it starts on.
        overnight = any(end < start and minute < end for start, end in ranges) and yesterday in days
        if weekday in days:
            state = any(start <= minute < end or (end < start and minute >= start) for start, end in ranges)
        if overnight:
            state = True
    if not known:
        return None
    return bool(state) if state is not None else False


_DAY_WORDS: Final[dict[str, tuple[str, ...]]] = {
    "zh": ("周一", "周二", "周三", "周四", "周五", "周六", "周日"),
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
}
_WORDS: Final[dict[str, dict[str, str]]] = {
    "zh": {
        "every_day": "每天",
        "always": "全天24小时开放",
        "closed": "休息",
        "holidays": "法定节假日",
        "through": "至",
        "list": "、",
        "times": "、",
        "rules": ";",
    },
    "en": {
        "every_day": "Daily",
        "always": "Open 24 hours, every day",
        "closed": "closed",
        "holidays": "Public holidays",
        "through": "–",
        "list": ", ",
        "times": ", ",
        "rules": "; ",
    },
}


def _days_words(spec: str, lang: str) -> str | None:
    names, words = _DAY_WORDS[lang], _WORDS[lang]
    parts = []
    for part in spec.split(","):
        match = _DAYS_RE.match(part.strip())
        if match is None:
            return None
        first = DAYS.index(match.group(1))
        if match.group(3) is None:
            parts.append(names[first])
            continue
        last = DAYS.index(match.group(3))
        if (last - first) % 7 == 6:
            parts.append(words["every_day"])
        else:
            parts.append(f"{names[first]}{words['through']}{names[last]}")
    return words["list"].join(parts)


def _times_words(spec: str, lang: str) -> str | None:
    words = _WORDS[lang]
    if spec in ("off", "closed"):
        return words["closed"]
    ranges = []
    for part in spec.split(","):
        match = _RANGE_RE.match(part.strip())
        if match is None:
            return None
        ranges.append(
            f"{int(match.group(1)):02d}:{match.group(2)}–{int(match.group(3)):02d}:{match.group(4)}"
        )
    return words["times"].join(ranges)


def describe_hours(opening_hours: str | None, lang: str) -> str:
    """``opening_hours`` in words of ``lang`` (``zh`` or ``en``), for people.

    Parameters
    ----------
    opening_hours
        OSM ``opening_hours`` text (the subset of :func:`is_open`).
    lang
        ``zh`` or ``en`` (anything else reads as ``zh``).

    Returns
    -------
    str
        For example ``周一至周五 16:00–19:00;周六、周日 09:00–17:00`` or
        ``Mon–Fri 16:00–19:00; Sat, Sun 09:00–17:00``; ``""`` for empty text; text outside the
        supported subset unchanged.
    """
    text = (opening_hours or "").strip()
    lang = lang if lang in _WORDS else "zh"
    words = _WORDS[lang]
    if not text:
        return ""
    if text == "24/7":
        return words["always"]
    out = []
    for rule in filter(None, (r.strip() for r in text.split(";"))):
        pieces = rule.split(None, 1)
        if pieces[0] == "PH":
            days: str | None = words["holidays"]
            times = _times_words(pieces[1].strip(), lang) if len(pieces) == 2 else None
        elif len(pieces) == 2 and _days(pieces[0]) is not None:
            days, times = _days_words(pieces[0], lang), _times_words(pieces[1].strip(), lang)
        else:
            days, times = None, _times_words(rule, lang)
            if times is not None:
                out.append(times)
                continue
        if days is None or times is None:
            return text
        out.append(f"{days} {times}")
    return words["rules"].join(out)
