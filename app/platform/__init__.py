"""The foundation under every feature: settings, extensions, database, errors, i18n, input rules.

Nothing here knows a model or a feature; models and every package above import it.
"""
