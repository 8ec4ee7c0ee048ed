"""Regenerate the bundled SYNTHETIC MASSIVE sample: data/massive_sample/amazon-massive-dataset-1.1.tar.gz.

The archive has the official layout and record format (`1.1/data/<locale>.jsonl`, `1.1/LICENSE`; fields id,
locale, partition, scenario, intent, utt, annot_utt, worker_id, and slot_method and judgments except in en-US,
as in the real release), ids parallel across locales, and two MMNLU-22 held-out records (no labels) per locale.
The utterances are generated from word lists and are not from MASSIVE. In ru-RU the utterances of the mapped
scenarios (and of takeaway, email and play_music, the open choices of the mapping) use the Russian words of the
matching RuQTopics class from scripts/sample_vocabulary.json, so a model trained on the RuQTopics sample scores
above chance there; the other locales use small word lists of their own languages below.

    python scripts/make_massive_sample.py [--output data/massive_sample/amazon-massive-dataset-1.1.tar.gz] [--seed 0]

The output is byte-for-byte reproducible for a given seed (fixed tar and gzip timestamps).
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import random
import tarfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "data" / "massive_sample" / "amazon-massive-dataset-1.1.tar.gz"
VERSION = "1.1"
RUSSIAN = json.loads((ROOT / "scripts" / "sample_vocabulary.json").read_text(encoding="utf-8"))["words"]

# Real MASSIVE intents, a few per scenario.
INTENTS = {
    "alarm": ["alarm_set", "alarm_query", "alarm_remove"], "audio": ["audio_volume_up", "audio_volume_mute"],
    "calendar": ["calendar_set", "calendar_query", "calendar_remove"], "cooking": ["cooking_recipe", "cooking_query"],
    "datetime": ["datetime_query", "datetime_convert"], "email": ["email_query", "email_sendemail"],
    "general": ["general_quirky", "general_joke"], "iot": ["iot_hue_lightchange", "iot_cleaning"],
    "lists": ["lists_query", "lists_createoradd"], "music": ["music_query", "music_likeness"],
    "news": ["news_query"], "play": ["play_music", "play_radio", "play_podcasts"],
    "qa": ["qa_factoid", "qa_definition"], "recommendation": ["recommendation_events", "recommendation_movies"],
    "social": ["social_post", "social_query"], "takeaway": ["takeaway_order", "takeaway_query"],
    "transport": ["transport_ticket", "transport_query"], "weather": ["weather_query"],
}
MAPPED = ["music", "cooking", "news", "transport", "weather", "social"]
# Scenarios and the intent whose utterances use the words of a mapped topic (the mapping's open choices).
TOPIC_OF = {**{s: s for s in MAPPED}, "takeaway": "cooking", "email": "social", "play_music": "music"}
SLOT = {"music": "song_name", "cooking": "food_type", "news": "news_topic", "transport": "transport_type",
        "weather": "weather_descriptor", "social": "media_type"}
RUSSIAN_CLASS = {"music": "музыка", "cooking": "еда, напитки и кулинария", "news": "новости",
                 "transport": "транспорт", "weather": "погода", "social": "медиа и коммуникации"}

# Per locale: templates ({a}, {b}: topical words), topical words, filler words, and the unmapped-scenario phrase.
LANGUAGES = {
    "ru-RU": {"templates": ["расскажи про {a}", "найди {a} и {b}", "что нового: {a}", "покажи {a}", "хочу {a}"],
              "words": {topic: RUSSIAN[name] for topic, name in RUSSIAN_CLASS.items()},
              "filler": ["пожалуйста", "сейчас", "сегодня", "быстро", "снова", "ещё"],
              "other": "синтетический запрос номер {n}"},
    "en-US": {"templates": ["tell me about {a}", "find {a} and {b}", "what is new with {a}", "show me {a}"],
              "words": {"music": ["song", "guitar", "album", "concert", "melody"],
                        "cooking": ["recipe", "soup", "pie", "sauce", "coffee"],
                        "news": ["headline", "news", "report", "bulletin", "journalist"],
                        "transport": ["train", "ticket", "route", "traffic", "station"],
                        "weather": ["rain", "snow", "forecast", "frost", "wind"],
                        "social": ["message", "post", "chat", "blog", "feed"]},
              "filler": ["please", "now", "today", "quickly", "again", "olly"],
              "other": "synthetic request number {n}"},
    "de-DE": {"templates": ["erzähl mir von {a}", "finde {a} und {b}", "was gibt es neues über {a}", "zeig mir {a}"],
              "words": {"music": ["Lied", "Gitarre", "Album", "Konzert", "Melodie"],
                        "cooking": ["Rezept", "Suppe", "Kuchen", "Soße", "Kaffee"],
                        "news": ["Schlagzeile", "Nachrichten", "Bericht", "Meldung", "Journalist"],
                        "transport": ["Zug", "Fahrkarte", "Route", "Stau", "Bahnhof"],
                        "weather": ["Regen", "Schnee", "Vorhersage", "Frost", "Wind"],
                        "social": ["Nachricht", "Beitrag", "Chat", "Blog", "Feed"]},
              "filler": ["bitte", "jetzt", "heute", "schnell", "nochmal"],
              "other": "synthetische Anfrage Nummer {n}"},
    "pl-PL": {"templates": ["opowiedz mi o {a}", "znajdź {a} i {b}", "co nowego: {a}", "pokaż mi {a}"],
              "words": {"music": ["piosenka", "gitara", "album", "koncert", "melodia"],
                        "cooking": ["przepis", "zupa", "ciasto", "sos", "kawa"],
                        "news": ["nagłówek", "wiadomości", "reportaż", "serwis", "dziennikarz"],
                        "transport": ["pociąg", "bilet", "trasa", "korek", "dworzec"],
                        "weather": ["deszcz", "śnieg", "prognoza", "mróz", "wiatr"],
                        "social": ["wiadomość", "wpis", "czat", "blog", "tablica"]},
              "filler": ["proszę", "teraz", "dzisiaj", "szybko", "znowu"],
              "other": "syntetyczne polecenie numer {n}"},
    "ja-JP": {"templates": ["{a}について教えて", "{a}と{b}を探して", "{a}を見せて"],
              "words": {"music": ["歌", "ギター", "アルバム", "コンサート", "メロディー"],
                        "cooking": ["レシピ", "スープ", "パイ", "ソース", "コーヒー"],
                        "news": ["ニュース", "見出し", "報道", "速報", "記者"],
                        "transport": ["電車", "切符", "路線", "渋滞", "駅"],
                        "weather": ["雨", "雪", "天気予報", "霜", "風"],
                        "social": ["メッセージ", "投稿", "チャット", "ブログ", "タイムライン"]},
              "filler": ["お願い", "今", "今日", "すぐ", "また"],
              "other": "合成リクエスト{n}番"},
    "sw-KE": {"templates": ["niambie kuhusu {a}", "tafuta {a} na {b}", "nionyeshe {a}"],
              "words": {"music": ["wimbo", "gitaa", "albamu", "tamasha", "mdundo"],
                        "cooking": ["mapishi", "supu", "keki", "mchuzi", "kahawa"],
                        "news": ["habari", "kichwa", "taarifa", "ripoti", "mwandishi"],
                        "transport": ["treni", "tiketi", "njia", "msongamano", "kituo"],
                        "weather": ["mvua", "theluji", "utabiri", "baridi", "upepo"],
                        "social": ["ujumbe", "chapisho", "gumzo", "blogu", "ukurasa"]},
              "filler": ["tafadhali", "sasa", "leo", "haraka", "tena"],
              "other": "ombi bandia namba {n}"},
}
SAMPLE_LOCALES = list(LANGUAGES)
# Utterances per scenario and partition in the sample: the six mapped scenarios get most of them.
SAMPLE_PLAN = {"test": (25, 4), "dev": (6, 2), "train": (8, 2)}  # (per mapped scenario, per other scenario)
HELD_OUT_PER_LOCALE = 2

LICENSE = """SYNTHETIC sample in the layout of MASSIVE 1.1 (alexa/massive; the real data is CC BY 4.0).

