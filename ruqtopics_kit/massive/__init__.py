"""MASSIVE (alexa/massive, CC BY 4.0) for the RuQTopics kit: readers for every copy, locales and class mappings.

`evaluate_massive.py` (`ruqtopics_kit.massive.evaluate`) builds on these to score a model on MASSIVE's scenarios
that match RuQTopics classes.
"""

from ruqtopics_kit.massive.locales import Locale, massive_locales
from ruqtopics_kit.massive.mapping import DEFAULT_MAPPING, Mapping, bundled_mappings, load_mapping
from ruqtopics_kit.massive.readers import read_massive
from ruqtopics_kit.massive.records import SCENARIOS, SPLITS, MassiveDataError, MassiveRecord, MassiveSplit

__all__ = ["DEFAULT_MAPPING", "SCENARIOS", "SPLITS", "Locale", "Mapping", "MassiveDataError", "MassiveRecord",
           "MassiveSplit", "bundled_mappings", "load_mapping", "massive_locales", "read_massive"]
