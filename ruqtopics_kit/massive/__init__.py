"""MASSIVE (alexa/massive, CC BY 4.0) for the RuQTopics kit: readers for every copy and its locales (its
scenarios and the class mappings are data: `ruqtopics_kit.facts.massive`, `ruqtopics_kit.facts.mappings`).

`evaluate_massive.py` (`ruqtopics_kit.massive.evaluate`) builds on these to score a model on MASSIVE's scenarios
that match RuQTopics classes.
"""

from ruqtopics_kit.massive.locales import Locale, massive_locales
from ruqtopics_kit.massive.readers import read_massive
from ruqtopics_kit.massive.records import SPLITS, MassiveDataError, MassiveRecord, MassiveSplit

__all__ = ["SPLITS", "Locale", "MassiveDataError", "MassiveRecord", "MassiveSplit", "massive_locales", "read_massive"]