Every utterance in this archive was generated by scripts/make_massive_sample.py of the RuQTopics release kit
from hand-written word lists. None of it comes from MASSIVE. It exists so that the kit can be run and tested
offline; its scores say nothing about any model.
"""


def plan(counts: dict[str, dict[str, int]]) -> list[tuple[str, str, str]]:
    """(partition, scenario, intent) for every record id, cycling through each scenario's intents."""
    rows = []
    for partition, per_scenario in counts.items():
        for scenario, count in per_scenario.items():
            intents = INTENTS[scenario]
            rows += [(partition, scenario, intents[i % len(intents)]) for i in range(count)]
    return rows


def sample_counts() -> dict[str, dict[str, int]]:
    return {partition: {s: (mapped if s in MAPPED else other) for s in INTENTS}
            for partition, (mapped, other) in SAMPLE_PLAN.items()}


def utterance(rng: random.Random, language: dict, scenario: str, intent: str,
              number: int) -> tuple[str, str, list[dict]]:
    """(utt, annot_utt, slot_method): topical words and one slot for the mapped topics, a numbered phrase
    without slots otherwise; 0-4 filler words."""
    topic = TOPIC_OF.get(intent, TOPIC_OF.get(scenario))
    if topic is None:
        text = language["other"].format(n=number)
        return text, text, []
    a, b = rng.sample(language["words"][topic], 2)
    filler = rng.sample(language["filler"], rng.randint(0, min(4, len(language["filler"]))))
    template = rng.choice(language["templates"])
    tail = (" " + " ".join(filler)) if filler else ""
    return (template.format(a=a, b=b) + tail, template.format(a=f"[{SLOT[topic]} : {a}]", b=b) + tail,
            [{"slot": SLOT[topic], "method": "translation"}])


