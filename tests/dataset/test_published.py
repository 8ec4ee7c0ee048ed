"""The dataset repository as users meet it: sharded Parquet that streams in several shards, a card whose YAML
both datasets generations read, ids filled in, the sections users look for, and loading code that runs."""

import ast
import re

import datasets
import pytest
import yaml
from datasets.info import DatasetInfosDict
from huggingface_hub import DatasetCard, DatasetCardData

import ruqtopics
from ruqtopics_kit import __version__
from ruqtopics_kit.facts.labels import CONFIG_NAMES, all_topics

SHARD = re.compile(r"^(train|validation|test)-(\d{5})-of-(\d{5})\.parquet$")


@pytest.fixture(scope="module")
def sharded(sample_dir, tmp_path_factory):
    """The sample exported by the command line with a tiny shard size, a Hub id and a licence."""
    out = tmp_path_factory.mktemp("sharded") / "ruqtopics"
    assert ruqtopics.main(["export", "--data-dir", str(sample_dir), "--output-dir", str(out),
                           "--max-shard-size", "50KB", "--hub-dataset-id", "acme/ruqtopics",
                           "--license", "cc-by-4.0"]) == 0
    return out


def test_shards_are_named_as_push_to_hub_names_them(sharded):
    for config in CONFIG_NAMES:
        names = sorted(path.name for path in (sharded / config).iterdir())
        for split in ("train", "validation", "test"):
            matches = [SHARD.match(name) for name in names if name.startswith(f"{split}-")]
            assert matches and all(matches), (config, split, names)
            assert sorted(int(m.group(2)) for m in matches) == list(range(len(matches)))
            assert {int(m.group(3)) for m in matches} == {len(matches)}
    assert len(list((sharded / "single_label").glob("train-*.parquet"))) > 1


def test_the_sharded_repository_loads_and_streams_in_several_shards(sharded, exported_sample):
    stream = datasets.load_dataset(str(sharded), "single_label", split="train", streaming=True)
    assert stream.num_shards > 1
    loaded = datasets.load_dataset(str(sharded), "single_label", split="train")
    assert list(stream) == loaded.to_list()
    unsharded = datasets.load_dataset(str(exported_sample), "single_label", split="train")
    assert loaded.to_list() == unsharded.to_list() and loaded.features == unsharded.features


def test_a_bad_shard_size_is_an_argument_error(sample_dir, tmp_path, capsys):
    with pytest.raises(SystemExit):
        ruqtopics.main(["export", "--data-dir", str(sample_dir), "--output-dir", str(tmp_path / "out"),
                        "--max-shard-size", "lots"])
    assert "--max-shard-size: expected a positive integer and a unit" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_the_multi_label_feature_is_written_in_the_sequence_form(sharded):
    header = (sharded / "README.md").read_text(encoding="utf-8").split("---")[1]
    info = {entry["config_name"]: entry for entry in yaml.safe_load(header)["dataset_info"]}
    labels = next(feature for feature in info["multi_label"]["features"] if feature["name"] == "labels")
    assert list(labels) == ["name", "sequence"] and "class_label" in labels["sequence"]  # the datasets 3.x form
    feature = DatasetInfosDict.from_dataset_card_data(DatasetCard.load(sharded / "README.md").data)[
        "multi_label"].features["labels"]  # as this datasets (4.x and later) reads it: a List of ClassLabel
    assert isinstance(feature, datasets.List) and tuple(feature.feature.names) == all_topics().names
    loaded = datasets.load_dataset(str(sharded), "multi_label", split="validation")
    assert isinstance(loaded.features["labels"], datasets.List) and all(len(ids) >= 2 for ids in loaded["labels"])


def test_the_card_fills_the_hub_id_and_has_what_users_look_for(sharded):
    card = DatasetCard.load(sharded / "README.md")
    assert isinstance(card.data, DatasetCardData) and card.data.license == "cc-by-4.0"
    DatasetCardData(**card.data.to_dict())  # the YAML metadata validates as dataset card data
    text = card.text
    assert '"acme/ruqtopics", "single_label"' in text and "<org>" not in str(card)
    for config in CONFIG_NAMES:  # an example record per config, with its class names
        first = datasets.load_dataset(str(sharded), config, split="train")[0]
        assert f'"id": "{first["id"]}"' in text and f"`{config}` (" in text
    assert "## Licensing" in text and "Released under `cc-by-4.0`" in text
    assert "## Personal and sensitive information" in text and "nothing was anonymised" in text
    assert f"`ruqtopics-kit` {__version__}" in text and f"datasets {datasets.__version__}" in text


def test_without_a_hub_id_or_licence_the_card_says_so(exported_sample):
    card = DatasetCard.load(exported_sample / "README.md")
    assert "<org>" not in str(card) and 'load_dataset("./ruqtopics", "single_label")' in card.text
    assert "written without a Hub repository id" in card.text
    assert card.data.license == "unknown" and "The licence is **unknown**" in card.text
    assert "`ruqtopics export --license ID`" in card.text


def test_the_dataset_card_links_the_paper_names_the_source_and_a_contact(exported_sample):
    card = DatasetCard.load(exported_sample / "README.md")
    assert "arxiv:2306.07797" in card.data.tags  # the Hub links the dataset to the paper's page from this tag
    assert "## Sources and contact" in card.text
    assert "[Yandex Q](https://yandex.ru/q/)" in card.text and "(https://arxiv.org/abs/2306.07797)" in card.text
    assert "Contact:" in card.text and "Dmitry Karpov, Mikhail Burtsev" in card.text


def test_the_loading_code_runs_and_returns_what_its_comments_say(exported_sample, monkeypatch):
    code = DatasetCard.load(exported_sample / "README.md").text.split("## Loading", 1)[1]
    code = code.split("```python\n", 1)[1].split("```", 1)[0]
    monkeypatch.chdir(exported_sample.parent)  # the card of a folder exported without a Hub id loads ./ruqtopics
    namespace = {}
    exec(code, namespace)  # noqa: S102 - the card's own code, on the exported sample
    single, multi, six, stream = (namespace[name] for name in ("single", "multi", "six", "stream"))
    assert [single["train"].features["label"].num_classes, six["train"].features["label"].num_classes] == [76, 6]
    labels = multi["train"].features["labels"]  # a List (datasets 4 and later) of ClassLabel
    assert isinstance(labels.feature, datasets.ClassLabel) and labels.feature.num_classes == 76
    expression, comment = next(line.split("  # ") for line in code.splitlines() if ".int2str(" in line)
    assert eval(expression, namespace) == ast.literal_eval(comment.strip())  # noqa: S307
    assert isinstance(stream, datasets.IterableDataset) and next(iter(stream))["label"] in range(76)
