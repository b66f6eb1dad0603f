"""Sentences the synthetic speakers say: short replies and longer sentences, so that an editor
can find a whole phrase of 0.5–3 s to remove between two pauses."""

from __future__ import annotations

ENGLISH = [
    "Yes.",
    "No, not yet.",
    "I know.",
    "Listen to me.",
    "Where were you on Tuesday?",
    "Call me back tomorrow.",
    "That is not what we agreed.",
    "The money was moved on the second of March.",
    "He told me the contract would be signed before the elections.",
    "Nobody else should hear about this meeting, do you understand?",
    "I sent the documents to the office in a brown envelope.",
    "We will need another week to count everything properly.",
    "The director said the numbers had to look better by Friday.",
    "Keep the receipts, all of them, and do not throw anything away.",
    "Right.",
    "Fine, fine.",
    "Who else was in the room when he said it?",
    "It was raining, so we waited inside the station for an hour.",
    "Tell them the shipment is late and that it is not our fault.",
    "I cannot remember the exact amount, but it was more than ten thousand.",
]

BELARUSIAN = [
    "Так.",
    "Не, яшчэ не.",
    "Я ведаю.",
    "Паслухай мяне.",
    "Дзе ты быў у аўторак?",
    "Патэлефануй мне заўтра.",
    "Мы пра гэта не дамаўляліся.",
    "Грошы перавялі другога сакавіка.",
    "Ён сказаў, што дамову падпішуць да выбараў.",
    "Пра гэтую сустрэчу ніхто не павінен ведаць, разумееш?",
    "Я адправіў паперы ў офіс у карычневым канверце.",
    "Нам патрэбны яшчэ тыдзень, каб усё як след пералічыць.",
    "Дырэктар сказаў, што да пятніцы лічбы павінны выглядаць лепш.",
    "Захоўвай усе квіткі і нічога не выкідвай.",
    "Добра.",
    "Ну, ну.",
    "Хто яшчэ быў у пакоі, калі ён гэта сказаў?",
    "Ішоў дождж, і мы гадзіну чакалі на вакзале.",
    "Скажы ім, што груз спазняецца, і гэта не наша віна.",
    "Я не памятаю дакладнай сумы, але было больш за дзесяць тысяч.",
]

RUSSIAN = [
    "Да.",
    "Нет, ещё нет.",
    "Я знаю.",
    "Послушай меня.",
    "Где ты был во вторник?",
    "Перезвони мне завтра.",
    "Мы об этом не договаривались.",
    "Деньги перевели второго марта.",
    "Он сказал, что договор подпишут до выборов.",
    "Об этой встрече никто не должен знать, понимаешь?",
    "Я отправил бумаги в офис в коричневом конверте.",
    "Нам нужна ещё неделя, чтобы всё как следует пересчитать.",
    "Директор сказал, что к пятнице цифры должны выглядеть лучше.",
    "Сохрани все чеки и ничего не выбрасывай.",
    "Хорошо.",
    "Ну ладно.",
    "Кто ещё был в комнате, когда он это сказал?",
    "Шёл дождь, и мы час ждали на вокзале.",
    "Скажи им, что груз задерживается, и это не наша вина.",
    "Я не помню точную сумму, но было больше десяти тысяч.",
]

SENTENCES = {"en": ENGLISH, "be": BELARUSIAN, "ru": RUSSIAN}