def judgments(rng: random.Random, worker: str) -> list[dict]:
    return [{"worker_id": w, "intent_score": 1, "slots_score": rng.choice([0, 1]),
             "grammar_score": rng.randint(3, 4), "spelling_score": 2, "language_identification": "target"}
            for w in [worker] + [str(rng.randint(0, 40)) for _ in range(2)]]


def locale_records(locale: str, rows: list[tuple[str, str, str]], seed: int,
                   language: dict | None = None, held_out: int = HELD_OUT_PER_LOCALE) -> list[dict]:
    """The records of one locale: one per planned id, then `held_out` MMNLU-22 records without labels."""
    rng = random.Random(f"{seed}-{locale}")
    language = language or LANGUAGES[locale]
    records = []
    for number, (partition, scenario, intent) in enumerate(rows):
        utt, annot, slots = utterance(rng, language, scenario, intent, number)
        worker = str(rng.randint(0, 40))
        record = {"id": str(number), "locale": locale, "partition": partition, "scenario": scenario,
                  "intent": intent, "utt": utt, "annot_utt": annot, "worker_id": worker}
        if locale != "en-US":  # as in the real release: en-US is the source, the others were localised and judged
            record |= {"slot_method": slots, "judgments": judgments(rng, worker)}
        records.append(record)
    for number in range(len(rows), len(rows) + held_out):
        records.append({"id": str(number), "locale": locale, "partition": "MMNLU-22",
                        "utt": language["other"].format(n=number), "worker_id": str(rng.randint(0, 40))})
    return records


def sample_records(seed: int = 0) -> dict[str, list[dict]]:
    rows = plan(sample_counts())
    return {locale: locale_records(locale, rows, seed) for locale in SAMPLE_LOCALES}


def write_archive(records: dict[str, list[dict]], path: Path, *, version: str = VERSION, compresslevel: int = 9,
                  license_text: str = LICENSE) -> Path:
    """An official-layout archive: `<version>/data/<locale>.jsonl` and `<version>/LICENSE`, reproducible bytes."""
    files = {f"{version}/LICENSE": license_text}
    files |= {f"{version}/data/{locale}.jsonl": "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
              for locale, rows in sorted(records.items())}
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0,
                                                compresslevel=compresslevel) as zipped, \
            tarfile.open(fileobj=zipped, mode="w", format=tarfile.PAX_FORMAT) as archive:
        for directory in (version, f"{version}/data"):
            archive.addfile(_info(directory, 0, tarfile.DIRTYPE))
        for name, text in files.items():
            data = text.encode("utf-8")
            archive.addfile(_info(name, len(data), tarfile.REGTYPE), io.BytesIO(data))
    return path


def _info(name: str, size: int, kind: bytes) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size, info.type, info.mtime = size, kind, 0
    info.mode = 0o755 if kind == tarfile.DIRTYPE else 0o644
    return info


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--output", type=Path, default=OUTPUT)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    path = write_archive(sample_records(args.seed), args.output)
    print(f"wrote {path} ({path.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
