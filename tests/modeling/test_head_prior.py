"""Multi-label heads start at the training split's label frequencies (modeling.backbones.start_head_at_label_prior)."""

import torch
from transformers import (
    BertConfig,
    BertForSequenceClassification,
    DistilBertConfig,
    DistilBertForSequenceClassification,
)

from ruqtopics_kit.facts.backbones import resolve_backbone
from ruqtopics_kit.facts.labels import all_topics
from ruqtopics_kit.modeling.backbones import load_classifier, start_head_at_label_prior

NEW_HEAD = frozenset({"classifier.weight", "classifier.bias"})


def tiny(model_class, config_class, **size):
    torch.manual_seed(0)
    return model_class(config_class(vocab_size=50, num_labels=4, problem_type="multi_label_classification", **size))


def test_the_bias_is_the_smoothed_log_odds_of_each_class():
    model = tiny(BertForSequenceClassification, BertConfig, hidden_size=8, num_hidden_layers=1,
                 num_attention_heads=2, intermediate_size=16)
    weights_before = model.classifier.weight.clone()
    assert start_head_at_label_prior(model, [0, 1, 9, 10], 10, NEW_HEAD)
    expected = torch.logit(torch.tensor([0.5, 1.5, 9.5, 10.5]) / 11)  # half an example: none at 0 or 1
    torch.testing.assert_close(model.classifier.bias, expected.float())
    assert torch.equal(model.classifier.weight, weights_before)  # only the bias moves
    probabilities = torch.sigmoid(model(input_ids=torch.tensor([[1, 2, 3]])).logits)[0]
    assert probabilities[0] < 0.2 < 0.8 < probabilities[3]  # the untrained model predicts the prior


def test_a_head_of_two_layers_sets_its_output_layer_and_not_the_backbone():
    model = tiny(DistilBertForSequenceClassification, DistilBertConfig, dim=8, n_layers=1, n_heads=2, hidden_dim=16)
    before = {name: tensor.clone() for name, tensor in model.state_dict().items()}
    assert start_head_at_label_prior(model, [2, 5, 5, 8], 10, NEW_HEAD)
    changed = [name for name, tensor in model.state_dict().items() if not torch.equal(tensor, before[name])]
    assert changed == ["classifier.bias"]  # pre_classifier (8 -> 8 outputs) and the backbone are left alone
    torch.testing.assert_close(model.classifier.bias, torch.logit(torch.tensor([2.5, 5.5, 5.5, 8.5]) / 11).float())


def test_no_output_layer_of_one_bias_per_class_is_reported():
    model = tiny(BertForSequenceClassification, BertConfig, hidden_size=8, num_hidden_layers=1,
                 num_attention_heads=2, intermediate_size=16)
    assert not start_head_at_label_prior(model, [1, 2, 3], 10, NEW_HEAD)  # 3 counts, 4 outputs


def test_a_head_loaded_trained_keeps_its_biases(tiny_backbone, tmp_path):
    """A backbone without a head gets a new one (set to the prior); a saved multi-label model keeps its own."""
    labels = all_topics()
    model, initialised = load_classifier(resolve_backbone(str(tiny_backbone)), labels, multi_label=True)
    assert {"classifier.weight", "classifier.bias"} <= initialised
    counts = [1] * len(labels)
    assert start_head_at_label_prior(model, counts, 100, initialised)
    with torch.no_grad():
        model.classifier.bias.fill_(0.25)  # as if trained
    model.save_pretrained(tmp_path / "trained")
    again, initialised = load_classifier(resolve_backbone(str(tmp_path / "trained")), labels, multi_label=True)
    assert not initialised and not start_head_at_label_prior(again, counts, 100, initialised)
    assert torch.all(again.classifier.bias == 0.25)
