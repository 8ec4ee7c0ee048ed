"""The kit's core: small infrastructure modules that every concern uses and that import nothing else from the kit.

atomic writes (`atomic`), output folders that never overlap an input and one writer each (`output_dir`), child
processes that stop with their parent and the CPU threads of processes side by side (`processes`), `--config-file`
YAML (`config_files`), strict JSON written and read (`jsonio`), Markdown tables (`tables`), the kit's errors
(`errors`), Hub upload (`hub`), files shipped in the package (`resources`), the kit and library versions for cards
(`provenance`). The facts of RuQTopics, MASSIVE and the paper are one floor up, in `ruqtopics_kit.facts`.
"""
