"""The release-wide names: one home for each name that several parts of the kit write or compare."""

DEFAULT_ORG = "ruqtopics"  # the Hub organisation the release publishes under (release --org)
DATASET_NAME = "ruqtopics"  # the dataset repository's name, in the org and on disk (hub/ruqtopics)
SYNTHETIC_TAG = "synthetic-sample"  # the card tag of everything made from the bundled synthetic sample
REFERENCE_LOCALE = "ru-RU"  # the MASSIVE locale of the training language: distances and the six-class claim
SINGLE_LABEL = "single_label_classification"  # transformers' problem_type of a one-class-per-text head
MULTI_LABEL = "multi_label_classification"  # and of a multi-label head (sigmoid per class)
