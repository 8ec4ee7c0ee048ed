"""The kit's core: small modules that every concern uses and that import nothing else from the kit.

atomic writes (`atomic`), strict JSON written and read (`jsonio`), Markdown tables (`tables`), option errors
(`errors`), the paper's citation (`paper`), the MASSIVE locale table (`locales`), Hub upload (`hub`), the precision
policy (`precision`), files shipped in the package (`resources`), the kit and library versions for cards
(`provenance`).
"""
