"""Backbones and trained classifiers: the one way the kit loads a model (training, MASSIVE evaluation and the
release all come through here), for a `Backbone` that `ruqtopics_kit.facts.backbones.resolve_backbone` names (a
registry short name, a local directory or a Hub id). A failure to load a Hub id (offline, typo, private) is
reported with the id.

What transformers would let through is refused with a `ModelLoadError` naming the folder and the problem:
- a folder without tokenizer files (transformers 5 builds a tokenizer of special tokens only: every word [UNK]);
- weights that are cut short or corrupt (the file is named);
- a trained classifier whose config names more or fewer classes than its head has outputs, or whose weights
  lack tensors (they would be initialised at random).
"""

from __future__ import annotations

from pathlib import Path

from ruqtopics_kit.core.errors import KitError
from ruqtopics_kit.facts.backbones import Backbone
from ruqtopics_kit.facts.labels import LabelSet
from ruqtopics_kit.facts.names import MULTI_LABEL, SINGLE_LABEL


class ModelLoadError(KitError, ValueError):
    """A model or backbone that cannot be used as it is; the message names it and says why, on one line."""


# how transformers found the files (HF_HUB_OFFLINE, a folder or a Hub id), which it records among the tokenizer's
# init options: not the tokenizer's settings, and a saved tokenizer_config.json would depend on the environment
LOADING_OPTIONS = ("local_files_only", "is_local")


def load_tokenizer(backbone: Backbone, *, lowercase: bool = False):
    """The backbone's tokenizer, refused if it was not saved with it (a tokenizer built from nothing).

    lowercase: load it with `do_lower_case=True` (BERT tokenizers then lowercase in their normalizer, which
    `save_pretrained` keeps, so every later user of the saved tokenizer lowercases too); a tokenizer that does
    not take the option is refused rather than left cased. The loading options (`LOADING_OPTIONS`) are dropped, so
    that the tokenizer saves the same bytes whatever HF_HUB_OFFLINE was.
    """
    from transformers import AutoTokenizer

    tokenizer = _from_pretrained(AutoTokenizer, backbone, **({"do_lower_case": True} if lowercase else {}))
    for option in LOADING_OPTIONS:  # save_pretrained writes init_kwargs: leave these out of what is published
        tokenizer.init_kwargs.pop(option, None)
    if lowercase and not lowercases(tokenizer):
        raise ModelLoadError(f"{backbone.label}: the tokenizer of {backbone.source} ({type(tokenizer).__name__}) "
                             f"does not lowercase with do_lower_case=True; --lowercase needs a BERT-style tokenizer")
    files = sorted(set(type(tokenizer).vocab_files_names.values()))
    if backbone.is_local and not any((Path(backbone.source) / name).is_file() for name in files):
        raise ModelLoadError(f"{backbone.label}: {backbone.source} has no tokenizer files (missing "
                             f"{' or '.join(files)}); transformers would build a tokenizer of special tokens only, "
                             f"turning every word into {tokenizer.unk_token}. Save the tokenizer into the folder "
                             f"(tokenizer.save_pretrained)")
    if len(tokenizer) <= len(set(tokenizer.all_special_tokens)):
        raise ModelLoadError(f"{backbone.label}: the tokenizer of {backbone.source} has only its "
                             f"{len(tokenizer)} special tokens, so every word would become {tokenizer.unk_token}")
    return tokenizer


def lowercases(tokenizer) -> bool:
    """Whether the tokenizer reads upper- and lower-case text alike (checked on a Russian and a Latin word)."""
    return all(tokenizer.tokenize(word) == tokenizer.tokenize(word.lower()) for word in ("Москва", "Paris"))


def load_config(backbone: Backbone):
    from transformers import AutoConfig

    return _from_pretrained(AutoConfig, backbone)


def load_classifier(backbone: Backbone, labels: LabelSet, *, multi_label: bool):
    """The backbone with a classification head over `labels` (Russian class names in id2label), and the names
    of the parameters transformers initialised (a new head's; none when the backbone's head already fits).

    SDPA attention is requested explicitly (it is transformers' default where supported; an architecture
    without it falls back to the default implementation). A head the backbone already has is replaced.
    """
    kwargs = dict(num_labels=len(labels), id2label=labels.id2label(), label2id=labels.label2id(),
                  problem_type=MULTI_LABEL if multi_label else SINGLE_LABEL)
    try:
        model, info = _load_model(backbone, attn_implementation="sdpa", **kwargs)
    except ValueError as error:
        if "sdpa" not in str(error).lower():
            raise
        model, info = _load_model(backbone, **kwargs)
    prefix = f"{model.base_model_prefix}."
    _refuse_mismatches(backbone, [key for key in info["mismatched_keys"] if str(_key(key)).startswith(prefix)])
    return model, frozenset(str(_key(key)) for key in [*info["missing_keys"], *info["mismatched_keys"]])


