"""Regenerate the bundled SYNTHETIC sample in data/sample/ (canonical layout).

It writes a small fake Yandex Q dump (short questions, long answers, some multi-label records, some records
without a RuQTopics topic and some duplicate questions) and runs the real `prepare` step on it. The words
per class come from scripts/sample_vocabulary.json. Nothing here is from Yandex Q.

    python scripts/make_sample.py [--output-dir data/sample] [--seed 0]
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ruqtopics_kit.dataset.prepare import prepare  # noqa: E402
from ruqtopics_kit.facts.labels import all_topics, massive_aligned  # noqa: E402

VOCABULARY = json.loads((ROOT / "scripts" / "sample_vocabulary.json").read_text(encoding="utf-8"))["words"]
QUESTION_TEMPLATES = [
    "Что вы думаете про {a}?", "Как выбрать {a}?", "Почему {a} так важен для {b}?", "Где найти хороший {a}?",
    "Стоит ли тратить время на {a} и {b}?", "Как {a} связан с {b}?", "Что лучше: {a} или {b}?",
    "С чего начать, если интересует {a}?", "Какой {a} посоветуете?", "Правда ли, что {a} влияет на {b}?",
]
OPENERS = ["", "Подскажите, ", "Друзья, ", "Интересно, ", "Вопрос знатокам: ", "Никак не пойму, ", "Скажите, ",
           "Всем привет! "]
FILLER = ["на мой взгляд", "по опыту знакомых", "если честно", "как правило", "в большинстве случаев",
          "многие считают", "стоит помнить", "важно понимать", "с другой стороны", "в итоге"]
FOLLOW_UPS = [" А {c}?", " И при чём тут {c}?", " Или дело в {c}?"]
OTHER_TAGS = ["вопрос дня", "москва", "лайфхак", "совет", "мнение"]
SINGLE_PER_CLASS, EXTRA_PER_ALIGNED_CLASS, MULTI_LABEL, UNTAGGED, DUPLICATES = 25, 100, 1500, 60, 40


def question(rng: random.Random, topics: list[str]) -> str:
    """A short question with a word of each topic: a multi-label question asks about all of its topics."""
    if len(topics) == 1:
        a, b = rng.sample(VOCABULARY[topics[0]], 2)
        template = rng.choice(QUESTION_TEMPLATES)
    else:
        a, b = (rng.choice(VOCABULARY[topic]) for topic in topics[:2])
        template = rng.choice([template for template in QUESTION_TEMPLATES if "{b}" in template])
    text = template.format(a=a, b=b)
    text += "".join(rng.choice(FOLLOW_UPS).format(c=rng.choice(VOCABULARY[topic])) for topic in topics[2:])
    opener = rng.choice(OPENERS)
    return opener + (text[0].lower() + text[1:] if opener else text)


def answer(rng: random.Random, topics: list[str]) -> str:
    """A long answer: 3-12 sentences, mostly topical words, some filler and an off-topic word or two."""
    sentences = []
    for _ in range(rng.randint(3, 12)):
        words = [rng.choice(VOCABULARY[rng.choice(topics)]) for _ in range(rng.randint(2, 5))]
        words += rng.sample(FILLER, 2) + [rng.choice(VOCABULARY[rng.choice(list(VOCABULARY))])]
        rng.shuffle(words)
        sentences.append(" ".join(words).capitalize() + ".")
    return " ".join(sentences)


def dump_records(rng: random.Random):
    names, aligned = list(all_topics().names), list(massive_aligned().names)
    plan = [[name] for name in names for _ in range(SINGLE_PER_CLASS)]
    plan += [[name] for name in aligned for _ in range(EXTRA_PER_ALIGNED_CLASS)]
    plan += [rng.sample(names, rng.choice([2, 2, 3])) for _ in range(MULTI_LABEL)]
    plan += [[] for _ in range(UNTAGGED)]
    rng.shuffle(plan)
    records = []
    for number, topics in enumerate(plan):
        shown = topics or [rng.choice(names)]
        records.append({"id": str(100000 + number), "question": question(rng, shown),
                        "answer": answer(rng, shown), "tags": topics + rng.sample(OTHER_TAGS, rng.randint(0, 2))})
    for number, original in enumerate(rng.sample(records, DUPLICATES)):
        records.append(dict(original, id=str(900000 + number), answer=answer(rng, names[:1])))
    return records


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--output-dir", type=Path, default=ROOT / "data" / "sample")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        dump = Path(scratch) / "yandex_q_dump.jsonl.gz"
        with gzip.open(dump, "wt", encoding="utf-8") as handle:
            for record in dump_records(random.Random(args.seed)):
                handle.write(json.dumps(record, ensure_ascii=False) + "\n")
        staged = Path(scratch) / "prepared"
        summary = prepare(dump, staged)
        for name in ("train.jsonl", "validation.jsonl", "test.jsonl"):
            args.output_dir.mkdir(parents=True, exist_ok=True)
            (args.output_dir / name).write_bytes((staged / name).read_bytes())
    for outcome, count in sorted(summary.items()):
        print(f"{outcome:32s} {count:6d}")


if __name__ == "__main__":
    main()
