"""Numbers spelt one way, so that word error rates count words and not the spelling of numbers.

``normalise_numbers(text, language)`` writes every number it recognises as plain digits and
leaves other text as it was; run.py applies it to references and Whisper's text alike.

* Digits: thousands separators go ("1,000", "1 000" → 1000; plain spaces only in ru/uk/be:
  "25 100" is 25100 there), a Slavic decimal comma becomes a point ("3,5" → 3.5; "1,000,000"
  is left in Russian), ordinal endings go ("21st", "21-го" → 21: a hyphen and 1–3 letters).
* English: cardinals with "and" or a comma after a scale word (num2words' "one thousand, two
  hundred"), "a hundred", ordinals ("twenty-first"), "three point five", "5 million", and
  years said in pairs whose first half is 13–20 ("nineteen ninety", "nineteen oh five",
  "twenty twenty-one"; "eleven thirty" is more often a time than the year 1130).
* Russian: cardinals, hundreds and scale words (also тыс/млн/млрд/трлн) in every case and
  gender, ordinals in every form up to двухтысячном, compounds ("тысяча девятьсот девяностом"
  → 1990), decimals in words ("три целых пять десятых" → 3.5). Not done: Ukrainian and
  Belarusian ordinals and oblique cases.
* Ukrainian, Belarusian: cardinals, scale words in the forms a count takes (тисяч, мільёнаў).

Left alone, so that no ordinary word becomes a number: "second", "семью" (family) and plural
scale words ("миллионы людей") unless part of a longer number; "one" in "no one",
"one another" (other pronoun uses become 1 on both sides alike); "oh" outside a year or a
decimal; a bare "hundred"/"thousand"; "раз", двое; an ordinal before a scale word ("first
thousand"). "сорока" ("magpie") is 40. Number words that do not compose ("one two three")
give one number each; English "and" or a comma counts inside a number only when what follows
ends it cleanly ("one hundred and two hundred" → "100 and 200").
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import NamedTuple

UNIT, TEEN, TENS, HUNDREDS, HUNDRED, SCALE, ZERO = range(7)
# which kinds of word may follow which in one number ("twenty" + "one", never "one" + "twenty")
_AFTER: dict[int, tuple[int, ...]] = {UNIT: (), TEEN: (), ZERO: (), TENS: (UNIT,)}
_AFTER[HUNDREDS] = _AFTER[HUNDRED] = (UNIT, TEEN, TENS)
_START, _AFTER_SCALE = (UNIT, TEEN, TENS, HUNDREDS, ZERO), (UNIT, TEEN, TENS, HUNDREDS)
_POWERS = (10**3, 10**6, 10**9, 10**12)


class Word(NamedTuple):
    value: int
    kind: int
    ordinal: bool = False


def _kind(value: int) -> int:
    bounds = ((1, ZERO), (10, UNIT), (20, TEEN), (100, TENS), (1000, HUNDREDS))
    return next((kind for bound, kind in bounds if value < bound), SCALE)


def _add(lexicon: dict[str, Word], value: int, forms: str, ordinals: str = "") -> None:
    lexicon |= {form: Word(value, _kind(value)) for form in forms.split()}
    lexicon |= {form: Word(value, _kind(value), True) for form in ordinals.split()}


# -- English ------------------------------------------------------------------------------------

_EN_SMALL = "zero one two three four five six seven eight nine ten eleven twelve thirteen "
_EN_SMALL += "fourteen fifteen sixteen seventeen eighteen nineteen"
_EN_TENS = "twenty thirty forty fifty sixty seventy eighty ninety"
_EN_ORDINAL = {"one": "first", "two": "second", "three": "third", "five": "fifth"}
_EN_ORDINAL |= {"eight": "eighth", "nine": "ninth", "twelve": "twelfth"}
_EN_SCALES = {"thousand": 10**3, "million": 10**6, "billion": 10**9, "trillion": 10**12}


def _english() -> dict[str, Word]:
    lexicon: dict[str, Word] = {}
    for value, name in enumerate(_EN_SMALL.split()):
        _add(lexicon, value, name, _EN_ORDINAL.get(name, name + "th"))
    for value, name in zip(range(20, 100, 10), _EN_TENS.split(), strict=True):
        _add(lexicon, value, name, name[:-1] + "ieth")
    for name, value in _EN_SCALES.items():
        _add(lexicon, value, name, name + "th")
    return lexicon | {"hundred": Word(100, HUNDRED), "hundredth": Word(100, HUNDRED, True)}


# -- Russian ------------------------------------------------------------------------------------

# 5–9: nominative, genitive (= dative, prepositional), instrumental forms; used for the units and
# to build 50–80 and 500–900.
_RU_5_9 = {
    5: ("пять", "пяти", ("пятью",)), 6: ("шесть", "шести", ("шестью",)),
    7: ("семь", "семи", ("семью",)), 8: ("восемь", "восьми", ("восемью", "восьмью")),
    9: ("девять", "девяти", ("девятью",)),
}  # fmt: skip
_RU_CARDINALS = {
    0: "ноль нуль ноля нуля нолю нулю нолем нулем ноле нуле",
    1: "один одна одно одного одной одному одним одном одну одною",
    2: "два две двух двум двумя", 3: "три трех трем тремя", 4: "четыре четырех четырем четырьмя",
    40: "сорок сорока", 90: "девяносто девяноста", 100: "сто ста",
    200: "двести двухсот двумстам двумястами двухстах",
    300: "триста трехсот тремстам тремястами трехстах",
    400: "четыреста четырехсот четыремстам четырьмястами четырехстах",
}  # fmt: skip
_RU_TEEN_STEMS = "десят одиннадцат двенадцат тринадцат четырнадцат пятнадцат шестнадцат "
_RU_TEEN_STEMS += "семнадцат восемнадцат девятнадцат двадцат тридцат"  # 10–19, 20, 30
_RU_SCALES = {"тысяч": 10**3, "миллион": 10**6, "миллиард": 10**9, "триллион": 10**12}
_RU_SCALE_ABBREVIATIONS = {"тыс": 10**3, "млн": 10**6, "млрд": 10**9, "трлн": 10**12}
_RU_ORDINAL_STEMS = {
    1: "перв", 2: "втор", 4: "четверт", 5: "пят", 6: "шест", 7: "седьм", 8: "восьм",
    9: "девят", 40: "сороков", 90: "девяност", 100: "сот", 200: "двухсот", 300: "трехсот",
    400: "четырехсот", 1000: "тысячн", 10**6: "миллионн", 10**9: "миллиардн",
}  # fmt: skip
_RU_ADJECTIVE = "ый ой ая ое ого ому ым ом ую ые ых ыми ою"
_RU_THIRD = "третий третья третье третьего третьему третьим третьем третью третьи третьих "
_RU_THIRD += "третьими третьей третьею"
_RU_WHOLE = {"целых", "целая", "целой", "целую"}
_RU_FRACTION = {"десят": 1, "сот": 2, "тысячн": 3, "десятитысячн": 4, "стотысячн": 5}


def _russian() -> dict[str, Word]:
    lexicon: dict[str, Word] = {}
    ordinals = dict(_RU_ORDINAL_STEMS)
    for value, forms in _RU_CARDINALS.items():
        _add(lexicon, value, forms)
    for value, stem in zip((*range(10, 20), 20, 30), _RU_TEEN_STEMS.split(), strict=True):
        _add(lexicon, value, f"{stem}ь {stem}и {stem}ью")
        ordinals[value] = stem
    for unit, (nominative, genitive, instrumental) in _RU_5_9.items():
        _add(lexicon, unit, f"{nominative} {genitive} " + " ".join(instrumental))
        if unit < 9:  # девяносто is irregular
            tens = " ".join(i + "десятью" for i in instrumental)
            _add(lexicon, unit * 10, f"{nominative}десят {genitive}десяти {tens}")
            ordinals[unit * 10] = genitive + "десят"
        hundreds = f"{nominative}сот {genitive}сот {genitive}стам {genitive}стах "
        _add(lexicon, unit * 100, hundreds + " ".join(i + "стами" for i in instrumental))
        ordinals[unit * 100] = genitive + "сот"
    genitives = {2: "двух", 3: "трех", 4: "четырех", 10: "десяти", 100: "сто"}
    genitives |= {unit: forms[1] for unit, forms in _RU_5_9.items()}
    for unit, genitive in genitives.items():
        ordinals[unit * 1000] = genitive + "тысячн"
    for stem, value in _RU_SCALES.items():
        endings = "а и е у ей ею ам ами ах" if value == 1000 else "а у ом е ы ов ам ами ах"
        _add(lexicon, value, stem + " " + " ".join(stem + e for e in endings.split()))
    for abbreviation, value in _RU_SCALE_ABBREVIATIONS.items():
        _add(lexicon, value, abbreviation)
    for value, stem in ordinals.items():
        _add(lexicon, value, "", " ".join(stem + e for e in _RU_ADJECTIVE.split()))
    _add(lexicon, 3, "", _RU_THIRD)
    return lexicon


# -- Ukrainian, Belarusian (cardinals only; keys are written without apostrophes) ----------------

_UK = (
    "нуль|один одна одне одно|два дві|три|чотири|пять|шість|сім|вісім|девять|десять|одинадцять|"
    "дванадцять|тринадцять|чотирнадцять|пятнадцять|шістнадцять|сімнадцять|вісімнадцять|"
    "девятнадцять|двадцять|тридцять|сорок|пятдесят|шістдесят|сімдесят|вісімдесят|девяносто|"
    "сто|двісті|триста|чотириста|пятсот|шістсот|сімсот|вісімсот|девятсот|"
    "тисяча тисячі тисяч|мільйон мільйона мільйони мільйонів|мільярд мільярда мільярди мільярдів"
)
_BE = (
    "нуль|адзін адна адно|два дзве|тры|чатыры|пяць|шэсць|сем|восем|дзевяць|дзесяць|адзінаццаць|"
    "дванаццаць|трынаццаць|чатырнаццаць|пятнаццаць|шаснаццаць|сямнаццаць|васямнаццаць|"
    "дзевятнаццаць|дваццаць|трыццаць|сорак|пяцьдзясят|шэсцьдзясят|семдзесят|восемдзесят|"
    "дзевяноста|сто|дзвесце|трыста|чатырыста|пяцьсот|шэсцьсот|семсот|восемсот|дзевяцьсот|"
    "тысяча тысячы тысяч|мільен мільена мільены мільенаў|мільярд мільярда мільярды мільярдаў"
)
_SLAVIC_VALUES = (*range(21), *range(30, 100, 10), *range(100, 1000, 100), 10**3, 10**6, 10**9)


def _slavic(table: str) -> dict[str, Word]:
    pairs = zip(_SLAVIC_VALUES, table.split("|"), strict=True)
    return {form: Word(value, _kind(value)) for value, forms in pairs for form in forms.split()}


# Numbers only with other number words: "second" (of time), "семью" (family), plural scale words
# ("миллионы людей"; "тысячи" is also "of a thousand"), abbreviations ("пять тысяч", "5 млн").
_NOT_ALONE = {s + e for s in _RU_SCALES if s != "тысяч" for e in ("ы", "ов", "ам", "ами", "ах")}
_NOT_ALONE |= {"second", "семью", *_RU_SCALE_ABBREVIATIONS, "тысяч", "тысячам", "тысячами"}
_NOT_ALONE |= {"тысячах", "тисяч", "мільйони", "мільйонів", "мільярди", "мільярдів", "мільены"}
_NOT_ALONE |= {"мільенаў", "мільярды", "мільярдаў"}

_LEXICONS = {"en": _english(), "ru": _russian(), "uk": _slavic(_UK), "be": _slavic(_BE)}


# -- digits -------------------------------------------------------------------------------------

_THIN = "[\u00a0\u202f\u2009]"  # no-break, narrow no-break and thin spaces
_ALONE = r"(?<![\d.,])", r"(?![\d]|[.,]\d)"  # not inside a longer run of digits
_GROUPED_EN = re.compile(rf"{_ALONE[0]}\d{{1,3}}(?:(?:,|{_THIN})\d{{3}})+(?:\.\d+)?{_ALONE[1]}")
_GROUPED_SLAVIC = re.compile(rf"{_ALONE[0]}\d{{1,3}}(?:(?: |{_THIN})\d{{3}})+(?:,\d+)?{_ALONE[1]}")
_GROUPED_OTHER = re.compile(rf"{_ALONE[0]}\d{{1,3}}(?:{_THIN}\d{{3}})+{_ALONE[1]}")
_DECIMAL_COMMA = re.compile(r"(?<![\d.,])(\d+),(\d+)(?![\d]|[.,]\d)")
_EN_ORDINAL_DIGITS = re.compile(r"(?<![\w.])(\d+)(?:st|nd|rd|th)\b", re.IGNORECASE)
_SLAVIC_ORDINAL_DIGITS = re.compile(r"(?<![\w.])(\d+)-[а-яёіїєґў]{1,3}(?![\w'’ʼ-])", re.IGNORECASE)


def _digits(text: str, language: str) -> str:
    """Separators, decimal commas and ordinal endings of numbers written in digits."""
    if language == "en":
        text = _GROUPED_EN.sub(lambda m: re.sub(r"[,\u00a0\u202f\u2009]", "", m[0]), text)
        return _EN_ORDINAL_DIGITS.sub(r"\1", text)
    if language not in _LEXICONS:
        return _GROUPED_OTHER.sub(lambda m: re.sub(r"\D", "", m[0]), text)
    text = _GROUPED_SLAVIC.sub(lambda m: re.sub(r"[^\d,]", "", m[0]), text)
    text = _DECIMAL_COMMA.sub(r"\1.\2", text)
    return _SLAVIC_ORDINAL_DIGITS.sub(r"\1", text)


_TOKEN = re.compile(r"(?<![\d.])(?P<digits>\d+(?:\.\d+)?)(?![.\d])|[^\W\d_]+(?:['’ʼ][^\W\d_]+)*")


class Token(NamedTuple):
    text: str
    key: str  # lowercase, ё→е, apostrophes removed: the lexicon key
    start: int
    end: int
    digits: bool


class _Parser:
    def __init__(self, text: str, language: str) -> None:
        self.text, self.language, self.lexicon = text, language, _LEXICONS[language]
        self.tokens = [
            Token(m[0], re.sub(r"['’ʼ]", "", m[0].lower().replace("ё", "е")), *m.span(),
                  m["digits"] is not None)
            for m in _TOKEN.finditer(text)
        ]  # fmt: skip

    def joint(self, j: int) -> str | None:
        """How token ``j`` is joined to the one before: "tight" (spaces or one hyphen), "soft"
        (English ", " after a scale word) or None (not part of the same number)."""
        if j <= 0 or j >= len(self.tokens):
            return None
        gap = self.text[self.tokens[j - 1].end : self.tokens[j].start]
        if gap == "-" or (gap and gap.isspace()):
            return "tight"
        previous = self.word(j - 1)
        if self.language == "en" and gap.rstrip() == "," and previous and previous.kind == SCALE:
            return "soft"
        return None

    def word(self, j: int) -> Word | None:
        token = self.tokens[j] if 0 <= j < len(self.tokens) else None
        return None if token is None or token.digits else self.lexicon.get(token.key)

    def key(self, j: int, joined: bool = True) -> str:
        ok = 0 <= j < len(self.tokens) and (not joined or self.joint(j) == "tight")
        return self.tokens[j].key if ok else ""

    def number(self, i: int) -> tuple[str | None, int] | None:
        """The number starting at token ``i``: (its digits, or None to leave the words as they
        are; the index after its last token), or None where no number starts here."""
        if self.tokens[i].digits:
            return self.digits_times_scale(i)
        parsed = self.cardinal(i, ordinals=True)
        if parsed is None:
            return None
        value, end, ordinal = parsed
        if ordinal:
            scale = self.word(end)
            if scale and scale.kind in (SCALE, HUNDRED) and self.joint(end):
                return None, end + 1  # "first thousand": "1 thousand" would read as 1000
            return str(value), end
        if self.language == "en":
            return self.english_tail(i, value, end)
        if self.language == "ru" and self.key(end) in _RU_WHOLE:
            fraction = self.cardinal(end + 1, ordinals=False) if self.key(end + 1) else None
            if fraction is not None:
                stem = re.sub(r"(ых|ая|ой|ую)$", "", self.key(fraction[1]))
                places = _RU_FRACTION.get(stem, 0) if self.key(fraction[1]) != stem else 0
                if places and fraction[0] < 10**places:
                    return f"{value}.{fraction[0]:0{places}d}", fraction[1] + 1
        return str(value), end

    def digits_times_scale(self, i: int) -> tuple[str | None, int] | None:
        """ "5 million", "1.5 млн": a digit number of at most three places before a scale word."""
        scale, digits = self.word(i + 1), self.tokens[i].text
        if not scale or scale.kind != SCALE or scale.ordinal or not self.joint(i + 1):
            return None
        product = Decimal(digits) * scale.value
        if len(digits.split(".")[0]) > 3 or product == 0 or product % 1:
            return None
        return str(int(product)), i + 2

    def english_tail(self, i: int, value: int, end: int) -> tuple[str | None, int]:
        """Decimals ("three point one four", "one point five million") and years said in
        pairs ("nineteen ninety", "nineteen oh five")."""
        digits = {name: d for d, name in enumerate(_EN_SMALL.split()[:10])} | {"oh": 0}
        if self.key(end) == "point" and self.key(end + 1) in digits:
            stop = end + 1
            while self.key(stop) in digits:
                stop += 1
            places = "".join(str(digits[self.tokens[k].key]) for k in range(end + 1, stop))
            scale = self.word(stop)
            if scale and scale.kind == SCALE and not scale.ordinal and self.joint(stop):
                product = Decimal(f"{value}.{places}") * scale.value
                if product == product.to_integral_value() and value < 1000:
                    return str(int(product)), stop + 1
            return f"{value}.{places}", stop
        first = self.word(i)
        if end != i + 1 or first is None or not 13 <= value <= 20:
            return str(value), end
        unit = self.word(end + 1)
        if self.key(end) == "oh" and unit and unit.kind == UNIT and self.joint(end + 1):
            return str(value * 100 + unit.value), end + 2
        second, start = self.cardinal(end, ordinals=True) if self.key(end) else None, self.word(end)
        if second and 10 <= second[0] < 100 and start and start.kind in (TEEN, TENS):
            return str(value * 100 + second[0]), second[1]
        return str(value), end

    def cardinal(self, i: int, ordinals: bool) -> tuple[int, int, bool] | None:
        """The longest run of number words from ``i`` that composes into one number: (value,
        index after it, whether it ends in an ordinal)."""
        first, english = self.word(i), self.language == "en"
        if first is None:
            if english and self.key(i, joined=False) == "a":
                following = self.word(i + 1)
                if following and following.kind in (HUNDRED, SCALE) and self.joint(i + 1):
                    first = Word(1, UNIT)
            if first is None:
                return None
        key = self.tokens[i].key
        if english and key == "one" and self.no_one(i):
            return None
        total, group, last_scale = 0, 0, 10**15
        allowed: tuple[int, ...] = _START
        best: tuple[int, int, bool] | None = None
        checkpoint: tuple[int, int, bool] | None = None
        j = i
        while j < len(self.tokens):
            word = first if j == i else self.word(j)
            joint = "tight" if j == i else self.joint(j)
            if english and j > i and joint == "tight" and self.key(j) == "and":
                after = self.word(j + 1)
                if group % 100 == 0 and after and after.kind in (UNIT, TEEN, TENS):
                    checkpoint, j = best, j + 1
                    continue
            if word is None or joint is None or (word.ordinal and not ordinals):
                break
            if joint == "soft":
                checkpoint = best
            if word.kind in allowed:
                group += word.value
                allowed = () if word.kind == ZERO else _AFTER[word.kind]
            elif word.kind == HUNDRED and (0 < group < 100 or (word.ordinal and j == i)):
                group, allowed = max(group, 1) * 100, _AFTER[HUNDRED]  # "hundredth" alone: 100
            elif (
                word.kind == SCALE
                and word.value < last_scale
                and self.scale_fits(word, group, j == i)
            ):
                step = group * word.value if group else word.value  # "тысяча" alone: 1000
                total, group, last_scale, allowed = total + step, 0, word.value, _AFTER_SCALE
            else:
                if checkpoint is not None:
                    best = checkpoint
                break
            j += 1
            best = (total + group, j, word.ordinal)
            if word.ordinal or word.kind == ZERO:
                break
        if best is not None and best[1] == i + 1 and key in _NOT_ALONE:
            return None  # "wait a second", "всей семью" ("семью тысячами" is 7000)
        return best

    def scale_fits(self, word: Word, group: int, start: bool) -> bool:
        """A scale word multiplies the words before it ("five thousand"; a power of a thousand
        only) or stands for itself at the start ("тысяча", "двухтысячный"; in English only an
        ordinal, "thousandth": a bare "thousand" is left)."""
        if group:
            return word.value in _POWERS
        return start and (self.language != "en" or word.ordinal)

    def no_one(self, i: int) -> bool:
        """ "no one", "one another": pronouns, not numbers."""
        no = self.key(i - 1, joined=False) == "no" and self.joint(i) is not None
        return no or self.key(i + 1) == "another"


def _words(text: str, language: str) -> str:
    parser = _Parser(text, language)
    pieces, position, i = [], 0, 0
    while i < len(parser.tokens):
        found = parser.number(i)
        if found is None:
            i += 1
            continue
        digits, end = found
        if digits is not None:
            start = parser.tokens[i].start
            pieces += [text[position:start], digits]
            position = parser.tokens[end - 1].end
        i = end
    return "".join(pieces) + text[position:]


def normalise_numbers(text: str, language: str) -> str:
    """``text`` with every number expression it recognises in ``language`` ("en", "ru", "uk",
    "be"; others get only the digit rules) written as plain digits; other text unchanged."""
    language = language.lower().split("-")[0].split("_")[0]
    text = _digits(text, language)
    if language not in _LEXICONS:
        return text
    # Digits again: words may have left "1 500" (один 500) or "1,5" for the separator rules.
    return _digits(_words(text, language), language)
