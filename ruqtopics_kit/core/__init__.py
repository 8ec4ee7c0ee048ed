"""The kit's core: small modules that every concern uses and that import nothing else from the kit.

atomic writes (`atomic`), Hub upload (`hub`), the precision policy (`precision`).
"""
