"""The kit's facts as data readers, one floor above core: everything that is a fact of RuQTopics, MASSIVE or
the paper rather than infrastructure.

The label set (`labels`, data in `data/labels.json`), the backbone registry and what a `--backbone` value
names (`backbones`, `data/backbones.json`), MASSIVE's scenarios and locale table (`massive`,
`data/massive_locales.csv`), the scenario mappings (`mappings`, `data/massive_mappings/`), the paper's citation
and numbers (`paper`, `data/paper_claims.json`) and the release-wide names (`names`).
"""
