"""The `paper-deeppavlov` grid: its configs, and one of them trained (tiny backbone, sample, a few steps) with
lowercased input and the plateau drop that reloads the best weights first."""

import logging
import re

import pytest
import torch
from huggingface_hub import ModelCard
from train_helpers import output_of, read_json, run_train, train_argv, weights
from transformers import AutoTokenizer, pipeline

from ruqtopics_kit.core.resources import package_path
from ruqtopics_kit.facts.backbones import resolve_backbone
from ruqtopics_kit.modeling.backbones import load_tokenizer
from ruqtopics_kit.release.grid import expand
from ruqtopics_kit.training.checkpoints import checkpoints_dir
from ruqtopics_kit.training.config import parse_args

DEEPPAVLOV = package_path("configs", "paper-deeppavlov")
PAPER = package_path("configs", "paper")


def test_the_deeppavlov_grid_is_the_paper_grid_on_deeppavlovs_code_path():
    files = expand(["paper-deeppavlov"])  # the bundled name
    assert [path.name for path in files] == sorted(path.name for path in expand(["paper"]))
    for path in files:
        config = parse_args(["--config-file", str(path), "--output-dir", "out"])
        paper = parse_args(["--config-file", str(PAPER / path.name), "--output-dir", "out"])
        assert (config.backbone, config.dataset_config_name, config.text_mode, config.max_length) == \
            (paper.backbone, paper.dataset_config_name, paper.text_mode, paper.max_length)
        assert config.lowercase and config.decay_every_parameter and config.lr_plateau_reload_best, path
        assert (config.weight_decay, config.max_grad_norm, config.adam_beta2) == (0.01, 0, 0.999)
        assert (config.total_train_batch_size, config.num_train_epochs) == (32, 30)
        assert config.mixed_precision == "no"
        assert (config.learning_rate, config.lr_plateau_factor, config.lr_plateau_patience,
                config.early_stopping_patience) == (2e-5, 2, 2, 3)


def test_reloading_the_best_weights_needs_the_plateau_schedule():
    with pytest.raises(SystemExit):
        parse_args(["--backbone", "b", "--dataset", "d", "--output-dir", "o", "--lr-plateau-reload-best", "true"])


@pytest.fixture(scope="module")
def deeppavlov_run(tiny_backbone, exported_sample, tmp_path_factory):
    """A paper-deeppavlov config on the tiny backbone: an evaluation and a checkpoint after every step, and a
    learning rate so large that the validation loss soon stops improving, so that the plateau drop happens."""
    output = tmp_path_factory.mktemp("deeppavlov") / "model"
    argv = ["--config-file", str(DEEPPAVLOV / "rubert-base-single_label-question.yaml"),
            *train_argv(tiny_backbone, exported_sample, output),
            "--eval-steps", "1", "--checkpointing-steps", "1", "--checkpoints-total-limit", "10",
            "--lr-plateau-patience", "1", "--early-stopping-patience", "4", "--metric-for-best-model", "loss",
            "--learning-rate", "0.5"]
    logs = []
    handler = logging.Handler()
    handler.emit = lambda record: logs.append(record.getMessage())
    logging.getLogger("ruqtopics_kit").addHandler(handler)
    try:
        assert run_train(argv) == 0
    finally:
        logging.getLogger("ruqtopics_kit").removeHandler(handler)
    return output_of(argv), logs


def test_lowercasing_is_recorded_and_saved_in_the_published_tokenizer(deeppavlov_run):
    folder, _ = deeppavlov_run
    assert read_json(folder / "training_args.json")["lowercase"] is True
    card = ModelCard.load(folder / "README.md")
    assert "lowercase: true" in card.text and "| text | lowercased" in card.text
    assert "weight decay 0.01 on every parameter, gradient clipping none" in card.text
    assert "the kit's reading of the recipe" in card.text and "Training follows" not in card.text
    assert read_json(folder / "tokenizer_config.json")["do_lower_case"] is True
    classify = pipeline("text-classification", model=str(folder), top_k=None)
    assert classify.tokenizer.tokenize("КАКОЙ Фильм") == classify.tokenizer.tokenize("какой фильм")
    assert classify("КАКОЙ ФИЛЬМ ПОСМОТРЕТЬ?") == classify("какой фильм посмотреть?")
    assert load_tokenizer(resolve_backbone(str(folder))).tokenize("МОСКВА") == \
        AutoTokenizer.from_pretrained(folder).tokenize("москва")  # as evaluate_massive.py loads it


def test_a_cased_tokenizer_stays_cased_without_the_option(tiny_backbone):
    tokenizer = load_tokenizer(resolve_backbone(str(tiny_backbone)))
    assert tokenizer.tokenize("Фильм") != tokenizer.tokenize("фильм")


def test_the_plateau_drop_goes_on_from_the_best_weights(deeppavlov_run):
    folder, logs = deeppavlov_run
    reloads = [int(found.group(1)) for found in map(re.compile(r"reloaded the weights of step (\d+),").search, logs)
               if found]
    assert reloads, logs  # the schedule divided at least once
    best_step = reloads[0]
    # patience 1, an evaluation per step: the drop came at the next evaluation, and the checkpoint written right
    # after it holds the best weights again, not those that step had reached
    after_drop = weights(checkpoints_dir(folder) / f"step_{best_step + 1}")
    best = weights(checkpoints_dir(folder) / f"step_{best_step}")
    assert all(torch.equal(after_drop[name], best[name]) for name in best)