def start_head_at_label_prior(model, label_counts, examples: int, initialised: frozenset[str]) -> bool:
    """Multi-label: the output layer's biases start at each class's log-odds in the training split.

    With a bias of 0 every class starts at probability 0.5, and the first steps of binary cross-entropy only
    learn that nearly every label is absent (1-3 of 76 are present). A backbone that is not pretrained can stay
    there: on the bundled sample the tiny backbone's validation micro-F1 stayed at 0 for 40 epochs, and rose
    from the first epochs with this start (the prior initialisation of Lin et al. 2017, "Focal Loss for Dense
    Object Detection"). The frequencies are smoothed by half an example, so that no class starts at 0 or 1.
    Returns whether the model's head has such a layer: a linear layer outside the backbone with one output per
    class (the last one, for heads of several layers) whose bias transformers initialised (`initialised`, from
    `load_classifier`): a head loaded trained keeps what it learnt.
    """
    import torch

    counts = torch.as_tensor(label_counts, dtype=torch.float64)
    prefix = f"{model.base_model_prefix}."
    outputs = [module for name, module in model.named_modules() if not name.startswith(prefix)
               and isinstance(module, torch.nn.Linear) and module.out_features == len(counts)
               and module.bias is not None and f"{name}.bias" in initialised]
    if not outputs:
        return False
    with torch.no_grad():
        outputs[-1].bias.copy_(torch.logit((counts + 0.5) / (examples + 1)).to(outputs[-1].bias.dtype))
    return True


def load_trained_classifier(backbone: Backbone):
    """A trained sequence classifier as saved: its head must match its config's classes, and no weight may be
    missing (transformers would initialise it at random)."""
    model, info = _load_model(backbone)
    _refuse_mismatches(backbone, info["mismatched_keys"])
    if info["missing_keys"]:
        missing = sorted(map(str, info["missing_keys"]))
        raise ModelLoadError(f"{backbone.label}: the weights of {backbone.source} lack {len(missing)} tensor(s) "
                             f"({', '.join(missing[:4])}{', ...' if len(missing) > 4 else ''}), which would be "
                             f"initialised at random; it is not a complete trained classifier")
    return model


def _load_model(backbone: Backbone, **kwargs):
    """The model and its loading report; weights cut short or corrupt are named, not a traceback."""
    from safetensors import SafetensorError
    from transformers import AutoModelForSequenceClassification

    try:
        return _from_pretrained(AutoModelForSequenceClassification, backbone, output_loading_info=True,
                                ignore_mismatched_sizes=True, **kwargs)
    except SafetensorError as error:
        files = sorted(p.name for p in Path(backbone.source).glob("*.safetensors")) if backbone.is_local else []
        where = ", ".join(str(Path(backbone.source) / name) for name in files) or f"the weights of {backbone.source}"
        raise ModelLoadError(f"{backbone.label}: {where} cannot be read: cut short or corrupt ({error})") from None


def _key(mismatch) -> str:
    return mismatch[0] if isinstance(mismatch, tuple) else mismatch


def _refuse_mismatches(backbone: Backbone, mismatched) -> None:
    if mismatched:
        shapes = "; ".join(f"{item[0]} is {list(item[1])} in the weights but {list(item[2])} by the config"
                           if isinstance(item, tuple) and len(item) == 3 else str(item)
                           for item in sorted(mismatched, key=str)[:2])
        raise ModelLoadError(f"{backbone.label}: the weights of {backbone.source} do not fit its config.json "
                             f"({shapes}): for a classifier, id2label must name exactly as many classes as the "
                             f"head has outputs")


def _from_pretrained(auto_class, backbone: Backbone, **kwargs):
    from huggingface_hub import is_offline_mode

    try:
        return auto_class.from_pretrained(backbone.source, **kwargs)
    except OSError as error:
        detail = " ".join(str(error).split())  # transformers' messages span several lines
        if backbone.is_local:
            raise OSError(f"{backbone.label}: {backbone.source} cannot be loaded ({detail})") from None
        hint = (f"{backbone.source!r} is not in the local Hugging Face cache and HF_HUB_OFFLINE is set: download "
                f"it first (`hf download {backbone.source}`) or pass a local directory" if is_offline_mode() else
                f"could not load {backbone.source!r} from the Hugging Face Hub ({type(error).__name__}: {detail}); "
                f"check the id, your network and, for a private model, HF_TOKEN")
        raise OSError(f"{backbone.label}: {hint}") from None


def max_length_cap(backbone: Backbone, tokenizer, model_config) -> int:
    """The longest input the backbone takes: registry hint, tokenizer limit and position embeddings."""
    caps = [getattr(model_config, "max_position_embeddings", None), backbone.max_position_embeddings]
    if getattr(tokenizer, "model_max_length", None) and tokenizer.model_max_length < 1_000_000:
        caps.append(tokenizer.model_max_length)  # tokenizers without a limit report ~1e30
    return min(cap for cap in caps if cap)


def record_input_limit(tokenizer, backbone: Backbone, model_config) -> None:
    """Set the tokenizer's `model_max_length` to what the model takes, so that the saved tokenizer carries it.

    Some tokenizers record no limit (the DeepPavlov ones, tokenizers trained from scratch: ~1e30); saved that
    way, `pipeline(...)(long_text, truncation=True)` passes thousands of tokens to a model with 512 positions.
    """
    tokenizer.model_max_length = max_length_cap(backbone, tokenizer, model_config)
