"""The seed every command uses unless `--seed` says otherwise: 42, transformers' TrainingArguments default, so that
train.py's runs keep their identity and evaluate-massive, analysis and claims draw their bootstrap the same way."""

DEFAULT_SEED = 42
