"""Build a tiny BERT backbone offline: a WordPiece tokenizer made from given texts, random weights.

Tests and the sample release use it in place of a Hub backbone, which cannot be downloaded here. The result
is a normal `save_pretrained` directory (safetensors), loadable by every Auto class, and a deterministic
function of the texts and the seed: two builds give the same vocabulary and the same weights.

The vocabulary is made here from word counts rather than by `tokenizers`' WordPieceTrainer: the trainer
breaks ties between equally frequent merges in the order of a Rust hash map, which is seeded at random in
every process, so each build gave another vocabulary (and the release other numbers). There is no option to
seed it. A vocabulary of every character, every continuation character (`##x`) and the most frequent whole
words is a valid WordPiece vocabulary (any word can be spelled with it), and all the tiny backbone needs.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors
from transformers import BertConfig, BertModel, BertTokenizerFast

from ruqtopics_kit.core.atomic import give_user_modes

SPECIAL_TOKENS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


def wordpiece_vocabulary(words: Counter, vocab_size: int) -> dict[str, int]:
    """Special tokens, then characters, continuation characters and whole words, each by falling count (ties
    alphabetically), cut at `vocab_size`."""
    initials, continuations = Counter(), Counter()
    for word, count in words.items():
        initials[word[0]] += count
        for character in word[1:]:
            continuations[f"##{character}"] += count

    def by_count(counter: Counter) -> list[str]:
        return sorted(counter, key=lambda token: (-counter[token], token))

    tokens = dict.fromkeys(SPECIAL_TOKENS + by_count(initials) + by_count(continuations) + by_count(words))
    return {token: index for index, token in enumerate(list(tokens)[:vocab_size])}


def train_wordpiece(texts: Iterable[str], vocab_size: int) -> BertTokenizerFast:
    """A cased BERT-style WordPiece tokenizer whose vocabulary comes from the words of `texts`."""
    normalizer = normalizers.BertNormalizer(lowercase=False, strip_accents=False)
    pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    words = Counter(word for text in texts
                    for word, _ in pre_tokenizer.pre_tokenize_str(normalizer.normalize_str(text)))
    tokenizer = Tokenizer(models.WordPiece(wordpiece_vocabulary(words, vocab_size), unk_token="[UNK]"))
    tokenizer.normalizer, tokenizer.pre_tokenizer, tokenizer.decoder = normalizer, pre_tokenizer, decoders.WordPiece()
    cls, sep = tokenizer.token_to_id("[CLS]"), tokenizer.token_to_id("[SEP]")
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1", special_tokens=[("[CLS]", cls), ("[SEP]", sep)])
    return BertTokenizerFast(tokenizer_object=tokenizer, do_lower_case=False)


def build_tiny_backbone(texts: Iterable[str], output_dir: str | Path, *, vocab_size: int = 2000,
                        hidden_size: int = 32, num_layers: int = 2, num_heads: int = 2,
                        max_position_embeddings: int = 512, seed: int = 0) -> Path:
    """Write a randomly initialised BERT and its tokenizer to `output_dir`, with the umask's modes (the safetensors
    writer leaves 0600 files); return the directory."""
    import torch

    output_dir = Path(output_dir)
    tokenizer = train_wordpiece(texts, vocab_size)
    config = BertConfig(vocab_size=len(tokenizer), hidden_size=hidden_size, num_hidden_layers=num_layers,
                        num_attention_heads=num_heads, intermediate_size=4 * hidden_size,
                        max_position_embeddings=max_position_embeddings)
    torch.manual_seed(seed)
    BertModel(config).save_pretrained(output_dir)
    tokenizer.save_pretrained(output_dir)
    give_user_modes(output_dir)
    return output_dir
